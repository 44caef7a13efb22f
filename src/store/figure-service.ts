import DataLoader from 'dataloader';
import type { GatewayConfig } from '../config/load';
import type { ForceRegistry } from '../domain/force-registry';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Source, SourceDeps } from '../sources/source';
import type { Tracer } from '../tracing';
import { createSource } from '../sources/source';
import type { FigureStore } from './figure-store';
import { TieredFigureStore } from './figure-store';
import type { Snapshot } from './snapshot';
import { buildSnapshot } from './snapshot';
import type { SourceRead } from './source-reader';
import { SourceReader } from './source-reader';

/** Options for the figure service. */
export interface FigureServiceOptions {
  /** Where reports are cached; in-process only by default. */
  readonly store?: FigureStore;
  readonly now?: () => number;
  readonly env?: NodeJS.ProcessEnv;
  readonly metrics?: Metrics;
  /** Traces upstream fetches; none (no spans) by default. */
  readonly tracer?: Tracer;
  readonly logger?: Logger;
  readonly onSourceFailure?: SourceDeps['onFailure'];
}

/**
 * How long a snapshot whose sources are failing or stale is reused before the sources are read again.
 * Fresh snapshots live until their first source's TTL ends, or until a source changes.
 */
export const UNSETTLED_SNAPSHOT_MS = 1000;

/** A precomputed snapshot and what has been derived from it (summaries, views), until it is invalidated. */
export interface Generation {
  readonly snapshot: Snapshot;
  /** Epoch ms after which the sources must be read again. */
  readonly validUntil: number;
  /** Results derived from this snapshot, keyed by what they were asked (e.g. national as at a date). */
  readonly derived: Map<string, unknown>;
}

/**
 * The gateway's data plane: the configured sources, read through the store with the cache semantics
 * of `SourceReader`, and a precomputed snapshot of all of them, so that the warm path costs the same
 * whatever the number of sources. Long-lived (one per app); per-request state lives in `RequestLoaders`.
 */
export class FigureService {
  readonly registry: ForceRegistry;
  readonly sources: readonly Source[];
  readonly sourcesById: ReadonlyMap<string, Source>;
  readonly reader: SourceReader;
  readonly store: FigureStore;
  readonly national: GatewayConfig['national'];
  readonly now: () => number;
  private generation: Generation | null = null;
  private building: Promise<Generation> | null = null;
  /** Bumped on every invalidation, so a build that started before one is not kept. */
  private epoch = 0;

  constructor(
    config: GatewayConfig,
    private readonly options: FigureServiceOptions = {},
  ) {
    this.registry = config.registry;
    this.national = config.national;
    this.now = options.now ?? Date.now;
    this.sources = config.sources.map((sc) =>
      createSource(sc, {
        registry: config.registry,
        baseDir: config.baseDir,
        env: options.env ?? process.env,
        now: () => new Date(this.now()),
        onFailure: options.onSourceFailure,
      }),
    );
    this.sourcesById = new Map(this.sources.map((s) => [s.config.id, s]));
    this.store = options.store ?? new TieredFigureStore({ metrics: options.metrics, logger: options.logger });
    this.reader = new SourceReader(this.sourcesById, {
      store: this.store,
      now: this.now,
      metrics: options.metrics,
      tracer: options.tracer,
      // Optional: configs built by hand (tests) may leave it out.
      concurrency: config.upstream?.concurrency,
      onBackgroundError: (sourceId, error) =>
        options.logger?.debug({ sourceId, err: (error as Error)?.message }, 'background refresh failed'),
    });
    // Reads awaited by a build are in that build already; only background refreshes outdate a snapshot.
    this.reader.on('updated', (_sourceId, background) => {
      if (background) this.invalidate();
    });
    this.store.onMessage(() => this.invalidate());
  }

  /** Source priority for tie-breaking between figures dated the same. */
  readonly priorityOf = (sourceId: string): number => this.sourcesById.get(sourceId)?.config.priority ?? 0;

  /** Drops the precomputed snapshot (a source changed here or on another instance). */
  invalidate(): void {
    this.epoch += 1;
    this.generation = null;
  }

  /**
   * The current generation: reused while every source in it is fresh and nothing changed, else rebuilt
   * from one batched read of all sources (shared by concurrent requests).
   */
  async current(loader?: DataLoader<string, SourceRead>): Promise<{ generation: Generation; hit: boolean }> {
    const gen = this.generation;
    if (gen && this.now() < gen.validUntil) {
      this.options.metrics?.snapshots.inc({ result: 'hit' });
      return { generation: gen, hit: true };
    }
    this.building ??= this.build(loader).finally(() => {
      this.building = null;
    });
    return { generation: await this.building, hit: false };
  }

  private async build(loader?: DataLoader<string, SourceRead>): Promise<Generation> {
    this.options.metrics?.snapshots.inc({ result: 'build' });
    const epoch = this.epoch;
    const ids = this.sources.map((s) => s.config.id);
    const reads = loader ? ((await loader.loadMany(ids)) as SourceRead[]) : await this.reader.readMany(ids);
    for (const read of reads) if (read instanceof Error) throw read;
    const now = this.now();
    let validUntil = Number.POSITIVE_INFINITY;
    reads.forEach((read, i) => {
      const ttlMs = this.sources[i]!.config.ttlSeconds * 1000;
      const until =
        read.ok && read.freshness === 'FRESH' ? read.retrievedAt + ttlMs : now + UNSETTLED_SNAPSHOT_MS;
      validUntil = Math.min(validUntil, until);
    });
    const generation: Generation = {
      snapshot: buildSnapshot(this.sources, reads, new Date(now).toISOString()),
      validUntil,
      derived: new Map(),
    };
    // A source changed while this was being built: serve it to this request, but do not keep it.
    if (epoch === this.epoch) this.generation = generation;
    return generation;
  }

  /** Fetches one source now (operator refresh, webhook) and tells the other instances. */
  async refresh(sourceId: string): Promise<SourceRead> {
    const read = await this.reader.refresh(sourceId);
    this.invalidate();
    return read;
  }

  /** Fetches every source once in the background, so the first query does not wait on cold sources. */
  async warmUp(): Promise<void> {
    await this.current();
  }

  /** Per-request loaders: never shared between requests (a DataLoader memoises errors too). */
  createLoaders(): RequestLoaders {
    return new RequestLoaders(this);
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/**
 * Per-request data access. Source reads are batched by a DataLoader (one store round trip per tick) when
 * this request has to rebuild the snapshot; otherwise it uses the precomputed one.
 */
export class RequestLoaders {
  private readonly sourceLoader: DataLoader<string, SourceRead>;
  private generationPromise: Promise<{ generation: Generation; hit: boolean }> | null = null;
  private settled: { generation: Generation; hit: boolean } | null = null;

  constructor(private readonly service: FigureService) {
    this.sourceLoader = new DataLoader((ids) => service.reader.readMany(ids));
  }

  /** The generation this request uses, fixed for the whole request so every field agrees. */
  async generation(): Promise<Generation> {
    this.generationPromise ??= this.service.current(this.sourceLoader).then((used) => (this.settled = used));
    return (await this.generationPromise).generation;
  }

  /** Every source's read, joined and indexed by force. */
  async snapshot(): Promise<Snapshot> {
    return (await this.generation()).snapshot;
  }

  /** The generation this request used and whether it was reused, once it has one (for cache status). */
  used(): { generation: Generation; hit: boolean } | null {
    return this.settled;
  }
}
