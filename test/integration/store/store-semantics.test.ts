import { TieredFigureStore } from '../../../src/store/figure-store';
import { RedisConnection } from '../../../src/store/redis-connection';
import { KEY_PREFIX } from '../../../src/store/keys';
import { PII_CANARIES, createSimulator } from '../../../src/simulator';
import type { FeedDefinition, Simulator } from '../../../src/simulator';
import { gql } from '../../helpers/gateway';
import type { Backend, World } from './world';
import {
  ROLE_HEADER,
  cluster,
  driftUntilChanged,
  dumpAll,
  entryOf,
  eventually,
  expectedOf,
  flushAll,
  metricSum,
  national,
  singleServer,
  sourceOf,
  world,
} from './world';

/** A single-force feed serving the headline count. */
function headlineFeed(sim: Simulator, kind: FeedDefinition['kind'] = 'csv'): FeedDefinition {
  const feed = sim.feeds.find((f) => f.kind === kind && f.shape === 'counts' && f.forces.length === 1);
  if (!feed) throw new Error(`no single-force ${kind} counts feed`);
  return feed;
}

/** Every force's served headline value equals what the simulator serves now; nothing is missing. */
function expectAllCurrent(data: any, sim: Simulator): void {
  const expected = sim.expected();
  expect(data.national.coverage).toMatchObject({ forces: 45, reporting: 45, unavailable: 0 });
  expect(data.national.unaccounted.value).toBe(expected.unaccounted);
  const served = Object.fromEntries(
    data.national.forces.map((e: any) => [e.force.id, e.figure.value] as [string, number]),
  );
  expect(served).toEqual(Object.fromEntries(expected.forces.map((f) => [f.forceId, f.unaccounted])));
}

describe.each([
  ['a single redis-server', singleServer],
  ['a real 3-master Redis Cluster', cluster],
] as const)('the figure store on %s', (_name, startBackend) => {
  let backend: Backend;
  let w: World | undefined;
  beforeAll(async () => {
    backend = await startBackend();
  }, 30_000);
  afterAll(() => backend?.stop());
  beforeEach(() => flushAll(backend));
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  test('locks and lookups for several sources in one call: taken, held by another instance, or found stored', async () => {
    const a = new TieredFigureStore({ redis: new RedisConnection(backend.target) });
    const b = new TieredFigureStore({ redis: new RedisConnection(backend.target) });
    try {
      const report = { figures: [], breakdowns: [], publishedTotals: [] };
      await a.reports.commit('k-full', { report, retrievedAt: 7 }, 60_000, { state: 'no-coordination' });
      expect((await b.locks.tryLock('k-held', 5000)).state).toBe('acquired');
      const ttlMs = 5000;
      const locks = await a.locks.tryLockMany(
        ['k-empty', 'k-full', 'k-held'].map((sourceId) => ({ sourceId, ttlMs })),
      );
      expect(locks.map((l) => l.state)).toEqual(['acquired', 'acquired', 'held-elsewhere']);
      expect(locks[1]).toMatchObject({ latest: { retrievedAt: 7 } });
      for (const lock of locks) if (lock.state === 'acquired') await lock.release();
      const timing = () => ({ freshMs: 60_000, keepMs: 60_000 });
      const found = await Promise.all(
        b.reports.lookupAndLock(['k-full', 'k-free', 'k-held'], timing, 10, () => ttlMs),
      );
      expect(found.map((f) => [f.tier, f.entry?.retrievedAt, f.lock?.state])).toEqual([
        ['L2', 7, undefined],
        [null, undefined, 'acquired'],
        // The lookup never takes a lock over, not even its own instance's (b still holds this one).
        [null, undefined, 'held-elsewhere'],
      ]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a commit never replaces a newer report: it writes and announces nothing, still unlocks, and the instance keeps the newer one', async () => {
    const stores = [0, 1, 2].map(() => new TieredFigureStore({ redis: new RedisConnection(backend.target) }));
    const [a, b, c] = stores as [TieredFigureStore, TieredFigureStore, TieredFigureStore];
    const report = { figures: [], breakdowns: [], publishedTotals: [] };
    const fromL2 = async (nowMs: number) => {
      // freshMs 0: C reads L2 every time, and takes L2's report over its L1 copy whenever L2's is newer.
      const [found] = await c.reports.lookupMany(['k-race'], () => ({ freshMs: 0, keepMs: 60_000 }), nowMs);
      return found?.entry?.retrievedAt;
    };
    const heardByC: string[] = [];
    let probed = false;
    c.bus.onMessage((m) =>
      m.sourceId === 'k-probe' ? (probed = true) : heardByC.push(`${m.sourceId} ${m.kind}`),
    );
    try {
      // C hears announcements once its subscription is made (on its own connection, after start).
      await eventually(async () => {
        await b.bus.publish({ sourceId: 'k-probe', kind: 'invalidate' });
        return probed;
      }, "C's subscription");
      const lock = await a.locks.tryLock('k-race', 5000);
      expect(lock.state).toBe('acquired');
      // B's refresh lands first, with a report fetched after A's.
      await b.reports.commit('k-race', { report, retrievedAt: 20 }, 60_000, { state: 'no-coordination' });
      await eventually(async () => heardByC.length === 1, "B's announcement");
      await a.reports.commit('k-race', { report, retrievedAt: 10 }, 60_000, lock);
      expect(await fromL2(21)).toBe(20);
      const [onA] = await a.reports.lookupMany(['k-race'], () => ({ freshMs: 60_000, keepMs: 60_000 }), 21);
      expect(onA).toMatchObject({ tier: 'L1', entry: { retrievedAt: 20 } });
      expect((await b.locks.tryLock('k-race', 5000)).state).toBe('acquired');
      // A report fetched later than the stored one replaces it and is announced as before.
      await a.reports.commit('k-race', { report, retrievedAt: 30 }, 60_000, { state: 'no-coordination' });
      expect(await fromL2(31)).toBe(30);
      // A's refused commit would have been announced before this one (one connection, in order).
      await eventually(async () => heardByC.length === 2, "A's announcement");
      expect(heardByC).toEqual(['k-race updated', 'k-race updated']);
      await new Promise((r) => setTimeout(r, 50));
      expect(heardByC).toHaveLength(2);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  describe('cache timeline (ttl 30 s, staleFor 300 s, on a hand-moved clock)', () => {
    test.each([
      ['answering HTTP 500', { mode: 'http500' } as const, 'UPSTREAM_HTTP_ERROR'],
      ['hanging', { mode: 'hang' } as const, 'UPSTREAM_TIMEOUT'],
    ])(
      'FRESH within ttl, STALE past it with one background refresh, STALE while the source is %s until staleFor ends, then UNAVAILABLE, and FRESH again once it recovers',
      async (_how, fault, code) => {
        const feedId = headlineFeed(createSimulator()).id;
        // The failing source times out in 400 ms; the others have the default budget.
        w = await world({ redis: backend.target, timeouts: { [feedId]: 400 } });
        const { sim, clock } = w;
        const gw = w.instances[0]!;
        const sources = w.config.sources.length;
        const feed = headlineFeed(sim);
        const forceId = feed.forces[0]!;

        // t = 0, cold: every source fetched once, everything fresh.
        let r = await national(gw);
        expect(r.cacheStatus).toEqual({
          snapshot: 'BUILT',
          sources: { fresh: sources, stale: 0, unavailable: 0 },
          tiers: { L1: 0, L2: 0, UPSTREAM: sources },
        });
        expect(entryOf(r.data, forceId)).toMatchObject({
          stale: false,
          figure: { value: expectedOf(sim, forceId), freshness: 'FRESH' },
        });
        expect(sim.requestCount()).toBe(sources);

        // t = 29 s: still within ttl, served from the precomputed snapshot, no upstream request.
        clock.advance(29_000);
        sim.resetCounts();
        r = await national(gw);
        expect(r.cacheStatus.snapshot).toBe('HIT');
        expect(r.cacheStatus.sources).toEqual({ fresh: sources, stale: 0, unavailable: 0 });
        expect(entryOf(r.data, forceId).figure.freshness).toBe('FRESH');
        expect(sim.requestCount()).toBe(0);

        // t = 31 s: past ttl. Served STALE at once while one refresh per source runs in the background.
        clock.advance(2_000);
        const old = entryOf(r.data, forceId).figure.value;
        r = await national(gw);
        expect(r.cacheStatus.sources).toEqual({ fresh: 0, stale: sources, unavailable: 0 });
        expect(entryOf(r.data, forceId)).toMatchObject({
          stale: true,
          figure: { value: old, freshness: 'STALE' },
        });
        await Promise.all([1, 2, 3, 4].map(() => national(gw)));
        r = await eventually(async () => {
          const now = await national(gw);
          return now.cacheStatus.sources.fresh === sources && now;
        }, 'the background refreshes to land');
        expect(Object.values(sim.requestCounts())).toEqual(Array(sources).fill(1));
        const goodValue = expectedOf(sim, forceId);
        const goodAt = clock.now();
        expect(entryOf(r.data, forceId)).toMatchObject({
          stale: false,
          figure: { value: goodValue, freshness: 'FRESH' },
        });

        // t = 62 s: past ttl again, and the source now fails: STALE (with the reason) while it fails.
        clock.advance(31_000);
        sim.setFault(feed.id, fault);
        await national(gw); // triggers the refreshes
        r = await eventually(
          async () => {
            const now = await national(gw);
            const failed = sourceOf(now.data, feed.id).error?.code === code;
            return failed && now.cacheStatus.sources.fresh === sources - 1 && now;
          },
          'the failed refresh to be recorded and the healthy sources to refresh',
          2000,
        );
        expect(r.cacheStatus.sources).toEqual({ fresh: sources - 1, stale: 1, unavailable: 0 });
        expect(entryOf(r.data, forceId)).toMatchObject({
          outcome: 'REPORTED',
          stale: true,
          figure: { value: goodValue, status: 'REPORTED', freshness: 'STALE' },
        });
        expect(sourceOf(r.data, feed.id)).toMatchObject({ state: 'STALE', error: { code } });

        // Just inside staleFor (age 329 s): still STALE, still the last good value.
        clock.advance(goodAt + 329_000 - clock.now());
        r = await national(gw);
        expect(entryOf(r.data, forceId)).toMatchObject({
          outcome: 'REPORTED',
          figure: { value: goodValue, freshness: 'STALE' },
        });

        // Past staleFor (age 331 s): nothing usable is left, so the force is UNAVAILABLE with the reason.
        clock.advance(2_000);
        r = await national(gw);
        expect(entryOf(r.data, forceId)).toMatchObject({
          outcome: 'UNAVAILABLE',
          figure: { value: null, status: 'UNAVAILABLE', reason: { code } },
        });
        expect(r.data.national.coverage).toMatchObject({ reporting: 44, unavailable: 1 });
        expect(r.cacheStatus.sources.unavailable).toBe(1);

        // Recovery: the next read fetches it and it is FRESH, with what the source says now.
        sim.setFault(feed.id, null);
        r = await eventually(
          async () => {
            clock.advance(1_001); // past the one second a snapshot with a failing source is reused
            const now = await national(gw);
            return now.cacheStatus.sources.fresh === sources && now;
          },
          'every source to be fresh again',
          3000,
        );
        expect(entryOf(r.data, forceId)).toMatchObject({
          outcome: 'REPORTED',
          stale: false,
          figure: { value: expectedOf(sim, forceId), freshness: 'FRESH', reason: null },
        });
        expect(sourceOf(r.data, feed.id)).toMatchObject({ state: 'OK', error: null });
      },
    );
  });

  describe('keys', () => {
    test('every key is under the versioned prefix, each source has one report carrying its {s:<id>} hash tag, and no value holds personal data', async () => {
      w = await world({ redis: backend.target });
      const records = w.sim.feeds.filter((f) => f.shape === 'records');
      expect(records.length).toBeGreaterThan(0);
      for (const feed of records) w.sim.setFault(feed.id, { mode: 'pii' });
      const { data } = await national(w.instances[0]!);
      expect(data.national.coverage.unavailable).toBe(0);
      // A records feed really served the canaries, and they were reduced to counts.
      expect(w.sim.render(records[0]!.id).body).toContain(PII_CANARIES.name);

      const entries = await dumpAll(backend);
      expect(entries.length).toBeGreaterThan(0);
      for (const { key } of entries) {
        expect(key.startsWith(KEY_PREFIX)).toBe(true);
        // Source keys carry their hash tag; rate-limit counters are per key id (one key each, any slot).
        expect(key).toMatch(/^wa:v1:(\{s:[a-z0-9-]+\}:|rl:[a-z]+:)/);
      }
      const reports = entries.filter((e) => e.key.endsWith(':report'));
      const ids = reports.map((e) => /^wa:v1:\{s:([a-z0-9-]+)\}:report$/.exec(e.key)?.[1]);
      expect(ids.sort()).toEqual(w.config.sources.map((s) => s.id).sort());
      // Hash tags spread the sources over every master (one node for a single server).
      expect(new Set(reports.map((e) => e.node)).size).toBe(backend.nodes.length);

      const hits = entries.filter(({ key, value }) =>
        Object.values(PII_CANARIES).some((c) => key.includes(c) || value.includes(c)),
      );
      expect(hits).toEqual([]);
      // The records feeds' reports are there, as counts.
      for (const feed of records) {
        const stored = reports.find((e) => e.key === `wa:v1:{s:${feed.id}}:report`)!;
        expect(JSON.parse(stored.value).report.figures.length).toBeGreaterThan(0);
      }
    });
  });

  describe('L2 shared between instances', () => {
    test('a second instance with a cold L1 answers a national query from L2 with zero upstream requests', async () => {
      w = await world({ redis: backend.target });
      const sources = w.config.sources.length;
      const first = await national(w.instances[0]!);
      w.sim.resetCounts();
      const second = await w.start();
      const r = await national(second);
      expect(w.sim.requestCount()).toBe(0);
      expect(r.cacheStatus).toEqual({
        snapshot: 'BUILT',
        sources: { fresh: sources, stale: 0, unavailable: 0 },
        tiers: { L1: 0, L2: sources, UPSTREAM: 0 },
      });
      expect(r.data.national).toEqual(first.data.national);
      expect(await metricSum(second, 'whereabouts_cache_hits_total', 'tier="L2"')).toBe(sources);
      expect(await metricSum(second, 'whereabouts_cache_misses_total')).toBe(0);
    });

    test('an operator refresh on one instance reaches the other through pub/sub within a second', async () => {
      w = await world({ redis: backend.target, instances: 2 });
      const [a, b] = w.instances as [(typeof w.instances)[0], (typeof w.instances)[0]];
      const feed = headlineFeed(w.sim, 'json');
      const forceId = feed.forces[0]!;
      await national(a);
      const before = entryOf((await national(b)).data, forceId).figure.value;
      const drifted = driftUntilChanged(w.sim, forceId);
      expect(drifted).not.toBe(before);

      const res = await gql(
        a.graphqlUrl,
        `mutation { refreshSource(id: "${feed.id}") { id state } }`,
        undefined,
        { [ROLE_HEADER]: 'operator' },
      );
      expect(res.body).toEqual({ data: { refreshSource: { id: feed.id, state: 'OK' } } });
      await eventually(
        async () => entryOf((await national(b)).data, forceId).figure.value === drifted,
        'instance B to serve the refreshed figure',
        1000,
      );
    });
  });

  describe('Redis losing keys', () => {
    test('after FLUSHALL on every node, a fresh instance refetches every source once and serves what the sources say now; Redis holds the reports again', async () => {
      w = await world({ redis: backend.target });
      const sources = w.config.sources.length;
      await national(w.instances[0]!);
      await flushAll(backend);
      w.sim.advance(w.sim.driftIntervalMs); // the sources changed meanwhile
      w.sim.resetCounts();
      const r = await national(await w.start());
      expect(Object.values(w.sim.requestCounts())).toEqual(Array(sources).fill(1));
      expect(r.cacheStatus.tiers).toEqual({ L1: 0, L2: 0, UPSTREAM: sources });
      expectAllCurrent(r.data, w.sim);
      const reports = (await dumpAll(backend)).filter((e) => e.key.endsWith(':report'));
      expect(reports).toHaveLength(sources);
    });

    test('after FLUSHALL, an instance whose L1 copies are past staleFor refetches everything and serves the current figures', async () => {
      w = await world({ redis: backend.target });
      const sources = w.config.sources.length;
      const gw = w.instances[0]!;
      await national(gw);
      await flushAll(backend);
      w.clock.advance(331_000);
      w.sim.resetCounts();
      const r = await national(gw);
      expect(w.sim.requestCount()).toBe(sources);
      expect(r.cacheStatus.sources).toEqual({ fresh: sources, stale: 0, unavailable: 0 });
      expectAllCurrent(r.data, w.sim);
    });

    test('a report key holding garbage or a foreign shape is a miss: that source alone is refetched and served right', async () => {
      w = await world({ redis: backend.target });
      const sources = w.config.sources.length;
      await national(w.instances[0]!);
      const [garbled, foreign] = [headlineFeed(w.sim, 'csv'), headlineFeed(w.sim, 'json')];
      const client = backend.client();
      try {
        await client.set(`wa:v1:{s:${garbled.id}}:report`, '{"report": {"figures": [');
        await client.set(
          `wa:v1:{s:${foreign.id}}:report`,
          JSON.stringify({ figures: [{ forceId: foreign.forces[0], value: 999_999 }] }),
        );
      } finally {
        client.disconnect();
      }
      w.sim.resetCounts();
      const r = await national(await w.start());
      expect(w.sim.requestCounts()).toMatchObject({ [garbled.id]: 1, [foreign.id]: 1 });
      expect(w.sim.requestCount()).toBe(2);
      expect(r.cacheStatus.tiers).toEqual({ L1: 0, L2: sources - 2, UPSTREAM: 2 });
      expectAllCurrent(r.data, w.sim);
    });
  });
});
