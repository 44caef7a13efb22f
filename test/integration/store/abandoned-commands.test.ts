import { TieredFigureStore } from '../../../src/store/figure-store';
import { keys } from '../../../src/store/keys';
import { RedisConnection } from '../../../src/store/redis-connection';
import type { RedisServer } from '../../helpers/redis';
import type { Backend } from './world';
import { flushAll, singleServer } from './world';

/**
 * Commands a hung Redis runs after their caller gave up. SIGSTOP leaves the connection open: the commands
 * sent while the server is stopped wait in its socket and run when it wakes, whatever the caller decided
 * when their deadline passed. A refresh lock taken that way belongs to nobody and held every instance's
 * refresh of its source until it expired (the SIGSTOP drill's occasional 2.4 s answer, once MGETs were
 * batched and more lock requests reached the stopped server before the breaker opened).
 */
describe('commands abandoned to a hung Redis (a single redis-server, SIGSTOP)', () => {
  let backend: Backend;
  let redis: RedisServer;
  const open: RedisConnection[] = [];

  beforeAll(async () => {
    backend = await singleServer();
    redis = backend.nodes[0]!;
  });
  afterAll(() => backend?.stop());
  beforeEach(() => flushAll(backend));
  afterEach(async () => {
    redis.resume();
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  async function connected(): Promise<{ connection: RedisConnection; store: TieredFigureStore }> {
    const connection = new RedisConnection(backend.target);
    open.push(connection);
    await connection.run((client) => client.ping());
    return { connection, store: new TieredFigureStore({ redis: connection }) };
  }

  test('a refresh lock requested while Redis was stopped is not left behind when it wakes', async () => {
    const a = await connected();
    const b = await connected();

    redis.pause();
    // Past its deadline the caller goes on without coordination...
    expect(await a.store.tryLock('s-hung', 60_000)).toEqual({ state: 'no-coordination' });
    redis.resume();
    // ...and once everything A sent before this PING has run (one connection's commands run in order),
    // the lock the server took late is gone again: nobody waits behind it for its 60 s.
    expect(await a.connection.client.ping()).toBe('PONG');
    expect(await redis.command('EXISTS', keys.lock('s-hung'))).toBe('0');
    const lock = await b.store.tryLock('s-hung', 60_000);
    expect(lock.state).toBe('acquired');
    if (lock.state === 'acquired') await lock.release();
  });

  test('the undo only drops its own lock: one another caller holds is kept', async () => {
    const a = await connected();
    const b = await connected();
    const held = await b.store.tryLock('s-held', 60_000);
    expect(held.state).toBe('acquired');

    redis.pause();
    expect(await a.store.tryLock('s-held', 60_000)).toEqual({ state: 'no-coordination' });
    redis.resume();
    expect(await a.connection.client.ping()).toBe('PONG');
    // A's late request found B's lock, and A's undo left it alone.
    expect(await a.store.tryLock('s-held', 60_000)).toEqual({ state: 'held-elsewhere' });
    if (held.state === 'acquired') await held.release();
    expect(await redis.command('EXISTS', keys.lock('s-held'))).toBe('0');
  });
});
