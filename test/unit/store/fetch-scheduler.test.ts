import { FetchScheduler } from '../../../src/store/fetch-scheduler';
import type { LockResult, RefreshLocks } from '../../../src/store/refresh-locks';
import { lockTtlFor } from '../../../src/store/refresh-locks';

/** Refresh locks in memory that always grant, recording what was asked and released. */
class RecordingLocks implements RefreshLocks {
  /** Each `tryLockMany` call: the sources and lock times asked for. */
  readonly batches: Array<Array<{ sourceId: string; ttlMs: number }>> = [];
  readonly released: string[] = [];
  /** The source each lock handed out is for. */
  readonly sourceOf = new Map<LockResult, string>();

  async tryLock(sourceId: string): Promise<LockResult> {
    return this.grant(sourceId);
  }

  async tryLockMany(
    requests: ReadonlyArray<{ readonly sourceId: string; readonly ttlMs: number }>,
  ): Promise<LockResult[]> {
    this.batches.push(requests.map(({ sourceId, ttlMs }) => ({ sourceId, ttlMs })));
    return requests.map(({ sourceId }) => this.grant(sourceId));
  }

  grant(sourceId: string): LockResult {
    const lock: LockResult = {
      state: 'acquired',
      release: async () => void this.released.push(sourceId),
    };
    this.sourceOf.set(lock, sourceId);
    return lock;
  }
}

/** A promise settled by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending microtask and the bulkhead's queue run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A fetch of `sourceId` that records when it starts and with which lock, and ends when told. */
function job(sourceId: string, log: { started: string[]; locks: Map<string, LockResult | undefined> }) {
  const done = deferred<string>();
  return {
    done,
    job: {
      sourceId,
      timeoutMs: 2000,
      run: (lock: LockResult | undefined) => {
        log.started.push(sourceId);
        log.locks.set(sourceId, lock);
        return done.promise;
      },
    },
  };
}

describe('the fetch scheduler', () => {
  let locks: RecordingLocks;
  let log: { started: string[]; locks: Map<string, LockResult | undefined> };
  beforeEach(() => {
    locks = new RecordingLocks();
    log = { started: [], locks: new Map() };
  });

  test('refuses a concurrency that is not a whole number of at least 1', () => {
    expect(() => new FetchScheduler(0, locks)).toThrow(
      'concurrency must be a whole number, 1 or more; got 0',
    );
    expect(() => new FetchScheduler(1.5, locks)).toThrow(/got 1.5/);
  });

  test('runs one fetch per source at a time: a second ask joins the first, and the lock it came with is released', async () => {
    const scheduler = new FetchScheduler<string>(4, locks);
    const first = job('s1', log);
    const running = scheduler.schedule(first.job);
    const joined = scheduler.schedule({ ...job('s1', log).job, lock: locks.grant('s1') });
    expect(joined).toBe(running);
    expect(locks.released).toEqual(['s1']);
    expect(scheduler.isFetching('s1')).toBe(true);
    first.done.resolve('report');
    expect(await joined).toBe('report');
    expect(log.started).toEqual(['s1']);
    expect(scheduler.isFetching('s1')).toBe(false);
  });

  test('runs at most `concurrency` fetches at once; the others start in the order they asked', async () => {
    const scheduler = new FetchScheduler<string>(2, locks);
    const jobs = ['s0', 's1', 's2', 's3', 's4'].map((id) => job(id, log));
    const results = jobs.map((j) => scheduler.schedule(j.job));
    await settle();
    expect(log.started).toEqual(['s0', 's1']);
    expect(scheduler.load()).toEqual({ running: 2, queued: 3 });
    expect(scheduler.freeSlots()).toBe(-3);
    jobs[1]!.done.resolve('r1');
    await settle();
    expect(log.started).toEqual(['s0', 's1', 's2']);
    jobs[0]!.done.resolve('r0');
    await settle();
    expect(log.started).toEqual(['s0', 's1', 's2', 's3']);
    for (const j of jobs.slice(2)) j.done.resolve('r');
    await Promise.all(results);
    expect(log.started).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(scheduler.load()).toEqual({ running: 0, queued: 0 });
    expect(scheduler.freeSlots()).toBe(2);
  });

  test('a fetch that comes with a lock gets that lock, as it is', async () => {
    const scheduler = new FetchScheduler<string>(1, locks);
    const known = locks.grant('s1');
    const j = job('s1', log);
    const result = scheduler.schedule({ ...j.job, lock: known });
    expect(log.locks.get('s1')).toBe(known);
    j.done.resolve('r');
    await result;
    expect(locks.batches).toEqual([]);
  });

  test('the fetches next in line have their locks asked for ahead, in one call, and each gets its own', async () => {
    const scheduler = new FetchScheduler<string>(1, locks);
    const jobs = ['a', 'b', 'c', 'd'].map((id) => job(id, log));
    const results = jobs.map((j) => scheduler.schedule(j.job));
    // 'a' started at once, before anything queued behind it: it asks for its own lock.
    expect(log.locks.get('a')).toBeUndefined();
    jobs[0]!.done.resolve('r');
    await settle();
    // As 'b' started, the locks of 'c' and 'd' were asked for, with their fetch's budget and margin.
    expect(log.started).toEqual(['a', 'b']);
    expect(log.locks.get('b')).toBeUndefined();
    expect(locks.batches).toEqual([
      [
        { sourceId: 'c', ttlMs: lockTtlFor(2000) },
        { sourceId: 'd', ttlMs: lockTtlFor(2000) },
      ],
    ]);
    jobs[1]!.done.resolve('r');
    await settle();
    jobs[2]!.done.resolve('r');
    await settle();
    expect(locks.sourceOf.get(log.locks.get('c')!)).toBe('c');
    expect(locks.sourceOf.get(log.locks.get('d')!)).toBe('d');
    // No second call: 'd' already had its lock when 'c' started.
    expect(locks.batches).toHaveLength(1);
    jobs[3]!.done.resolve('r');
    await Promise.all(results);
  });

  test('a failed fetch rejects everyone who asked, and is forgotten: the next ask runs a new one', async () => {
    const scheduler = new FetchScheduler<string>(2, locks);
    const first = job('s1', log);
    const failed = scheduler.schedule(first.job);
    const joined = scheduler.schedule(job('s1', log).job);
    first.done.reject(new Error('upstream down'));
    await expect(failed).rejects.toThrow('upstream down');
    await expect(joined).rejects.toThrow('upstream down');
    expect(scheduler.isFetching('s1')).toBe(false);
    const again = job('s1', log);
    const retried = scheduler.schedule(again.job);
    again.done.resolve('r');
    expect(await retried).toBe('r');
    expect(log.started).toEqual(['s1', 's1']);
  });
});
