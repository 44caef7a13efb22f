import DataLoader from 'dataloader';
import type { GatewayConfig } from '../config/load';
import type { ForceRegistry } from '../domain/force-registry';
import type { Source, SourceDeps } from '../sources/source';
import { createSource } from '../sources/source';
import type { FigureStore } from './figure-store';
import { MemoryFigureStore } from './figure-store';
import type { Snapshot } from './snapshot';
import { buildSnapshot } from './snapshot';
import type { SourceRead } from './source-reader';
import { SourceReader } from './source-reader';

/** Options for the figure service. */
export interface FigureServiceOptions {
  /** Where reports are cached; in-process by default. */
  readonly store?: FigureStore;
  readonly now?: () => number;
  readonly env?: NodeJS.ProcessEnv;
  readonly onSourceFailure?: SourceDeps['onFailure'];
}

/**
 * The gateway's data plane: the configured sources, read through the store with the cache semantics
 * of `SourceReader`. Long-lived (one per app); per-request state lives in `RequestLoaders`.
 */
export class FigureService {
  readonly registry: ForceRegistry;
  readonly sources: readonly Source[];
  readonly sourcesById: ReadonlyMap<string, Source>;
  readonly reader: SourceReader;
  readonly national: GatewayConfig['national'];
  readonly now: () => number;

  constructor(config: GatewayConfig, options: FigureServiceOptions = {}) {
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
    this.reader = new SourceReader(this.sourcesById, {
      store: options.store ?? new MemoryFigureStore(),
      now: this.now,
    });
  }

  /** Source priority for tie-breaking between figures dated the same. */
  readonly priorityOf = (sourceId: string): number => this.sourcesById.get(sourceId)?.config.priority ?? 0;

  /** Fetches every source once in the background, so the first query does not wait on cold sources. */
  async warmUp(): Promise<void> {
    await this.reader.readMany(this.sources.map((s) => s.config.id));
  }

  /** Per-request loaders: never shared between requests (a DataLoader memoises errors too). */
  createLoaders(): RequestLoaders {
    return new RequestLoaders(this);
  }
}

/**
 * Per-request data access. Store reads for sources are batched by a DataLoader (one store round trip
 * per tick), and the joined snapshot is built once per request however many fields need it.
 */
export class RequestLoaders {
  private readonly sourceLoader: DataLoader<string, SourceRead>;
  private snapshotPromise: Promise<Snapshot> | null = null;

  constructor(private readonly service: FigureService) {
    this.sourceLoader = new DataLoader((ids) => service.reader.readMany(ids));
  }

  /** Every source's read, joined and indexed by force. */
  snapshot(): Promise<Snapshot> {
    this.snapshotPromise ??= (async () => {
      const { sources } = this.service;
      const reads = await this.sourceLoader.loadMany(sources.map((s) => s.config.id));
      // readMany never rejects per key; a DataLoader Error here would be a bug, surfaced as one.
      for (const read of reads) if (read instanceof Error) throw read;
      return buildSnapshot(sources, reads as SourceRead[], new Date(this.service.now()).toISOString());
    })();
    return this.snapshotPromise;
  }
}
