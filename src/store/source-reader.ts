import { EventEmitter } from 'node:events';
import type { BulkheadPolicy } from 'cockatiel';
import { bulkhead } from 'cockatiel';
import { UPSTREAM_DEFAULTS } from '../config/schema';
import type { SourceReport } from '../domain/figure';
import type { SourceErrorCode } from '../errors';
import { SourceError } from '../errors';
import type { Metrics } from '../metrics';
import type { Source } from '../sources/source';
import type { Tracer } from '../tracing';
import { inSpan } from '../tracing';
import type { FigureStore, LockResult, SourceTiming, StoredReport, Tier } from './figure-store';

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
  readonly store: FigureStore;
  /** Clock in epoch ms (tests control it). */
  readonly now?: () => number;
  readonly metrics?: Metrics;
  /** Traces each upstream fetch (`source.fetch`); a no-op tracer when tracing is off. */
  readonly tracer?: Tracer;
  /** Called with background refresh failures (already recorded in source health). */
  readonly onBackgroundError?: (sourceId: string, error: unknown) => void;
  /**
   * Most upstream fetches (lock, fetch, store) running at once in this process; the rest wait in order.
   * @default UPSTREAM_DEFAULTS.concurrency (128)
   */
  readonly concurrency?: number;
}

/** The `result` label of a fetch: ok, or the source error's code (a small fixed set). */
function resultOf(error: unknown): string {
  return error instanceof SourceError ? error.code : 'internal';
}

/** Extra time a lock outlives the fetch it guards, so a slow fetch does not lose it halfway. */
const LOCK_MARGIN_MS = 1000;

/**
 * How many fetches waiting for a slot have their refresh lock asked for ahead, so that the lock's round
 * trip is over by the time a slot frees. Taken inside the slot, it added 8-14 ms to every slot of a
 * saturated fan-out (the event loop is busy then); a fetch this close to the head gets its slot within a
 * fraction of one upstream latency, well inside the lock's margin. Locks are asked for in groups of at
 * least half of this (one Redis call each), unless the fetch next in line has none.
 */
const LOCK_LOOKAHEAD = 32;

/** A fetch waiting for (or just given) a slot, with its refresh lock once asked for. */
interface Place {
  readonly sourceId: string;
  readonly timeoutMs: number;
  lock?: Promise<LockResult>;
  /**
   * The lock when it was known as the fetch was queued (taken with the lookup): used without awaiting
   * `lock`, so that a fetch given a slot at once runs to its upstream request in the same microtask. An
   * await there made the sources of one lookup answer each take a step in turn, and the first request
   * left only once all of them had taken theirs.
   */
  readonly known?: LockResult;
  /** When the lock was asked for (epoch ms). */
  lockedAt: number;
  started: boolean;
}

/**
 * Reads sources through the store with the gateway's cache semantics, per source:
 * - within `ttl` the stored report is served `FRESH`;
 * - after `ttl` it is served `STALE` while one background refresh runs (stale-while-revalidate);
 * - while refreshes fail it stays `STALE` until `staleFor` after the ttl ends (stale-if-error);
 * - after that, or with nothing stored, a read waits for a fetch; if that fails the read is an error.
 *
 * One upstream fetch per source at a time: concurrent reads in this process share one promise
 * (single-flight), and across instances a Redis lock lets one instance fetch while the others wait for
 * its result in L2. Emits `updated` (sourceId, background) whenever a source's stored report changes;
 * `background` is true for stale-while-revalidate refreshes that no read is waiting for.
 */
export class SourceReader extends EventEmitter<{ updated: [sourceId: string, background: boolean] }> {
  private readonly inFlight = new Map<string, Promise<StoredReport>>();
  private readonly lastFailure = new Map<string, SourceError>();
  private readonly now: () => number;
  /** The cap on concurrent upstream fetches (cockatiel bulkhead, unbounded FIFO queue). */
  private readonly slots: BulkheadPolicy;
  private readonly concurrency: number;
  private running = 0;
  /** Fetches in the order they asked for a slot (the bulkhead's queue is FIFO); `head` is the first waiting. */
  private waiting: Place[] = [];
  private head = 0;

  constructor(
    private readonly sources: ReadonlyMap<string, Source>,
    private readonly options: SourceReaderOptions,
  ) {
    super();
    this.now = options.now ?? Date.now;
    const concurrency = options.concurrency ?? UPSTREAM_DEFAULTS.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error(`concurrency must be a whole number, 1 or more; got ${concurrency}`);
    this.concurrency = concurrency;
    this.slots = bulkhead(concurrency, Number.POSITIVE_INFINITY);
    options.metrics?.labelSources(sources.keys());
  }

  /**
   * Marks `place` as started and asks for the locks of the next `LOCK_LOOKAHEAD` waiting fetches that do
   * not have one yet.
   */
  private started(place: Place): void {
    place.started = true;
    while (this.head < this.waiting.length && this.waiting[this.head]!.started) this.head += 1;
    if (this.head > 64 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    const unlocked: Place[] = [];
    let seen = 0;
    let nextInLineUnlocked = false;
    for (let i = this.head; i < this.waiting.length && seen < LOCK_LOOKAHEAD; i++) {
      const next = this.waiting[i]!;
      if (next.started) continue;
      if (seen === 0 && !next.lock) nextInLineUnlocked = true;
      seen += 1;
      if (!next.lock) unlocked.push(next);
    }
    if (unlocked.length === 0 || (!nextInLineUnlocked && unlocked.length < LOCK_LOOKAHEAD / 2)) return;
    const locks = this.options.store.tryLockMany(
      unlocked.map((p) => ({ sourceId: p.sourceId, ttlMs: p.timeoutMs + LOCK_MARGIN_MS })),
    );
    const now = Date.now();
    unlocked.forEach((p, i) => {
      p.lock = locks.then((all) => all[i]!);
      p.lockedAt = now;
    });
  }

  /** Upstream fetches running now, and waiting for a slot (for tests and diagnostics). */
  fetchLoad(): { running: number; queued: number } {
    return { running: this.running, queued: this.inFlight.size - this.running };
  }

  private timing = (sourceId: string): SourceTiming => {
    const config = this.sources.get(sourceId)?.config;
    const freshMs = (config?.ttlSeconds ?? 0) * 1000;
    return { freshMs, keepMs: freshMs + (config?.staleForSeconds ?? 0) * 1000 };
  };

  /**
   * Reads several sources at once (one store round trip per tier), in the order given. Sources that will
   * be fetched at once if L2 has nothing (as many as there are free fetch slots) have their refresh lock
   * taken in the same round trip as the L2 read, one Redis hop fewer before a cold fetch starts.
   */
  async readMany(sourceIds: readonly string[]): Promise<SourceRead[]> {
    let free = this.concurrency - this.inFlight.size;
    const asked = new Set<string>();
    const lockFor = (id: string): number | undefined => {
      const source = this.sources.get(id);
      if (free <= 0 || !source || this.inFlight.has(id) || asked.has(id)) return undefined;
      free -= 1;
      asked.add(id);
      return source.config.timeoutMs + LOCK_MARGIN_MS;
    };
    const lookups = this.options.store.lookupAndLock(sourceIds, this.timing, this.now(), lockFor);
    return Promise.all(
      sourceIds.map(async (id, i) => {
        const { entry, tier, lock } = await lookups[i]!;
        // Only a lock taken is used. One held elsewhere may be this instance's own leftover, which the
        // lock asked for in the slot takes over (see FigureStore.tryLock); waiting on it would wait out
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
      const entry = await this.fetch(sourceId, undefined, true);
      return this.served(sourceId, entry, 'FRESH', 'UPSTREAM');
    } catch (error) {
      return this.failed(sourceId, error);
    }
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
    const { freshMs, keepMs } = this.timing(sourceId);
    const metrics = this.options.metrics;
    if (stored) {
      const age = this.now() - stored.retrievedAt;
      if (age < freshMs) {
        metrics?.cacheHits.inc({ tier: tier ?? 'L1' });
        return this.served(sourceId, stored, 'FRESH', tier ?? 'L1');
      }
      if (age < keepMs) {
        metrics?.cacheHits.inc({ tier: tier ?? 'L1' });
        metrics?.staleServes.inc();
        this.fetch(sourceId, stored.retrievedAt, false, true).catch((error) =>
          this.options.onBackgroundError?.(sourceId, error),
        );
        return this.served(sourceId, stored, 'STALE', tier ?? 'L1');
      }
    }
    metrics?.cacheMisses.inc();
    try {
      return this.served(
        sourceId,
        await this.fetch(sourceId, stored?.retrievedAt, false, false, lock),
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
    const failure = freshness === 'STALE' ? this.lastFailure.get(sourceId) : undefined;
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
   * One upstream fetch per source at a time in this process, and (with Redis) across instances: the
   * instance holding the lock fetches; the others wait for its report in L2, and fetch themselves only
   * if it does not come within the source's time budget (fail open). `taken` is the lock's state as the
   * lookup found it (see `readMany`), when it asked.
   */
  private fetch(
    sourceId: string,
    known: number | undefined,
    force = false,
    background = false,
    taken?: LockResult,
  ): Promise<StoredReport> {
    const running = this.inFlight.get(sourceId);
    if (running) {
      if (taken?.state === 'acquired') void taken.release();
      return running;
    }
    const source = this.sources.get(sourceId)!;
    const place: Place = {
      sourceId,
      timeoutMs: source.config.timeoutMs,
      ...(taken ? { lock: Promise.resolve(taken), known: taken } : {}),
      lockedAt: Date.now(),
      started: false,
    };
    this.waiting.push(place);
    const timing = this.timing(sourceId);
    const { store, metrics } = this.options;
    // The whole refresh runs in a slot: its time budget starts only once it has one. Its lock is asked for
    // then, or shortly before if it waits near the head of the queue (see LOCK_LOOKAHEAD).
    const task = this.slots.execute(async () => {
      this.running += 1;
      this.started(place);
      try {
        const budgetMs = source.config.timeoutMs;
        let lock = place.known ?? (place.lock && (await place.lock));
        if (lock && Date.now() - place.lockedAt > LOCK_MARGIN_MS / 2) {
          // It waited long for a slot: a lock taken ahead could run out before this fetch ends (its budget
          // starts now), and another instance's may be gone. Ask again.
          if (lock.state === 'acquired') await lock.release();
          lock = undefined;
        }
        lock ??= await store.tryLock(sourceId, budgetMs + LOCK_MARGIN_MS);
        if (lock.state === 'held-elsewhere' && !force) {
          const theirs = await store.waitForNewer(sourceId, known ?? 0, budgetMs + LOCK_MARGIN_MS, timing);
          metrics?.lockWaits.inc({ result: theirs ? 'received' : 'gave-up' });
          if (theirs) {
            this.lastFailure.delete(sourceId);
            this.emit('updated', sourceId, background);
            return theirs;
          }
        }
        let handedOver = false;
        try {
          if (lock.state === 'acquired' && !force) {
            // Another instance may have written a report between our read and our lock: use it. The
            // store read it with the lock, in the same round trip, when it can.
            const latest = lock.peeked
              ? lock.latest
              : (
                  await store.lookupMany(
                    [sourceId],
                    () => ({ freshMs: 0, keepMs: timing.keepMs }),
                    this.now(),
                  )
                )[0]?.entry;
            if (
              latest &&
              latest.retrievedAt > (known ?? 0) &&
              this.now() - latest.retrievedAt < timing.freshMs
            ) {
              store.adopt(sourceId, latest, timing.keepMs, this.now());
              return latest;
            }
          }
          const report = await this.fetchUpstream(source);
          const entry: StoredReport = { report, retrievedAt: this.now() };
          this.lastFailure.delete(sourceId);
          metrics?.refreshes.inc({ source: metrics.sourceLabel(sourceId), result: 'ok' });
          // L1 is written at once; L2, the announcement and the unlock follow (one round trip) without
          // holding up this read.
          handedOver = true;
          void store.commit(sourceId, entry, timing.keepMs, lock);
          this.emit('updated', sourceId, background);
          return entry;
        } finally {
          if (lock.state === 'acquired' && !handedOver) await lock.release();
        }
      } catch (error) {
        if (error instanceof SourceError) {
          this.lastFailure.set(sourceId, error);
          metrics?.refreshes.inc({ source: metrics.sourceLabel(sourceId), result: 'error' });
        }
        throw error;
      } finally {
        this.running -= 1;
        this.inFlight.delete(sourceId);
      }
    });
    this.inFlight.set(sourceId, task);
    return task;
  }

  /** One upstream fetch of a source, timed (`whereabouts_source_fetch_duration_seconds`) and traced. */
  private async fetchUpstream(source: Source): Promise<SourceReport> {
    const { metrics, tracer } = this.options;
    const run = async (): Promise<SourceReport> => {
      const started = performance.now();
      try {
        const report = await source.load();
        metrics?.sourceFetchDuration.observe(
          { source: metrics.sourceLabel(source.config.id), result: 'ok' },
          (performance.now() - started) / 1000,
        );
        return report;
      } catch (error) {
        const result = resultOf(error);
        if (metrics) {
          const label = metrics.sourceLabel(source.config.id);
          metrics.sourceFetchDuration.observe(
            { source: label, result },
            (performance.now() - started) / 1000,
          );
          metrics.sourceErrors.inc({ source: label, code: result });
        }
        throw error;
      }
    };
    if (!tracer) return run();
    const labels = {
      'whereabouts.source.id': source.config.id,
      'whereabouts.source.kind': source.config.kind,
    };
    return inSpan(tracer, 'source.fetch', labels, async (span) => {
      try {
        const report = await run();
        span.setAttribute('whereabouts.source.result', 'ok');
        return report;
      } catch (error) {
        span.setAttribute('whereabouts.source.result', resultOf(error));
        throw error;
      }
    });
  }
}
