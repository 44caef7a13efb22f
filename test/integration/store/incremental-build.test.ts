import { buildConfig } from '../../../src/config/load';
import type { Simulator } from '../../../src/simulator';
import { createSimulator } from '../../../src/simulator';
import { FigureService } from '../../../src/store/figure-service';
import { TieredFigureStore } from '../../../src/store/figure-store';
import { TestClock } from '../../helpers/clock';

/** The store the gateway uses (L1 only here), noting how many sources each lookup asked for. */
class CountingStore extends TieredFigureStore {
  readonly lookups: number[] = [];
  constructor() {
    super();
    const lookupMany = this.reports.lookupMany.bind(this.reports);
    this.reports.lookupMany = (sourceIds, timing, nowMs) => {
      this.lookups.push(sourceIds.length);
      return lookupMany(sourceIds, timing, nowMs);
    };
  }
}

/**
 * A rebuild reads again only the sources that changed or whose read expired; the others' reads are
 * reused, so a change costs a read of one source, not of all of them (4,500 in the scale bench).
 */
describe('rebuilding the snapshot after a change', () => {
  const SOURCES = 20;
  let sim: Simulator;
  let service: FigureService;
  let store: CountingStore;
  let clock: TestClock;

  beforeEach(async () => {
    clock = new TestClock();
    sim = createSimulator({ sources: SOURCES, latencyMs: [1, 2], now: clock.now });
    const { baseUrl } = await sim.listen(0);
    const config = buildConfig(sim.gatewayConfig(baseUrl, { ttlSeconds: 30, staleForSeconds: 300 }), {
      baseDir: '.',
      origin: 'test',
    });
    store = new CountingStore();
    service = new FigureService(config, { store, now: clock.now });
    await service.current();
    expect(store.lookups).toEqual([SOURCES]);
  });
  afterEach(async () => {
    await service.close();
    await sim.close();
  });

  test('a refreshed source is the only one read again; the others keep their reads, now from L1', async () => {
    const id = service.sources[3]!.config.id;
    const before = (await service.current()).generation;
    await service.refresh(id);
    const { generation, hit } = await service.current();
    expect(hit).toBe(false);
    expect(store.lookups).toEqual([SOURCES, 1]);
    expect(generation.snapshot.reads.map((r) => r.sourceId)).toEqual(service.sources.map((s) => s.config.id));
    expect(generation.snapshot.reads.every((r) => r.ok && r.freshness === 'FRESH')).toBe(true);
    // Reused reads are this process's copies (L1), as a full re-read would have said.
    expect(new Set(generation.snapshot.reads.map((r) => r.origin))).toEqual(new Set(['L1']));
    const refreshed = generation.snapshot.reads[3]!;
    expect(refreshed.ok && refreshed.retrievedAt).toBe(clock.now());
    // Every other source's figures are the ones the previous generation had.
    for (const [forceId, figures] of before.snapshot.figuresByForce)
      for (const figure of figures.filter((f) => f.provenance.sourceId !== id))
        expect(generation.snapshot.figuresByForce.get(forceId)).toContainEqual(figure);
  });

  test('past the ttl every expired source is read again, and invalidating everything reads them all', async () => {
    clock.advance(31_000);
    const stale = (await service.current()).generation;
    expect(store.lookups).toEqual([SOURCES, SOURCES]);
    expect(stale.snapshot.staleSources.size).toBe(SOURCES);
    service.invalidate();
    await service.current();
    expect(store.lookups).toEqual([SOURCES, SOURCES, SOURCES]);
  });
});
