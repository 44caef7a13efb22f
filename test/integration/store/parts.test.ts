import { EMPTY_REPORT } from '../../../src/domain/figure';
import type { InvalidationMessage } from '../../../src/store/invalidation-bus';
import { RedisInvalidationBus } from '../../../src/store/invalidation-bus';
import { keys } from '../../../src/store/keys';
import { RedisConnection, redisFailureRecorder } from '../../../src/store/redis-connection';
import { StoreScripts } from '../../../src/store/redis-scripts';
import { RedisRefreshLocks } from '../../../src/store/refresh-locks';
import type { StoredReport } from '../../../src/store/stored-report';
import { storedText } from '../../../src/store/stored-report';
import type { Backend } from './world';
import { eventually, flushAll, singleServer } from './world';

const failed = redisFailureRecorder();
const at = (retrievedAt: number): StoredReport => ({ report: EMPTY_REPORT, retrievedAt });

/** The store's parts, each used alone on a real redis-server, as two instances would. */
describe("the store's parts, each alone (a single redis-server)", () => {
  let backend: Backend;
  const open: RedisConnection[] = [];
  beforeAll(async () => {
    backend = await singleServer();
  });
  afterAll(() => backend?.stop());
  beforeEach(() => flushAll(backend));
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  /** A connection of its own, ready. */
  async function connect(): Promise<RedisConnection> {
    const connection = new RedisConnection(backend.target);
    open.push(connection);
    await connection.run((client) => client.ping());
    return connection;
  }

  describe('the invalidation bus', () => {
    test('a message reaches the other instance and not the one that sent it; unreadable messages are dropped', async () => {
      // Both buses are made after their connections are up: a bus that subscribed only on a later 'ready'
      // event never heard anything until Redis reconnected.
      const a = new RedisInvalidationBus({ instanceId: 'a', redis: await connect(), failed });
      const b = new RedisInvalidationBus({ instanceId: 'b', redis: await connect(), failed });
      const heard: Record<'a' | 'b', InvalidationMessage[]> = { a: [], b: [] };
      let probed = false;
      a.onMessage((m) => heard.a.push(m));
      b.onMessage((m) => (m.sourceId === 'probe' ? (probed = true) : heard.b.push(m)));
      // B hears A once its subscription is made (on its own connection, after start).
      await eventually(async () => {
        await a.publish({ sourceId: 'probe', kind: 'invalidate' });
        return probed;
      }, "B's subscription");
      const raw = backend.client();
      try {
        await raw.publish(keys.invalidationChannel, 'not json');
        await raw.publish(keys.invalidationChannel, JSON.stringify({ kind: 'updated', from: 'x' }));
      } finally {
        raw.disconnect();
      }
      await a.publish({ sourceId: 's1', kind: 'updated' });
      await eventually(async () => heard.b.length === 1, "A's message at B");
      expect(heard.b).toEqual([{ sourceId: 's1', kind: 'updated', from: 'a' }]);
      expect(heard.a).toEqual([]);
      expect(JSON.parse(a.encode({ sourceId: 's1', kind: 'updated' }))).toEqual(heard.b[0]);
    });
  });

  describe('the refresh locks', () => {
    test("one instance holds a source's lock at a time; it takes over its own leftover; a release frees it", async () => {
      const a = new RedisRefreshLocks({
        instanceId: 'a',
        scripts: new StoreScripts(await connect()),
        failed,
      });
      const b = new RedisRefreshLocks({
        instanceId: 'b',
        scripts: new StoreScripts(await connect()),
        failed,
      });
      const leftover = await a.tryLock('s1', 5_000);
      expect(leftover).toMatchObject({ state: 'acquired', peeked: true, latest: undefined });
      expect(await b.tryLock('s1', 5_000)).toEqual({ state: 'held-elsewhere' });
      expect(await b.isHeld('s1')).toBe(true);
      // Only the instance that handed a lock out knows its token (a commit releases with it).
      expect(a.tokenOf(leftover)).toMatch(/^a:/);
      expect(b.tokenOf(leftover)).toBe('');
      const again = await a.tryLock('s1', 5_000);
      expect(again.state).toBe('acquired');
      // The leftover's token no longer holds the lock: releasing it leaves the new one alone.
      if (leftover.state === 'acquired') await leftover.release();
      expect(await b.isHeld('s1')).toBe(true);
      if (again.state === 'acquired') await again.release();
      expect(await b.isHeld('s1')).toBe(false);
      expect((await b.tryLock('s1', 5_000)).state).toBe('acquired');
    });
  });

  describe('the scripts', () => {
    test('the calls of one event-loop turn go out in one pipeline, each settling with its own answer, in order', async () => {
      const connection = await connect();
      const scripts = new StoreScripts(connection);
      await connection.client.set(keys.report('s-stored'), storedText(at(7)));
      const pipeline = jest.spyOn(connection.client, 'pipeline');
      const answers = await Promise.all([
        scripts.lookupOrLock([{ sourceId: 's-stored', token: 't1', lockMs: 5_000 }]),
        scripts.lookupOrLock([{ sourceId: 's-free', token: 't2', lockMs: 5_000 }]),
        scripts.lookupOrLock([{ sourceId: 's-free', token: 't3', lockMs: 5_000 }]),
        scripts.lookupOrLock([{ sourceId: 's-other', token: 't4', lockMs: undefined }]),
      ]);
      expect(answers).toEqual([[at(7)], ['locked'], ['held-elsewhere'], ['none']]);
      expect(pipeline).toHaveBeenCalledTimes(1);
      // A call alone in its turn is sent as it is.
      pipeline.mockClear();
      expect(await scripts.lookupOrLock([{ sourceId: 's-other', token: 't5', lockMs: undefined }])).toEqual([
        'none',
      ]);
      expect(pipeline).not.toHaveBeenCalled();
    });

    test('a commit writes a report not older than the stored one; an older one is refused with the newer report', async () => {
      const scripts = new StoreScripts(await connect());
      const refusals: Array<StoredReport | undefined> = [];
      const commit = (entry: StoredReport) =>
        scripts.commit('s1', entry, 60_000, 'announcement', '', (newer) => refusals.push(newer));
      expect(await commit(at(20))).toBe(1);
      expect(await commit(at(10))).toBe(storedText(at(20)));
      expect(refusals).toEqual([at(20)]);
      expect(await commit(at(20))).toBe(1);
      expect(refusals).toHaveLength(1);
    });
  });
});
