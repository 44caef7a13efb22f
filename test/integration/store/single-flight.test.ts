import { EMPTY_REPORT } from '../../../src/domain/figure';
import { TieredFigureStore } from '../../../src/store/figure-store';
import { RedisConnection } from '../../../src/store/redis-connection';
import { gql } from '../../helpers/gateway';
import type { RunningGateway } from '../../helpers/gateway';
import type { Backend, World } from './world';
import { ROLE_HEADER, eventually, flushAll, metricSum, national, singleServer, world } from './world';

/** Feeds answer after 50-100 ms, so that concurrent fetches overlap. */
const LATENCY = { latencyMs: [50, 100] as const };

/** Each of `n` concurrent national queries must succeed and agree with the simulator. */
async function concurrentNational(gateways: readonly RunningGateway[], n: number, w: World) {
  const answers = await Promise.all(
    Array.from({ length: n }, (_, i) => national(gateways[i % gateways.length]!)),
  );
  for (const { data } of answers) {
    expect(data.national.coverage).toMatchObject({ reporting: 45, unavailable: 0 });
    expect(data.national.unaccounted.value).toBe(w.sim.expected().unaccounted);
  }
  return answers;
}

function onePerFeed(w: World): void {
  expect(w.sim.requestCounts()).toEqual(Object.fromEntries(w.sim.feeds.map((f) => [f.id, 1])));
}

describe('single flight: one upstream request per source at a time', () => {
  let backend: Backend;
  let w: World | undefined;
  beforeAll(async () => {
    backend = await singleServer();
  });
  afterAll(() => backend?.stop());
  beforeEach(() => flushAll(backend));
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  describe('in one process', () => {
    test('fifty concurrent national queries on a cold instance make exactly one upstream request per source', async () => {
      w = await world({ redis: backend.target, simulator: LATENCY });
      await concurrentNational(w.instances, 50, w);
      onePerFeed(w);
    });

    test('past the ttl, fifty concurrent queries are served stale and make one background refresh per source', async () => {
      w = await world({ redis: backend.target, simulator: LATENCY });
      const gw = w.instances[0]!;
      await national(gw);
      w.clock.advance(31_000);
      w.sim.resetCounts();
      const answers = await Promise.all(Array.from({ length: 50 }, () => national(gw)));
      expect(answers[0]!.cacheStatus.sources.stale).toBe(w.config.sources.length);
      // Once the refreshes land, every source is fresh again.
      const sources = w.config.sources.length;
      await eventually(
        async () => (await national(gw)).cacheStatus.sources.fresh === sources,
        'the background refreshes to land',
        2000,
      );
      onePerFeed(w);
    });

    test('ten concurrent operator refreshes of one source make one upstream request', async () => {
      w = await world({ redis: backend.target, simulator: LATENCY });
      const gw = w.instances[0]!;
      await national(gw);
      w.sim.resetCounts();
      const feed = w.sim.feeds.find((f) => f.shape === 'counts' && f.forces.length === 1)!;
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          gql(gw.graphqlUrl, `mutation { refreshSource(id: "${feed.id}") { id state } }`, undefined, {
            [ROLE_HEADER]: 'operator',
          }),
        ),
      );
      for (const res of answers)
        expect(res.body).toEqual({ data: { refreshSource: { id: feed.id, state: 'OK' } } });
      expect(w.sim.requestCount(feed.id)).toBe(1);
      expect(w.sim.requestCount()).toBe(1);
    });
  });

  describe('across instances sharing one Redis', () => {
    test('three cold instances hit concurrently make exactly one upstream request per source between them', async () => {
      w = await world({ redis: backend.target, simulator: LATENCY, instances: 3 });
      await concurrentNational(w.instances, 30, w);
      onePerFeed(w);
      const waits = async (result: string) => {
        let sum = 0;
        for (const gw of w!.instances)
          sum += await metricSum(gw, 'whereabouts_refresh_lock_waits_total', `result="${result}"`);
        return sum;
      };
      // The instances that did not fetch a source waited for the one that did, and none gave up.
      expect(await waits('received')).toBeGreaterThan(0);
      expect(await waits('gave-up')).toBe(0);
    });

    test('past the ttl, three instances revalidating at once make one upstream request per source between them', async () => {
      w = await world({ redis: backend.target, simulator: LATENCY, instances: 3 });
      await concurrentNational(w.instances, 3, w);
      w.clock.advance(31_000);
      w.sim.resetCounts();
      const stale = await Promise.all(w.instances.map((gw) => national(gw)));
      // Each is served at once: stale, or already fresh where another instance's refresh landed first.
      for (const { cacheStatus } of stale) expect(cacheStatus.sources.unavailable).toBe(0);
      expect(stale[0]!.cacheStatus.sources.stale).toBe(w.config.sources.length);
      const sources = w.config.sources.length;
      await eventually(
        async () => {
          const fresh = await Promise.all(
            w!.instances.map(async (gw) => (await national(gw)).cacheStatus.sources.fresh),
          );
          return fresh.every((n) => n === sources);
        },
        'every instance to serve every source fresh',
        2000,
      );
      onePerFeed(w);
    });
  });

  describe('the cross-instance lock', () => {
    const report = EMPTY_REPORT;
    const timing = { freshMs: 30_000, keepMs: 330_000 };
    let stores: TieredFigureStore[] = [];
    afterEach(async () => {
      await Promise.all(stores.map((s) => s.close()));
      stores = [];
    });
    const storePair = () => {
      stores = [0, 1].map(() => new TieredFigureStore({ redis: new RedisConnection(backend.target) }));
      return stores as [TieredFigureStore, TieredFigureStore];
    };

    test('is exclusive: a second instance is told the lock is held, and gets it once released', async () => {
      const [a, b] = storePair();
      const lock = await a.locks.tryLock('s1', 5000);
      expect(lock.state).toBe('acquired');
      expect((await b.locks.tryLock('s1', 5000)).state).toBe('held-elsewhere');
      if (lock.state === 'acquired') await lock.release();
      const again = await b.locks.tryLock('s1', 5000);
      expect(again.state).toBe('acquired');
      if (again.state === 'acquired') await again.release();
    });

    test("an instance takes over a lock it left behind (an unlock that never ran), never another's", async () => {
      const [a, b] = storePair();
      const leftover = await a.locks.tryLock('s3', 5000);
      expect(leftover.state).toBe('acquired');
      // Not released: as after a lock command that timed out here but ran once a hung Redis resumed.
      const again = await a.locks.tryLock('s3', 5000);
      expect(again.state).toBe('acquired');
      expect((await b.locks.tryLock('s3', 5000)).state).toBe('held-elsewhere');
      // The leftover's token no longer holds the lock: releasing it leaves the new holder's lock alone.
      if (leftover.state === 'acquired') await leftover.release();
      expect((await b.locks.tryLock('s3', 5000)).state).toBe('held-elsewhere');
      if (again.state === 'acquired') await again.release();
      expect((await b.locks.tryLock('s3', 5000)).state).toBe('acquired');
    });

    test("a waiter receives the holder's report as soon as it lands in L2", async () => {
      const [a, b] = storePair();
      const lock = await a.locks.tryLock('s2', 5000);
      const waiting = b.reports.waitForNewer('s2', 0, 2000, timing);
      const entry = { report, retrievedAt: 1_000 };
      await new Promise((r) => setTimeout(r, 100));
      await a.reports.commit('s2', entry, timing.keepMs, lock);
      expect(await waiting).toEqual(entry);
    });

    test("a waiter whose lock holder finishes between the waiter's L2 read and its lock check still takes the holder's report", async () => {
      const [a, b] = storePair();
      const lock = await a.locks.tryLock('s3', 5000);
      expect(lock.state).toBe('acquired');
      const entry = { report, retrievedAt: 2_000 };
      // Just before B checks whether the lock is still held, A writes its report and releases the lock.
      const client = (b as unknown as { redis: RedisConnection }).redis.client;
      const exists = client.exists.bind(client);
      const spy = jest.spyOn(client, 'exists').mockImplementationOnce((async (...args: [string]) => {
        await a.reports.commit('s3', entry, timing.keepMs, lock);
        return exists(...args);
      }) as never);
      // Without a last look at L2 the waiter would give up and fetch upstream itself: a second fetch.
      expect(await b.reports.waitForNewer('s3', 0, 2000, timing)).toEqual(entry);
      expect(spy).toHaveBeenCalledTimes(1);
    });
  });
});
