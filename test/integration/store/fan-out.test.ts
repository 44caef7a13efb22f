import { buildConfig } from '../../../src/config/load';
import { UPSTREAM_DEFAULTS } from '../../../src/config/schema';
import type { SourceReport } from '../../../src/domain/figure';
import { createSimulator } from '../../../src/simulator';
import type { Simulator } from '../../../src/simulator';
import { FigureService } from '../../../src/store/figure-service';
import { TieredFigureStore } from '../../../src/store/figure-store';
import { RedisConnection } from '../../../src/store/redis-connection';
import type { Backend } from './world';
import { flushAll, singleServer } from './world';

/**
 * The cold fan-out over many sources: the cap on concurrent upstream fetches, and the Redis traffic of a
 * fan-out (locks taken with the report read in the same round trip; batched reads on one server).
 */

const running: Simulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function simulatorOf(sources: number, latencyMs: [number, number]) {
  const sim = createSimulator({ sources, latencyMs });
  running.push(sim);
  const { baseUrl } = await sim.listen();
  return { sim, baseUrl };
}

describe('the cap on concurrent upstream fetches', () => {
  test('defaults to UPSTREAM_DEFAULTS.concurrency, documented in the config schema', () => {
    const config = buildConfig({}, { baseDir: '.', origin: 'test' });
    expect(config.upstream.concurrency).toBe(UPSTREAM_DEFAULTS.concurrency);
    expect(() => buildConfig({ upstream: { concurrency: 0 } }, { baseDir: '.', origin: 'test' })).toThrow(
      /upstream\.concurrency/,
    );
  });

  test('a cold build over 24 sources with a cap of 6 never has more than 6 requests upstream, and reads them all', async () => {
    const { sim, baseUrl } = await simulatorOf(24, [40, 40]);
    const config = buildConfig(sim.gatewayConfig(baseUrl, { concurrency: 6 }), {
      baseDir: '.',
      origin: 'test',
    });
    expect(config.upstream.concurrency).toBe(6);
    const service = new FigureService(config);
    try {
      const started = performance.now();
      const { generation } = await service.current();
      const ms = performance.now() - started;
      expect(sim.requestCount()).toBe(24);
      expect(sim.maxInFlight()).toBe(6);
      expect(generation.snapshot.reads.every((r) => r.ok)).toBe(true);
      // ceil(24 / 6) rounds of 40 ms: the fetches queued rather than ran at once.
      expect(ms).toBeGreaterThanOrEqual(4 * 40 - 5);
      expect(service.reader.fetchLoad()).toEqual({ running: 0, queued: 0 });
    } finally {
      await service.close();
    }
  });

  test("a source's time budget starts when it leaves the queue, not when it joins it", async () => {
    // 12 sources, one slot, 30 ms each: the last waits ~330 ms, far past its 150 ms budget.
    const { sim, baseUrl } = await simulatorOf(12, [30, 30]);
    const config = buildConfig(
      sim.gatewayConfig(baseUrl, { concurrency: 1, timeoutMs: 150, retry: { maxAttempts: 1 } }),
      { baseDir: '.', origin: 'test' },
    );
    const service = new FigureService(config);
    try {
      const { generation } = await service.current();
      expect(sim.maxInFlight()).toBe(1);
      expect(generation.snapshot.reads.filter((r) => !r.ok)).toEqual([]);
    } finally {
      await service.close();
    }
  });

  test('one hung source holds one slot until its timeout; the others are read meanwhile', async () => {
    const { sim, baseUrl } = await simulatorOf(9, [10, 10]);
    const hung = sim.feeds[4]!;
    sim.setFault(hung.id, { mode: 'hang' });
    const config = buildConfig(
      sim.gatewayConfig(baseUrl, { concurrency: 2, timeoutMs: 300, retry: { maxAttempts: 1 } }),
      { baseDir: '.', origin: 'test' },
    );
    const service = new FigureService(config);
    try {
      const started = performance.now();
      const { generation } = await service.current();
      const ms = performance.now() - started;
      const failed = generation.snapshot.reads.filter((r) => !r.ok);
      expect(failed.map((r) => r.sourceId)).toEqual([hung.id]);
      expect(failed[0]).toMatchObject({ error: { code: 'UPSTREAM_TIMEOUT' } });
      // Every other source was asked, and answered, while the hung one still held its slot (before its
      // 300 ms timeout), not after it: the hung source held one slot, not the queue.
      const log = sim.requestLog();
      const hungAt = log.find((r) => r.feedId === hung.id)!.receivedAt;
      const others = log.filter((r) => r.feedId !== hung.id);
      expect(others).toHaveLength(8);
      for (const r of others) expect(r.receivedAt + (r.durationMs ?? Infinity)).toBeLessThan(hungAt + 300);
      expect(ms).toBeGreaterThanOrEqual(300); // the answer waited for the hung source's timeout
      const figures = generation.snapshot.figuresByForce.get(hung.forces[0]!) ?? [];
      expect(figures.some((f) => f.status === 'UNAVAILABLE')).toBe(true);
    } finally {
      await service.close();
    }
  });
});

describe('Redis traffic of a fan-out (a single redis-server)', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await singleServer();
  });
  afterAll(() => backend?.stop());
  beforeEach(() => flushAll(backend));

  const report: SourceReport = { figures: [], breakdowns: [], publishedTotals: [] };

  test('locks for several sources in one call: each taken with what L2 held, or held by another instance', async () => {
    const a = new TieredFigureStore({ redis: new RedisConnection(backend.target) });
    const b = new TieredFigureStore({ redis: new RedisConnection(backend.target) });
    try {
      await a.reports.commit('m-full', { report, retrievedAt: 99 }, 60_000, { state: 'no-coordination' });
      const theirs = await b.locks.tryLock('m-held', 5000);
      expect(theirs.state).toBe('acquired');
      const ttlMs = 5000;
      const many = await a.locks.tryLockMany([
        { sourceId: 'm-empty', ttlMs },
        { sourceId: 'm-full', ttlMs },
        { sourceId: 'm-held', ttlMs },
      ]);
      expect(many[0]).toMatchObject({ state: 'acquired', peeked: true, latest: undefined });
      expect(many[1]).toMatchObject({ state: 'acquired', peeked: true, latest: { retrievedAt: 99, report } });
      expect(many[2]).toEqual({ state: 'held-elsewhere' });
      expect((await b.locks.tryLock('m-empty', 5000)).state).toBe('held-elsewhere');
      for (const lock of many) if (lock.state === 'acquired') await lock.release();
      expect((await b.locks.tryLock('m-empty', 5000)).state).toBe('acquired');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('the lock comes back with what L2 held, in the same round trip; a held lock with nothing', async () => {
    const a = new TieredFigureStore({ redis: new RedisConnection(backend.target) });
    const b = new TieredFigureStore({ redis: new RedisConnection(backend.target) });
    try {
      const empty = await a.locks.tryLock('s-empty', 5000);
      expect(empty).toMatchObject({ state: 'acquired', peeked: true, latest: undefined });
      await a.reports.commit('s-full', { report, retrievedAt: 1234 }, 60_000, { state: 'no-coordination' });
      const full = await b.locks.tryLock('s-full', 5000);
      expect(full).toMatchObject({ state: 'acquired', peeked: true, latest: { retrievedAt: 1234, report } });
      expect(await a.locks.tryLock('s-full', 5000)).toEqual({ state: 'held-elsewhere' });
      if (full.state === 'acquired') await full.release();
      expect((await a.locks.tryLock('s-full', 5000)).state).toBe('acquired');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a lookup of 1,200 sources reads every one from L2, in three MGETs on one server', async () => {
    const writer = new TieredFigureStore({ redis: new RedisConnection(backend.target) });
    const reader = new TieredFigureStore({ redis: new RedisConnection(backend.target) });
    try {
      const ids = Array.from({ length: 1200 }, (_, i) => `s${i}`);
      await Promise.all(
        ids.map((id, i) =>
          writer.reports.commit(id, { report, retrievedAt: 1000 + i }, 60_000, { state: 'no-coordination' }),
        ),
      );
      const timing = () => ({ freshMs: 60_000, keepMs: 60_000 });
      const server = backend.nodes[0]!;
      await server.command('CONFIG', 'RESETSTAT');
      const found = await reader.reports.lookupMany(ids, timing, 2000);
      const stats = await server.command('INFO', 'commandstats');
      // Not one per source (every source has its own hash tag, so per-slot reads would be 1,200).
      expect(/cmdstat_mget:calls=(\d+)/.exec(stats)?.[1]).toBe('3');
      expect(found.every((f) => f.tier === 'L2')).toBe(true);
      expect(found.map((f) => f.entry?.retrievedAt)).toEqual(ids.map((_, i) => 1000 + i));
    } finally {
      await writer.close();
      await reader.close();
    }
  });
});
