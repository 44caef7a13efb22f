import type Redis from 'ioredis';
import { EMPTY_REPORT } from '../../../src/domain/figure';
import { TieredFigureStore } from '../../../src/store/figure-store';
import { keys } from '../../../src/store/keys';
import {
  MAX_ASIDE_IN_FLIGHT,
  REDIS_BREAKER,
  REDIS_OPERATION_TIMEOUT_MS,
  RedisConnection,
} from '../../../src/store/redis-connection';
import type { RedisServer } from '../../helpers/redis';
import type { Backend } from './world';
import { eventually, flushAll, singleServer } from './world';

/**
 * PINGs `connection` once what it has been asked to send is written (the store's scripts go out at the end
 * of the event-loop turn) and answered: one connection's commands run in order, so by then Redis has run
 * all of them.
 */
async function everythingSentRuns(connection: RedisConnection): Promise<string> {
  await new Promise((resolve) => setImmediate(resolve));
  return connection.client.ping();
}

/**
 * One redis-server a test can stop (SIGSTOP) and wake, emptied before each test; connections and clients
 * a test opens (`open`) are closed after it, and the server is woken first if the test left it stopped.
 */
function hungRedisServer(): {
  readonly backend: Backend;
  readonly redis: RedisServer;
  readonly open: Array<{ close(): Promise<unknown> }>;
  connected(): Promise<{ connection: RedisConnection; store: TieredFigureStore }>;
} {
  let backend: Backend | undefined;
  const open: Array<{ close(): Promise<unknown> }> = [];
  beforeAll(async () => {
    backend = await singleServer();
  });
  afterAll(() => backend?.stop());
  beforeEach(() => flushAll(backend!));
  afterEach(async () => {
    backend!.nodes[0]!.resume();
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  return {
    get backend() {
      return backend!;
    },
    get redis() {
      return backend!.nodes[0]!;
    },
    open,
    async connected() {
      const connection = new RedisConnection(backend!.target);
      open.push(connection);
      await connection.run((client) => client.ping());
      return { connection, store: new TieredFigureStore({ redis: connection }) };
    },
  };
}

/**
 * Commands a hung Redis runs after their caller gave up. SIGSTOP leaves the connection open: the commands
 * sent while the server is stopped wait in its socket and run when it wakes, whatever the caller decided
 * when their deadline passed. A refresh lock taken that way belongs to nobody and held every instance's
 * refresh of its source until it expired (the SIGSTOP drill's occasional 2.4 s answer, once MGETs were
 * batched and more lock requests reached the stopped server before the breaker opened).
 */
describe('commands abandoned to a hung Redis (a single redis-server, SIGSTOP)', () => {
  const hung = hungRedisServer();
  const { connected } = hung;

  test('a refresh lock requested while Redis was stopped is not left behind when it wakes', async () => {
    const a = await connected();
    const b = await connected();

    hung.redis.pause();
    // Past its deadline the caller goes on without coordination...
    expect(await a.store.locks.tryLock('s-hung', 60_000)).toEqual({ state: 'no-coordination' });
    hung.redis.resume();
    // ...and once everything A sent before this PING has run (one connection's commands run in order),
    // the lock the server took late is gone again: nobody waits behind it for its 60 s.
    expect(await a.connection.client.ping()).toBe('PONG');
    expect(await hung.redis.command('EXISTS', keys.lock('s-hung'))).toBe('0');
    const lock = await b.store.locks.tryLock('s-hung', 60_000);
    expect(lock.state).toBe('acquired');
    if (lock.state === 'acquired') await lock.release();
  });

  test('the undo only drops its own lock: one another caller holds is kept', async () => {
    const a = await connected();
    const b = await connected();
    const held = await b.store.locks.tryLock('s-held', 60_000);
    expect(held.state).toBe('acquired');

    hung.redis.pause();
    expect(await a.store.locks.tryLock('s-held', 60_000)).toEqual({ state: 'no-coordination' });
    hung.redis.resume();
    expect(await a.connection.client.ping()).toBe('PONG');
    // A's late request found B's lock, and A's undo left it alone.
    expect(await a.store.locks.tryLock('s-held', 60_000)).toEqual({ state: 'held-elsewhere' });
    if (held.state === 'acquired') await held.release();
    expect(await hung.redis.command('EXISTS', keys.lock('s-held'))).toBe('0');
  });
});

/**
 * A report written late must not replace a newer one. A commit (SET report, PUBLISH, unlock) sent while
 * Redis was stopped runs when it wakes, possibly after another instance has written a newer report of
 * the same source: that older report then replaced the newer one in L2 and was announced to every
 * instance, which dropped their newer copies and read the older one.
 */
describe('a late commit (a single redis-server, SIGSTOP)', () => {
  const hung = hungRedisServer();
  const { open, connected } = hung;
  const timing = { freshMs: 60_000, keepMs: 60_000 };

  /** Every message on the invalidation channel from now on, in order. */
  async function announcements(): Promise<{ seen: string[]; flush(): Promise<void> }> {
    const watcher = hung.backend.client() as Redis;
    open.push({ close: async () => watcher.disconnect() });
    const seen: string[] = [];
    watcher.on('message', (_channel: string, text: string) => seen.push(text));
    await watcher.subscribe(keys.invalidationChannel);
    // A PING answered on the watcher's connection comes after every message published before it.
    return { seen, flush: async () => void (await watcher.ping()) };
  }

  async function storedAt(sourceId: string): Promise<number | undefined> {
    const text = await hung.redis.command('GET', keys.report(sourceId));
    return text ? (JSON.parse(text) as { retrievedAt: number }).retrievedAt : undefined;
  }

  test('an older report committed while Redis was stopped does not replace the newer one, is not announced, and still drops its lock', async () => {
    const a = await connected();
    const b = await connected();
    const lock = await a.store.locks.tryLock('s-late', 60_000);
    expect(lock.state).toBe('acquired');
    // B wrote a newer report (its refresh ran while A's fetch was still on its way).
    await b.store.reports.commit('s-late', { report: EMPTY_REPORT, retrievedAt: 2_000 }, 60_000, {
      state: 'no-coordination',
    });
    const messages = await announcements();

    hung.redis.pause();
    // A's commit of its older fetch misses its deadline; the server runs it when it wakes.
    await a.store.reports.commit('s-late', { report: EMPTY_REPORT, retrievedAt: 1_000 }, 60_000, lock);
    hung.redis.resume();
    expect(await everythingSentRuns(a.connection)).toBe('PONG');
    await messages.flush();

    expect(await storedAt('s-late')).toBe(2_000);
    expect(messages.seen).toEqual([]);
    expect(await hung.redis.command('EXISTS', keys.lock('s-late'))).toBe('0');
    // A's readers get the newer report too, once the late reply is in.
    await eventually(async () => {
      const [found] = await a.store.reports.lookupMany(['s-late'], () => timing, 2_001);
      return found?.tier === 'L1' && found.entry?.retrievedAt === 2_000;
    }, "A's L1 to hold the newer report");
  });

  test('a commit that finds an older report (or the old value layout) replaces it and announces it', async () => {
    const a = await connected();
    // Written as before this change: the report first, retrievedAt last.
    await hung.redis.command(
      'SET',
      keys.report('s-old'),
      JSON.stringify({ report: EMPTY_REPORT, retrievedAt: 500 }),
    );
    const messages = await announcements();
    await a.store.reports.commit('s-old', { report: EMPTY_REPORT, retrievedAt: 1_000 }, 60_000, {
      state: 'no-coordination',
    });
    await messages.flush();
    expect(await storedAt('s-old')).toBe(1_000);
    expect(messages.seen).toHaveLength(1);
  });

  test('a commit refuses to replace a newer report in the old value layout too', async () => {
    const a = await connected();
    await hung.redis.command(
      'SET',
      keys.report('s-old-newer'),
      JSON.stringify({ report: EMPTY_REPORT, retrievedAt: 3_000 }),
    );
    const messages = await announcements();
    await a.store.reports.commit('s-old-newer', { report: EMPTY_REPORT, retrievedAt: 1_000 }, 60_000, {
      state: 'no-coordination',
    });
    await messages.flush();
    expect(await storedAt('s-old-newer')).toBe(3_000);
    expect(messages.seen).toEqual([]);
    const [found] = await a.store.reports.lookupMany(['s-old-newer'], () => timing, 3_001);
    expect(found?.entry?.retrievedAt).toBe(3_000);
  });
});

/**
 * Releasing a lock must not depend on the breaker. While Redis hung, the release of a lock this instance
 * held legitimately was refused by the open breaker (or missed its deadline), so the lock outlived the
 * hang by its whole lifetime and every other instance waited behind it for a fetch already done.
 */
describe('releasing a lock while Redis hangs (a single redis-server, SIGSTOP)', () => {
  const hung = hungRedisServer();
  const { connected } = hung;

  /** Stops the server and fails enough operations on `connection` that its breaker opens. */
  async function hangUntilBreakerOpens(connection: RedisConnection): Promise<void> {
    hung.redis.pause();
    for (let i = 0; i < REDIS_BREAKER.consecutiveFailures; i += 1)
      await expect(connection.run((client) => client.ping())).rejects.toThrow();
    await expect(connection.run((client) => client.ping())).rejects.toThrow(/open|broken/i);
  }

  test('a release made while the breaker is open is sent anyway, returns at once without throwing, and runs when Redis wakes', async () => {
    const a = await connected();
    const b = await connected();
    const lock = await a.store.locks.tryLock('s-release', 60_000);
    expect(lock.state).toBe('acquired');

    await hangUntilBreakerOpens(a.connection);
    const started = performance.now();
    if (lock.state === 'acquired') await expect(lock.release()).resolves.toBeUndefined();
    expect(performance.now() - started).toBeLessThan(REDIS_OPERATION_TIMEOUT_MS);
    hung.redis.resume();
    expect(await everythingSentRuns(a.connection)).toBe('PONG');

    expect(await hung.redis.command('EXISTS', keys.lock('s-release'))).toBe('0');
    const again = await b.store.locks.tryLock('s-release', 60_000);
    expect(again.state).toBe('acquired');
  });

  test('a commit refused by the open breaker still releases its lock when Redis wakes', async () => {
    const a = await connected();
    const lock = await a.store.locks.tryLock('s-commit', 60_000);
    expect(lock.state).toBe('acquired');

    await hangUntilBreakerOpens(a.connection);
    await a.store.reports.commit('s-commit', { report: EMPTY_REPORT, retrievedAt: 1_000 }, 60_000, lock);
    hung.redis.resume();
    expect(await everythingSentRuns(a.connection)).toBe('PONG');

    expect(await hung.redis.command('EXISTS', keys.lock('s-commit'))).toBe('0');
  });

  test('commands sent aside are bounded: past the cap they are refused at once, not queued', async () => {
    const a = await connected();
    hung.redis.pause();
    const sent = Array.from({ length: MAX_ASIDE_IN_FLIGHT }, () =>
      a.connection.runAside((client) => client.ping()).catch(() => 'late'),
    );
    await expect(a.connection.runAside((client) => client.ping())).rejects.toThrow(/in flight/);
    hung.redis.resume();
    await Promise.all(sent);
    // Once the server has answered them there is room again.
    await eventually(
      () => a.connection.runAside((client) => client.ping()).catch(() => false),
      'room for a command sent aside',
    );
  });
});
