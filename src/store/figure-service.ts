import DataLoader from 'dataloader';
import type { GatewayConfig } from '../config/load';
import { UPSTREAM_DEFAULTS } from '../config/schema';
import type { ForceRegistry } from '../domain/force-registry';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Source, SourceDeps } from '../sources/source';
import type { Tracer } from '../tracing';
import { createSource } from '../sources/source';
import type { FigureStore } from './figure-store';
import { TieredFigureStore } from './figure-store';
import { GenerationMemo } from './generation-memo';
import { RefreshSchedule } from './refresh-schedule';
import type { Snapshot } from './snapshot';
import { buildSnapshot } from './snapshot';
import type { Archive } from '../archive/archive';
import { History } from '../archive/history';
import { ArchiveRecorder } from '../archive/recorder';
import type { SourceRead } from './source-reader';
import { SourceReader } from './source-reader';

/** Options for the figure service. */
export interface FigureServiceOptions {
  /** Where reports are cached; in-process only by default. */
  readonly store?: FigureStore;
  readonly now?: () => number;
  /**
   * The variables sources' secrets are read from by name (`auth`'s `*Env` settings): the gateway gives
   * `Environment.secrets`; the CLI, which runs on the operator's machine, its own environment.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly metrics?: Metrics;
  /** Traces upstream fetches; none (no spans) by default. */
  readonly tracer?: Tracer;
  readonly logger?: Logger;
  readonly onSourceFailure?: SourceDeps['onFailure'];
  /**
   * The archive (`src/archive/`): every report this instance fetches upstream is recorded in it, and
   * `history` reads it. None: no memory beyond the cache.
   */
  readonly archive?: Archive | null;
}

/**
 * How long a snapshot whose sources are failing or stale is reused before the sources are read again.
 * Fresh snapshots live until their first source's TTL ends, or until a source changes.
 */
export const UNSETTLED_SNAPSHOT_MS = 1000;

/**
 * Background refreshes that land within this long (real time) of a build wait for one rebuild together.
 * Their sources are in that generation as `STALE`, which they were when it was built; without the wait,
 * thousands of sources going stale together meant one rebuild of every source per landing refresh.
 */
export const REFRESH_BATCH_MS = 50;

/** A precomputed snapshot and what has been derived from it (summaries, views), until it is invalidated. */
export interface Generation {
  readonly snapshot: Snapshot;
  /** Epoch ms after which the sources must be read again. */
  readonly validUntil: number;
  /** Results derived from this snapshot, by what they are and what they were asked (e.g. a date). */
  readonly memo: GenerationMemo;
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
  /**
   * Refreshes the sources with `refreshWithoutTraffic` when their TTL runs out (none when
   * `upstream.refreshWithoutTraffic` is off, or no source has it on).
   */
  readonly schedule: RefreshSchedule | null;
  readonly national: GatewayConfig['national'];
  readonly now: () => number;
  /** What the gateway remembers: figures as known at a moment, and revisions (see `History`). */
  readonly history: History;
  /** Writes fetched reports to the archive in the background; null without an archive. */
  private readonly recorder: ArchiveRecorder | null;
  private generation: Generation | null = null;
  private building: Promise<Generation> | null = null;
  /** Bumped on every invalidation, so a build that started before one is not kept. */
  private epoch = 0;
  /**
   * The reads of the last build, and until when each may be reused (see `build`): the base of the next
   * build, which reads again only the sources changed or expired since. Null: read every source.
   */
  private base: { readonly reads: readonly SourceRead[]; readonly until: readonly number[] } | null = null;
  /** Sources changed since the last build started (background refreshes here, messages from elsewhere). */
  private changed = new Set<string>();
  /** Bumped when everything is invalidated, so a build that started before that is not a base either. */
  private resets = 0;
  /** Sources whose background refresh landed since the last build started (they outdate the generation). */
  private refreshed = new Set<string>();
  /** `performance.now()` until which refreshed sources wait for the next rebuild (REFRESH_BATCH_MS). */
  private batchUntil = 0;

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
    this.history = new History(options.archive ?? null);
    const recorder = options.archive
      ? new ArchiveRecorder(options.archive, { logger: options.logger, metrics: options.metrics })
      : null;
    this.recorder = recorder;
    const backgroundFailed = (sourceId: string, error: unknown) => {
      options.logger?.debug({ sourceId, err: (error as Error)?.message }, 'background refresh failed');
      // Read again by the next build, whatever starts it: its read now carries the failure, and reading
      // it retries the refresh (as often as rebuilds happen, as when every build read every source).
      this.changed.add(sourceId);
    };
    this.reader = new SourceReader(this.sourcesById, {
      reports: this.store.reports,
      locks: this.store.locks,
      now: this.now,
      metrics: options.metrics,
      tracer: options.tracer,
      // Optional: configs built by hand (tests) may leave it out.
      concurrency: config.upstream?.concurrency,
      onFetched: recorder
        ? (sourceId, entry) => recorder.record(sourceId, entry.report.figures, entry.retrievedAt)
        : undefined,
      onBackgroundError: backgroundFailed,
    });
    // Reads awaited by a build are in that build already; only background refreshes outdate a snapshot,
    // and they are batched (see REFRESH_BATCH_MS).
    this.reader.on('updated', (sourceId, background) => {
      if (background) this.refreshed.add(sourceId);
    });
    this.store.bus.onMessage((message) => this.invalidate(message.sourceId));
    // Optional, as `concurrency` above: configs built by hand (tests) may leave `upstream` out.
    const scheduled =
      (config.upstream?.refreshWithoutTraffic ?? UPSTREAM_DEFAULTS.refreshWithoutTraffic)
        ? this.sources.filter((s) => s.config.refreshWithoutTraffic !== false)
        : [];
    this.schedule =
      scheduled.length === 0
        ? null
        : new RefreshSchedule({
            sources: scheduled,
            reader: this.reader,
            reports: this.store.reports,
            bus: this.store.bus,
            now: this.now,
            metrics: options.metrics,
            logger: options.logger,
            onError: backgroundFailed,
          });
  }

  /** Source priority for tie-breaking between figures dated the same. */
  /** Each source's configured priority, where it is not 0 (for the archive's preselection, `History`). */
  get priorities(): Readonly<Record<string, number>> {
    return (this.prioritiesMemo ??= Object.fromEntries(
      this.sources
        .filter((s) => (s.config.priority ?? 0) !== 0)
        .map((s) => [s.config.id, s.config.priority!]),
    ));
  }
  private prioritiesMemo: Readonly<Record<string, number>> | null = null;

  readonly priorityOf = (sourceId: string): number => this.sourcesById.get(sourceId)?.config.priority ?? 0;

  /**
   * Drops the precomputed snapshot: `sourceId` changed here or on another instance (the next build reads
   * it again, and reuses the other sources' reads while they are valid), or, without one, everything may
   * have changed (the next build reads every source).
   */
  invalidate(sourceId?: string): void {
    this.epoch += 1;
    this.generation = null;
    if (sourceId === undefined) {
      this.base = null;
      this.resets += 1;
    } else this.changed.add(sourceId);
  }

  /**
   * The current generation: reused while every source in it is fresh and nothing changed, else rebuilt
   * from one batched read of all sources (shared by concurrent requests). `loader` makes the requesting
   * request's loader, and is called only when a build is needed.
   */
  async current(
    loader?: () => DataLoader<string, SourceRead>,
  ): Promise<{ generation: Generation; hit: boolean }> {
    const gen = this.reusable();
    if (gen) return { generation: gen, hit: true };
    this.building ??= this.build(loader?.()).finally(() => {
      this.building = null;
    });
    return { generation: await this.building, hit: false };
  }

  /**
   * The current generation when a request may reuse it now (every source in it fresh, nothing changed),
   * counted as a snapshot hit; null when the next request must rebuild it (`current` does). Never builds:
   * for callers that only want what is already there (a built answer kept for this generation).
   */
  reusable(): Generation | null {
    const gen = this.generation;
    const outdated = this.refreshed.size > 0 && performance.now() >= this.batchUntil;
    if (!gen || this.now() >= gen.validUntil || outdated) return null;
    this.options.metrics?.snapshotHit();
    return gen;
  }

  /**
   * Builds a generation. Each source's read is valid until its report's TTL ends if it was fresh, else for
   * `UNSETTLED_SNAPSHOT_MS` (a stale or failed source is read again soon); a build reads again only the
   * sources whose read has expired or that changed since the last build, and reuses the others' reads.
   * Reading every source on each change made every rebuild read them all (11-15 ms at 4,500 sources
   * from L1, plus an L2 read of every copy past its TTL), once per refresh landing.
   */
  private async build(loader?: DataLoader<string, SourceRead>): Promise<Generation> {
    this.options.metrics?.snapshots.inc({ result: 'build' });
    const epoch = this.epoch;
    const resets = this.resets;
    const base = this.base;
    const changed = this.changed;
    for (const id of this.refreshed) changed.add(id);
    this.changed = new Set();
    this.refreshed = new Set();
    const ids = this.sources.map((s) => s.config.id);
    const started = this.now();
    const stale = base
      ? ids.flatMap((id, i) => (base.until[i]! <= started || changed.has(id) ? [i] : []))
      : ids.map((_id, i) => i);
    const toRead = stale.map((i) => ids[i]!);
    let fresh: SourceRead[];
    try {
      fresh = loader ? ((await loader.loadMany(toRead)) as SourceRead[]) : await this.reader.readMany(toRead);
      for (const read of fresh) if (read instanceof Error) throw read;
    } catch (error) {
      for (const id of changed) this.changed.add(id); // not read: still to be read by the next build
      throw error;
    }
    const now = this.now();
    // A reused read was last answered from this process's memory: L1, as a full re-read would say.
    const reads: SourceRead[] = base
      ? base.reads.map((read) => (read.ok && read.origin !== 'L1' ? { ...read, origin: 'L1' } : read))
      : new Array<SourceRead>(ids.length);
    const until: number[] = base ? [...base.until] : new Array<number>(ids.length);
    stale.forEach((i, k) => {
      const read = fresh[k]!;
      reads[i] = read;
      // A source read for the first time starts being refreshed without traffic (a no-op after that).
      this.schedule?.observe(ids[i]!, read.ok ? read.retrievedAt : undefined);
      until[i] =
        read.ok && read.freshness === 'FRESH'
          ? read.retrievedAt + this.reader.timing(ids[i]!).freshMs
          : now + UNSETTLED_SNAPSHOT_MS;
    });
    let validUntil = Number.POSITIVE_INFINITY;
    for (const u of until) validUntil = Math.min(validUntil, u);
    const generation: Generation = {
      snapshot: buildSnapshot(this.sources, reads, new Date(now).toISOString()),
      validUntil,
      memo: new GenerationMemo(),
    };
    // The next build starts from these reads (sources changed meanwhile are in `changed`), unless
    // everything was invalidated meanwhile.
    if (resets === this.resets) this.base = { reads, until };
    this.batchUntil = performance.now() + REFRESH_BATCH_MS;
    // A source changed while this was being built: serve it to this request, but do not keep it.
    if (epoch === this.epoch) this.generation = generation;
    return generation;
  }

  /** Fetches one source now (operator refresh, webhook) and tells the other instances. */
  async refresh(sourceId: string): Promise<SourceRead> {
    const read = await this.reader.refresh(sourceId);
    this.invalidate(sourceId);
    return read;
  }

  /**
   * Fetches every source once in the background, so the first query does not wait on cold sources; from
   * then on the refresh schedule keeps them fresh (without it, the first request starts the schedule).
   */
  async warmUp(): Promise<void> {
    await this.current();
  }

  /** Per-request loaders: never shared between requests (a DataLoader memoises errors too). */
  /** A request's loaders; with `reused`, fixed to that generation (which the caller had from `reusable`). */
  createLoaders(reused?: Generation): RequestLoaders {
    return new RequestLoaders(this, reused);
  }

  /** Stops refreshing sources without traffic (`app.stop()` does so first). Idempotent. */
  stopSchedule(): void {
    this.schedule?.stop();
  }

  /** Resolves once every fetched report handed to the archive has been written (or has failed). */
  async archiveSettled(): Promise<void> {
    await this.recorder?.settled();
  }

  async close(): Promise<void> {
    this.stopSchedule();
    await this.recorder?.settled();
    await this.store.close();
  }
}

/**
 * Per-request data access. Source reads are batched by a DataLoader (one store round trip per tick) when
 * this request has to rebuild the snapshot; otherwise it uses the precomputed one.
 */
export class RequestLoaders {
  /** Made only by a request that has to build a generation: most reuse the precomputed one. */
  private sourceLoader: DataLoader<string, SourceRead> | null = null;
  private generationPromise: Promise<{ generation: Generation; hit: boolean }> | null = null;
  private settled: { generation: Generation; hit: boolean } | null = null;

  constructor(
    private readonly service: FigureService,
    /** The generation to use, when the request already has one (`FigureService.reusable`). */
    private readonly reused?: Generation,
  ) {}

  private readonly loader = (): DataLoader<string, SourceRead> =>
    (this.sourceLoader ??= new DataLoader((ids) => this.service.reader.readMany(ids)));

  /** The generation this request uses, fixed for the whole request so every field agrees. */
  async generation(): Promise<Generation> {
    this.generationPromise ??= this.reused
      ? Promise.resolve((this.settled = { generation: this.reused, hit: true }))
      : this.service.current(this.loader).then((used) => (this.settled = used));
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
