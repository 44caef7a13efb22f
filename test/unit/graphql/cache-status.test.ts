import { embeddedDefault } from '../../../src/config/load';
import { cacheStatusOf, countSources } from '../../../src/graphql/cache-status.plugin';
import type { Generation, RequestLoaders } from '../../../src/store/figure-service';
import { FigureService } from '../../../src/store/figure-service';
import { TieredFigureStore } from '../../../src/store/figure-store';
import { GenerationMemo } from '../../../src/store/generation-memo';
import type { Snapshot } from '../../../src/store/snapshot';
import type { ReadOrigin, SourceRead } from '../../../src/store/source-reader';
import { TestClock } from '../../helpers/clock';

/** A generation over `reads` alone (nothing else of the snapshot is read by the cache status). */
function generationOf(reads: readonly SourceRead[]): Generation {
  return {
    snapshot: { reads } as unknown as Snapshot,
    validUntil: Number.POSITIVE_INFINITY,
    memo: new GenerationMemo(),
  };
}

/** Loaders that used `generation` (a reuse when `hit`), as a request's would once it has read figures. */
function loadersUsing(generation: Generation, hit: boolean): RequestLoaders {
  return { used: () => ({ generation, hit }) } as unknown as RequestLoaders;
}

const ORIGINS: readonly ReadOrigin[] = ['L1', 'L2', 'UPSTREAM', 'NONE'];

/** The i-th of many reads: ok and fresh, ok and stale, or failed, from each origin in turn. */
function readNumber(i: number): SourceRead {
  const sourceId = `source-${i}`;
  const origin = ORIGINS[i % ORIGINS.length]!;
  if (i % 7 === 3)
    return {
      ok: false,
      sourceId,
      origin,
      error: { code: 'UPSTREAM_TIMEOUT', message: 'timed out' },
    } as unknown as SourceRead;
  return {
    ok: true,
    sourceId,
    report: { figures: [], breakdowns: [], publishedTotals: [] },
    retrievedAt: 0,
    freshness: i % 5 === 1 ? 'STALE' : 'FRESH',
    origin,
    staleReason: null,
  } as unknown as SourceRead;
}

/** The cache status's counts, counted the plain way, for comparison. */
function countedPlainly(reads: readonly SourceRead[]) {
  return {
    sources: {
      fresh: reads.filter((r) => r.ok && r.freshness === 'FRESH').length,
      stale: reads.filter((r) => r.ok && r.freshness === 'STALE').length,
      unavailable: reads.filter((r) => !r.ok).length,
    },
    tiers: {
      L1: reads.filter((r) => r.origin === 'L1').length,
      L2: reads.filter((r) => r.origin === 'L2').length,
      UPSTREAM: reads.filter((r) => r.origin === 'UPSTREAM').length,
    },
  };
}

describe('the cache status: source counts kept per generation (issue 22, target 5)', () => {
  test('over 4,500 sources, the counts equal a plain count of every read', () => {
    const reads = Array.from({ length: 4500 }, (_, i) => readNumber(i));
    const status = cacheStatusOf(loadersUsing(generationOf(reads), true));
    expect(status).toEqual({ snapshot: 'HIT', ...countedPlainly(reads) });
  });

  test('a generation is counted once: later requests get the kept counts, each with its own HIT or BUILT', () => {
    const reads = Array.from({ length: 45 }, (_, i) => readNumber(i));
    const generation = generationOf(reads);
    const built = cacheStatusOf(loadersUsing(generation, false))!;
    const reused = cacheStatusOf(loadersUsing(generation, true))!;
    expect(built.snapshot).toBe('BUILT');
    expect(reused.snapshot).toBe('HIT');
    expect(reused.sources).toBe(built.sources);
    expect(reused.tiers).toBe(built.tiers);
  });

  test('the kept counts are frozen, so that no response can change what the next one says', () => {
    const counts = countSources(generationOf([readNumber(0)]));
    expect(Object.isFrozen(counts.sources)).toBe(true);
    expect(Object.isFrozen(counts.tiers)).toBe(true);
  });

  test('a request that read no figures has no cache status', () => {
    expect(cacheStatusOf({ used: () => null } as unknown as RequestLoaders)).toBeNull();
  });

  describe('through the figure service', () => {
    // After the bundled figures' dates, so that every source reads: all fresh, all counted.
    const clock = new TestClock();
    const service = new FigureService(embeddedDefault(), {
      store: new TieredFigureStore({}),
      now: clock.now,
    });
    afterAll(() => service.close());

    test('a new generation gives its own counts, never the last generation’s', async () => {
      const first = service.createLoaders();
      await first.generation();
      const firstStatus = cacheStatusOf(first)!;
      expect(firstStatus).toEqual({
        snapshot: 'BUILT',
        ...countedPlainly(first.used()!.generation.snapshot.reads),
      });

      const again = service.createLoaders();
      await again.generation();
      expect(again.used()!.generation).toBe(first.used()!.generation);
      expect(cacheStatusOf(again)).toEqual({ ...firstStatus, snapshot: 'HIT' });

      // One source changed: the next build reads it again (from L1, where its report still is) and reuses
      // the others' reads, which now count as answered from L1 too.
      const changed = service.sources[0]!.config.id;
      service.invalidate(changed);
      const next = service.createLoaders();
      await next.generation();
      const nextGeneration = next.used()!.generation;
      expect(nextGeneration).not.toBe(first.used()!.generation);
      const nextStatus = cacheStatusOf(next)!;
      expect(nextStatus).toEqual({ snapshot: 'BUILT', ...countedPlainly(nextGeneration.snapshot.reads) });
      // The first build fetched every source; this one answered every source from this process's memory.
      expect(firstStatus.tiers).toEqual({ L1: 0, L2: 0, UPSTREAM: service.sources.length });
      expect(nextStatus.tiers).toEqual({ L1: service.sources.length, L2: 0, UPSTREAM: 0 });
    });
  });
});
