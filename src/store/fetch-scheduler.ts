/**
 * When upstream fetches run in this process: one per source at a time (concurrent asks share the running
 * one: single flight), at most `concurrency` at once, the rest waiting in the order they asked (a cockatiel
 * bulkhead with an unbounded FIFO queue). A fetch's time budget starts when it leaves the queue, so its
 * refresh lock is asked for then, or a little ahead for the fetches next in line (see LOCK_LOOKAHEAD).
 */
import type { BulkheadPolicy } from 'cockatiel';
import { bulkhead } from 'cockatiel';
import type { LockResult, RefreshLocks } from './refresh-locks';
import { LOCK_MARGIN_MS, lockTtlFor } from './refresh-locks';

/**
 * How many fetches waiting for a slot have their refresh lock asked for ahead, so that the lock's round
 * trip is over by the time a slot frees. Taken inside the slot, it added 8-14 ms to every slot of a
 * saturated fan-out (the event loop is busy then); a fetch this close to the head gets its slot within a
 * fraction of one upstream latency, well inside the lock's margin. Locks are asked for in groups of at
 * least half of this (one Redis call each), unless the fetch next in line has none.
 */
const LOCK_LOOKAHEAD = 32;

/** A fetch waiting for (or just given) a slot, with its refresh lock once asked for. */
interface Place {
  readonly sourceId: string;
  readonly timeoutMs: number;
  lock?: Promise<LockResult>;
  /**
   * The lock when it was known as the fetch was queued (taken with the lookup): used without awaiting
   * `lock`, so that a fetch given a slot at once runs to its upstream request in the same microtask. An
   * await there made the sources of one lookup answer each take a step in turn, and the first request
   * left only once all of them had taken theirs.
   */
  readonly known?: LockResult;
  /** When the lock was asked for (epoch ms). */
  lockedAt: number;
  started: boolean;
}

/** One fetch to schedule. */
export interface FetchJob<T> {
  readonly sourceId: string;
  /** The fetch's time budget (ms), which its lock must outlive. */
  readonly timeoutMs: number;
  /** The refresh lock already taken for it (with the lookup), if any. */
  readonly lock?: LockResult;
  /**
   * The fetch itself, called in its slot with the lock taken ahead for it if that is still good to use
   * (else undefined: it asks for one itself).
   */
  run(lock: LockResult | undefined): Promise<T>;
}

/** Runs upstream fetches: single flight per source, a cap on how many at once, FIFO beyond it. */
export class FetchScheduler<T> {
  /** The fetch of each source asked for and not yet finished (running or queued). */
  private readonly inFlight = new Map<string, Promise<T>>();
  /** The cap on concurrent upstream fetches (cockatiel bulkhead, unbounded FIFO queue). */
  private readonly slots: BulkheadPolicy;
  private running = 0;
  /** Fetches in the order they asked for a slot (the bulkhead's queue is FIFO); `head` is the first waiting. */
  private waiting: Place[] = [];
  private head = 0;

  constructor(
    readonly concurrency: number,
    private readonly locks: RefreshLocks,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error(`concurrency must be a whole number, 1 or more; got ${concurrency}`);
    this.slots = bulkhead(concurrency, Number.POSITIVE_INFINITY);
  }

  /** Upstream fetches running now, and waiting for a slot. */
  load(): { running: number; queued: number } {
    return { running: this.running, queued: this.inFlight.size - this.running };
  }

  /** Slots not taken by a fetch running or queued (negative while fetches queue). */
  freeSlots(): number {
    return this.concurrency - this.inFlight.size;
  }

  /** Whether a fetch of the source is running or queued. */
  isFetching(sourceId: string): boolean {
    return this.inFlight.has(sourceId);
  }

  /**
   * Runs `job` in a slot, or joins the source's fetch already running or queued (releasing the lock the
   * job came with: the running fetch has its own).
   */
  schedule(job: FetchJob<T>): Promise<T> {
    const { sourceId, lock: taken } = job;
    const running = this.inFlight.get(sourceId);
    if (running) {
      if (taken?.state === 'acquired') void taken.release();
      return running;
    }
    const place: Place = {
      sourceId,
      timeoutMs: job.timeoutMs,
      ...(taken ? { lock: Promise.resolve(taken), known: taken } : {}),
      lockedAt: Date.now(),
      started: false,
    };
    this.waiting.push(place);
    const task = this.slots.execute(async () => {
      this.running += 1;
      this.started(place);
      try {
        let lock = place.known ?? (place.lock && (await place.lock));
        if (lock && Date.now() - place.lockedAt > LOCK_MARGIN_MS / 2) {
          // It waited long for a slot: a lock taken ahead could run out before this fetch ends (its budget
          // starts now), and another instance's may be gone. Ask again.
          if (lock.state === 'acquired') await lock.release();
          lock = undefined;
        }
        return await job.run(lock);
      } finally {
        this.running -= 1;
        this.inFlight.delete(sourceId);
      }
    });
    this.inFlight.set(sourceId, task);
    return task;
  }

  /**
   * Marks `place` as started and asks for the locks of the next `LOCK_LOOKAHEAD` waiting fetches that do
   * not have one yet.
   */
  private started(place: Place): void {
    place.started = true;
    while (this.head < this.waiting.length && this.waiting[this.head]!.started) this.head += 1;
    if (this.head > 64 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    const unlocked: Place[] = [];
    let seen = 0;
    let nextInLineUnlocked = false;
    for (let i = this.head; i < this.waiting.length && seen < LOCK_LOOKAHEAD; i++) {
      const next = this.waiting[i]!;
      if (next.started) continue;
      if (seen === 0 && !next.lock) nextInLineUnlocked = true;
      seen += 1;
      if (!next.lock) unlocked.push(next);
    }
    if (unlocked.length === 0 || (!nextInLineUnlocked && unlocked.length < LOCK_LOOKAHEAD / 2)) return;
    const locks = this.locks.tryLockMany(
      unlocked.map((p) => ({ sourceId: p.sourceId, ttlMs: lockTtlFor(p.timeoutMs) })),
    );
    const now = Date.now();
    unlocked.forEach((p, i) => {
      p.lock = locks.then((all) => all[i]!);
      p.lockedAt = now;
    });
  }
}
