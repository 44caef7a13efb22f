import { createSimulator } from '../../../src/simulator';
import type { RunningGateway } from '../../helpers/gateway';
import { gql } from '../../helpers/gateway';
import type { RedisServer } from '../../helpers/redis';
import { freePort } from '../../helpers/redis';
import type { Timed, World } from './world';
import {
  HANG_GUARD_MS,
  ROLE_HEADER,
  driftUntilChanged,
  dumpAll,
  entryOf,
  eventually,
  expectedOf,
  metricSum,
  national,
  readyz,
  singleServer,
  sleep,
  timedNational,
  world,
} from './world';
import type { Backend } from './world';

/** Six single-force feeds: enough to exercise every Redis operation, few enough to query 100 times fast. */
const FEEDS = createSimulator()
  .feeds.filter((f) => f.headline && f.forces.length === 1)
  .slice(0, 6);
const FEED_IDS = FEEDS.map((f) => f.id);
const FORCES = FEEDS.map((f) => f.forces[0]!);

/** An answer in a drill: HTTP 200, no errors, every configured force reporting, within the hang guard. */
function expectServed(results: readonly Timed<any>[]): void {
  const failed = results.filter(
    ({ res }) =>
      res.status !== 200 ||
      res.body.errors !== undefined ||
      res.body.data?.national.coverage.reporting !== FORCES.length ||
      res.body.data?.national.coverage.unavailable !== 0,
  );
  expect(failed.map(({ res }) => res.text)).toEqual([]);
  const slow = results.filter(({ ms }) => ms >= HANG_GUARD_MS).map(({ ms }) => Math.round(ms));
  expect(slow).toEqual([]);
}

/**
 * Queries one instance in a loop until `stop()` resolves, moving the clock past the ttl before each
 * query, so every query reads L2 and starts background refreshes (lock, SET, PUBLISH): Redis is used all
 * the time, not only on a cold start.
 */
function queryLoop(w: World, gw: RunningGateway, max = 1000) {
  const results: Timed<any>[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped && results.length < max) {
      w.clock.advance(31_000);
      results.push(await timedNational(gw));
    }
  })();
  const loop = {
    count: () => results.length,
    /** Resolves once `max` queries have been answered. */
    finished: async () => {
      await done;
      return results;
    },
    stop: async () => {
      stopped = true;
      return loop.finished();
    },
  };
  running.add(loop);
  return loop;
}

/** Loops still running when a test ends (a failed assertion) are stopped before the world closes. */
const running = new Set<{ stop(): Promise<unknown> }>();

/** `/readyz` while degraded: still 200 (the instance serves), with a reason naming Redis. */
async function degradedReason(gw: RunningGateway): Promise<string | false> {
  const { status, body } = await readyz(gw);
  expect(status).toBe(200);
  return body.reasons.length > 0 && String(body.reasons[0]);
}

async function healthy(gw: RunningGateway): Promise<boolean> {
  const { status, body } = await readyz(gw);
  return status === 200 && body.reasons.length === 0;
}

describe('Redis failing while the gateway serves (CATALOGUE: Redis)', () => {
  let backend: Backend;
  let redis: RedisServer;
  let w: World | undefined;

  beforeAll(async () => {
    backend = await singleServer();
    redis = backend.nodes[0]!;
  });
  afterAll(() => backend?.stop());
  beforeEach(async () => {
    // Each drill starts from a running, empty server.
    redis.resume();
    if ((await redis.command('PING').catch(() => '')) !== 'PONG') await redis.restart();
    await redis.command('FLUSHALL');
  });
  afterEach(async () => {
    redis.resume();
    await Promise.allSettled([...running].map((loop) => loop.stop()));
    running.clear();
    await w?.close();
    w = undefined;
  });

  describe('1. not running at start', () => {
    let port: number;
    beforeEach(async () => {
      port = await freePort(); // nothing listens there
      w = await world({ redis: { url: `redis://127.0.0.1:${port}` }, gateway: { feeds: FEED_IDS } });
    });

    test('the gateway starts and answers national correctly from upstream, then from L1', async () => {
      const gw = w!.instances[0]!;
      const started = performance.now();
      const cold = await national(gw);
      expect(performance.now() - started).toBeLessThan(HANG_GUARD_MS);
      expect(cold.cacheStatus.tiers).toEqual({ L1: 0, L2: 0, UPSTREAM: FEEDS.length });
      for (const forceId of FORCES)
        expect(entryOf(cold.data, forceId).figure).toMatchObject({
          value: expectedOf(w!.sim, forceId),
          status: 'REPORTED',
          freshness: 'FRESH',
        });
      expect(cold.data.national.coverage).toMatchObject({ reporting: FORCES.length, unavailable: 0 });

      w!.sim.resetCounts();
      w!.clock.advance(1_000);
      const warm = await national(gw);
      expect(warm.data.national).toEqual(cold.data.national);
      expect(w!.sim.requestCount()).toBe(0);
    });

    test('/readyz stays 200 (the instance still serves) with a reason naming Redis', async () => {
      const reason = await degradedReason(w!.instances[0]!);
      expect(reason).toMatch(/^redis .*: serving from L1 and upstream$/);
    });

    test('/readyz says degraded', async () => {
      const { body } = await readyz(w!.instances[0]!);
      expect(body.status).toBe('degraded');
    });
  });

  describe('2. killed while serving', () => {
    test('about 100 queries around the kill all answer 200 without errors, none beyond the hang guard, and the Redis error counter rises', async () => {
      w = await world({ redis: backend.target, gateway: { feeds: FEED_IDS } });
      const gw = w.instances[0]!;
      await national(gw);
      const errorsBefore = await metricSum(gw, 'whereabouts_redis_errors_total');
      const loop = queryLoop(w, gw, 100);
      await eventually(async () => loop.count() >= 30, '30 queries before the kill', 5000, 5);
      await redis.kill();
      const results = await loop.finished();
      expect(results).toHaveLength(100);
      expectServed(results);
      expect(await metricSum(gw, 'whereabouts_redis_errors_total')).toBeGreaterThan(errorsBefore);
      expect(await degradedReason(gw)).toMatch(/^redis /);
    });
  });

  describe('3. comes back', () => {
    test('after a restart the gateway reconnects by itself: /readyz clears, L2 is written and read again, and pub/sub reaches it again', async () => {
      w = await world({ redis: backend.target, gateway: { feeds: FEED_IDS } });
      const a = w.instances[0]!;
      await national(a);
      await redis.kill();
      const down = queryLoop(w, a, 5);
      expectServed(await down.stop());

      await redis.restart(); // same port, empty
      await eventually(() => healthy(a), '/readyz to clear', 3000, 50);
      // A's next refreshes land in the new, empty server.
      await eventually(
        async () => {
          w!.clock.advance(31_000);
          await national(a);
          const reports = (await dumpAll(backend)).filter((e) => e.key.endsWith(':report'));
          return reports.length === FEEDS.length;
        },
        'the reports to be written to the restarted Redis',
        3000,
        50,
      );

      // A second instance with a cold L1 is answered from L2, not upstream.
      w.sim.resetCounts();
      const b = await w.start();
      const fromL2 = await national(b);
      expect(w.sim.requestCount()).toBe(0);
      expect(fromL2.cacheStatus.tiers).toEqual({ L1: 0, L2: FEEDS.length, UPSTREAM: 0 });

      // And A hears B's invalidations again (it re-subscribed after reconnecting).
      const forceId = FORCES[0]!;
      const drifted = driftUntilChanged(w.sim, forceId);
      const res = await gql(
        b.graphqlUrl,
        `mutation { refreshSource(id: "${FEED_IDS[0]}") { state } }`,
        undefined,
        {
          [ROLE_HEADER]: 'operator',
        },
      );
      expect(res.body).toEqual({ data: { refreshSource: { state: 'OK' } } });
      await eventually(
        async () => entryOf((await national(a)).data, forceId).figure.value === drifted,
        'instance A to serve the refreshed figure',
        1000,
      );
    });
  });

  describe('4. hung (SIGSTOP: accepts connections, never answers)', () => {
    test('requests still answer within the hang guard, /readyz reports Redis, and after SIGCONT it recovers', async () => {
      w = await world({ redis: backend.target, gateway: { feeds: FEED_IDS } });
      const gw = w.instances[0]!;
      await national(gw);
      expect(await healthy(gw)).toBe(true);

      redis.pause();
      const hung = queryLoop(w, gw);
      const reason = await eventually(() => degradedReason(gw), '/readyz to report Redis', 2000, 50);
      expect(reason).toMatch(/^redis /);
      await eventually(async () => hung.count() >= 20, '20 queries while hung', 5000, 10);
      expectServed(await hung.stop());

      redis.resume();
      const after = queryLoop(w, gw);
      await eventually(() => healthy(gw), '/readyz to clear after SIGCONT', 3000, 50);
      expectServed(await after.stop());
      // Recovered: queries that use Redis no longer fail.
      const errors = await metricSum(gw, 'whereabouts_redis_errors_total');
      expectServed(await queryLoop(w, gw, 10).stop());
      expect(await metricSum(gw, 'whereabouts_redis_errors_total')).toBe(errors);
    });
  });

  describe('5. flapping', () => {
    test('killed and restarted three times over a few seconds while two clients query: zero failed requests', async () => {
      w = await world({ redis: backend.target, gateway: { feeds: FEED_IDS }, instances: 2 });
      const [a, b] = w.instances as [RunningGateway, RunningGateway];
      await Promise.all([national(a), national(b)]);
      const loops = [queryLoop(w, a), queryLoop(w, b)];
      for (let i = 0; i < 3; i += 1) {
        await sleep(250);
        await redis.kill();
        await sleep(250);
        await redis.restart();
      }
      await sleep(250);
      const results = (await Promise.all(loops.map((l) => l.stop()))).flat();
      expect(results.length).toBeGreaterThan(20);
      expectServed(results);
      // And both instances end up connected again.
      await eventually(
        async () => (await healthy(a)) && (await healthy(b)),
        'both instances to reconnect',
        3000,
        50,
      );
    });
  });
});
