/**
 * Reading sources: what a read of a source gives (a report with its freshness, or why there is none),
 * following the cache semantics of `freshness.ts`, with the store, the fetch scheduler and the refresh
 * each doing their part.
 */
import { EventEmitter } from 'node:events';
import { UPSTREAM_DEFAULTS } from '../config/schema';
import type { SourceReport } from '../domain/figure';
import type { SourceErrorCode } from '../errors';
import { SourceError } from '../errors';
import type { Metrics } from '../metrics';
import type { Source } from '../sources/source';
import type { Tracer } from '../tracing';
import { FetchScheduler } from './fetch-scheduler';
import type { SourceTiming } from './freshness';
import { planRead, timingOf } from './freshness';
import type { LockResult, RefreshLocks } from './refresh-locks';
import { lockTtlFor } from './refresh-locks';
import type { ReportCache, Tier } from './report-cache';
import type { RefreshRequest } from './source-refresh';
import type { SourceRefresherOptions } from './source-refresh';
import { SourceRefresher } from './source-refresh';
import type { StoredReport } from './stored-report';

/** How fresh a served report is. */
export type Freshness = 'FRESH' | 'STALE';

/** Where a read was answered from: a cache tier, or upstream (a fetch this read waited for). */
export type ReadOrigin = Tier | 'UPSTREAM' | 'NONE';

/** What reading a source gives: a report with its freshness, or why there is none. */
export type SourceRead =
  | {
      readonly ok: true;
      readonly sourceId: string;
      readonly report: SourceReport;
      readonly retrievedAt: number;
      readonly freshness: Freshness;
      readonly origin: ReadOrigin;
      /** Why a stale report is being served, if a refresh failed. */
      readonly staleReason: { readonly code: SourceErrorCode; readonly message: string } | null;
    }
  | {
      readonly ok: false;
      readonly sourceId: string;
      readonly origin: ReadOrigin;
      readonly error: { readonly code: SourceErrorCode; readonly message: string };
    };

/** Options for a reader. */
export interface SourceReaderOptions {
  /** Where reports are kept (`FigureStore.reports`). */
  readonly reports: ReportCache;
  /** The cross-instance refresh lock (`FigureStore.locks`). */
  readonly locks: RefreshLocks;
  /** Clock in epoch ms (tests control it). */
  readonly now?: () => number;
  readonly metrics?: Metrics;
  /** Traces each upstream fetch (`source.fetch`); a no-op tracer when tracing is off. */
  readonly tracer?: Tracer;
  /** Called with background refresh failures (already recorded in source health). */
  readonly onBackgroundError?: (sourceId: string, error: unknown) => void;
  /** Called with each report this instance fetched upstream (see `SourceRefresherOptions.onFetched`). */
  readonly onFetched?: SourceRefresherOptions['onFetched'];
  /**
   * Most upstream fetches (lock, fetch, store) running at once in this process; the rest wait in order.
   * @default UPSTREAM_DEFAULTS.concurrency (128)
   */
  readonly concurrency?: number;
}

/** How a fetch is asked for: a refresh (see `RefreshRequest`), with the lock the lookup took for it. */
interface FetchRequest extends RefreshRequest {
  /** The refresh lock taken with the lookup (see `readMany`), if any. */
  readonly lock?: LockResult;
}

/** The timing of a source this reader does not have: nothing is fresh, nothing is kept. */
const NO_TIMING: SourceTiming = { freshMs: 0, keepMs: 0 };

/**
 * Reads sources through the store with the gateway's cache semantics (`planRead`), per source: a fresh
 * report is served, a stale one is served while one background refresh runs, and otherwise the read waits
 * for a fetch. One upstream fetch per source at a time, in this process (`FetchScheduler`) and across
 * instances (`SourceRefresher`). Emits `updated` (sourceId, background) whenever a source's stored report
 * changes; `background` is true for stale-while-revalidate refreshes that no read is waiting for.
 */
export class SourceReader extends EventEmitter<{ updated: [sourceId: string, background: boolean] }> {
  private readonly now: () => number;
  private readonly scheduler: FetchScheduler<StoredReport>;
  private readonly refresher: SourceRefresher;
  /** Each source's timing, from its config (fixed for the reader's life). */
  private readonly timings: ReadonlyMap<string, SourceTiming>;

  constructor(
    private readonly sources: ReadonlyMap<string, Source>,
    private readonly options: SourceReaderOptions,
  ) {
    super();
    this.now = options.now ?? Date.now;
    this.scheduler = new FetchScheduler(options.concurrency ?? UPSTREAM_DEFAULTS.concurrency, options.locks);
    this.refresher = new SourceRefresher({
      reports: options.reports,
      locks: options.locks,
      now: this.now,
      metrics: options.metrics,
      tracer: options.tracer,
      onUpdated: (sourceId, background) => this.emit('updated', sourceId, background),
      onFetched: options.onFetched,
    });
    this.timings = new Map([...sources].map(([id, source]) => [id, timingOf(source.config)]));
    options.metrics?.labelSources(sources.keys());
  }

  /** Upstream fetches running now, and waiting for a slot (for tests and diagnostics). */
  fetchLoad(): { running: number; queued: number } {
    return this.scheduler.load();
  }

  /** A source's timing (ttl and ttl + staleFor, in ms). */
  readonly timing = (sourceId: string): SourceTiming => this.timings.get(sourceId) ?? NO_TIMING;

  /**
   * Reads several sources at once (one store round trip per tier), in the order given. Sources that will
   * be fetched at once if L2 has nothing (as many as there are free fetch slots) have their refresh lock
   * taken in the same round trip as the L2 read, one Redis hop fewer before a cold fetch starts.
   */
  async readMany(sourceIds: readonly string[]): Promise<SourceRead[]> {
    let free = this.scheduler.freeSlots();
    const asked = new Set<string>();
    const lockFor = (id: string): number | undefined => {
      const source = this.sources.get(id);
      if (free <= 0 || !source || this.scheduler.isFetching(id) || asked.has(id)) return undefined;
      free -= 1;
      asked.add(id);
      return lockTtlFor(source.config.timeoutMs);
    };
    const lookups = this.options.reports.lookupAndLock(sourceIds, this.timing, this.now(), lockFor);
    return Promise.all(
      sourceIds.map(async (id, i) => {
        const { entry, tier, lock } = await lookups[i]!;
        // Only a lock taken is used. One held elsewhere may be this instance's own leftover, which the
        // lock asked for in the slot takes over (see RefreshLocks.tryLock); waiting on it would wait out
        // the whole budget for nobody.
        return this.readWith(id, entry, tier, lock?.state === 'acquired' ? lock : undefined);
      }),
    );
  }

  /** Reads one source. */
  async read(sourceId: string): Promise<SourceRead> {
    const [read] = await this.readMany([sourceId]);
    return read!;
  }

  /** Fetches a source now, whatever its cache holds (operator refresh, webhooks). */
  async refresh(sourceId: string): Promise<SourceRead> {
    if (!this.sources.has(sourceId)) return this.unknown(sourceId);
    try {
      const entry = await this.fetch(sourceId, { forceUpstream: true });
      return this.served(sourceId, entry, 'FRESH', 'UPSTREAM');
    } catch (error) {
      return this.failed(sourceId, error);
    }
  }

  /**
   * Refreshes a source that no read is waiting for (the refresh schedule), as a stale read's background
   * refresh: joins its fetch if one is running or queued here, else one instance of the fleet fetches it
   * and the others receive its report. `storedAt` is the fetch time of the report this instance holds, if
   * any. Resolves with the report now stored; rejects with the fetch's error.
   */
  revalidate(sourceId: string, storedAt: number | undefined): Promise<StoredReport> {
    if (!this.sources.has(sourceId))
      return Promise.reject(new SourceError('SOURCE_NOT_LOADED', 'no such source'));
    return this.fetch(sourceId, { storedAt, background: true });
  }

  private unknown(sourceId: string): SourceRead {
    return {
      ok: false,
      sourceId,
      origin: 'NONE',
      error: { code: 'SOURCE_NOT_LOADED', message: 'no such source' },
    };
  }

  private async readWith(
    sourceId: string,
    stored: StoredReport | undefined,
    tier: Tier | null,
    lock?: LockResult,
  ): Promise<SourceRead> {
    if (!this.sources.has(sourceId) || (stored && lock)) {
      // Not expected (a lock is only taken for a known source with nothing stored), but never keep one.
      if (lock?.state === 'acquired') void lock.release();
      if (!this.sources.has(sourceId)) return this.unknown(sourceId);
      lock = undefined;
    }
    const metrics = this.options.metrics;
    const plan = planRead(stored?.retrievedAt, this.now(), this.timing(sourceId));
    if (stored && plan === 'serve-fresh') {
      metrics?.cacheHits.inc({ tier: tier ?? 'L1' });
      return this.served(sourceId, stored, 'FRESH', tier ?? 'L1');
    }
    if (stored && plan === 'serve-stale-and-refresh') {
      metrics?.cacheHits.inc({ tier: tier ?? 'L1' });
      metrics?.staleServes.inc();
      this.fetch(sourceId, { storedAt: stored.retrievedAt, background: true }).catch((error) =>
        this.options.onBackgroundError?.(sourceId, error),
      );
      return this.served(sourceId, stored, 'STALE', tier ?? 'L1');
    }
    metrics?.cacheMisses.inc();
    try {
      return this.served(
        sourceId,
        await this.fetch(sourceId, { storedAt: stored?.retrievedAt, lock }),
        'FRESH',
        'UPSTREAM',
      );
    } catch (error) {
      return this.failed(sourceId, error);
    }
  }

  private served(
    sourceId: string,
    entry: StoredReport,
    freshness: Freshness,
    origin: ReadOrigin,
  ): SourceRead {
    const failure = freshness === 'STALE' ? this.refresher.lastFailure(sourceId) : undefined;
    return {
      ok: true,
      sourceId,
      report: entry.report,
      retrievedAt: entry.retrievedAt,
      freshness,
      origin,
      staleReason: failure ? { code: failure.code, message: failure.publicMessage } : null,
    };
  }

  private failed(sourceId: string, error: unknown): SourceRead {
    const e =
      error instanceof SourceError
        ? error
        : new SourceError('UPSTREAM_UNREACHABLE', 'the source failed unexpectedly');
    return { ok: false, sourceId, origin: 'UPSTREAM', error: { code: e.code, message: e.publicMessage } };
  }

  /**
   * Refreshes a source: joins its fetch if one is running or queued here, else schedules one (see
   * `FetchScheduler`) that refreshes it coordinated with the other instances (see `SourceRefresher`).
   */
  private fetch(sourceId: string, request: FetchRequest): Promise<StoredReport> {
    const source = this.sources.get(sourceId)!;
    return this.scheduler.schedule({
      sourceId,
      timeoutMs: source.config.timeoutMs,
      lock: request.lock,
      run: (lock) => this.refresher.refresh(source, this.timing(sourceId), lock, request),
    });
  }
}
