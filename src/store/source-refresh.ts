/**
 * One refresh of one source, coordinated across instances by the refresh lock: the instance holding the
 * lock fetches upstream and commits the report (L2, the announcement and the unlock in one step); the
 * others wait for its report in L2, and fetch themselves only if it does not come within the source's time
 * budget (fail open). Keeps why each source's last refresh failed, which a stale read reports.
 */
import type { SourceReport } from '../domain/figure';
import { SourceError } from '../errors';
import type { Metrics } from '../metrics';
import type { Source } from '../sources/source';
import type { Tracer } from '../tracing';
import { inSpan } from '../tracing';
import type { SourceTiming } from './freshness';
import { isFresh } from './freshness';
import type { LockResult, RefreshLocks } from './refresh-locks';
import { lockTtlFor } from './refresh-locks';
import type { ReportCache } from './report-cache';
import type { StoredReport } from './stored-report';

/** What a refresh needs. */
export interface SourceRefresherOptions {
  readonly reports: ReportCache;
  readonly locks: RefreshLocks;
  /** Clock in epoch ms (tests control it): the fetch time of a new report. */
  readonly now: () => number;
  readonly metrics?: Metrics;
  /** Traces each upstream fetch (`source.fetch`); none when tracing is off. */
  readonly tracer?: Tracer;
  /**
   * Called when the source's stored report changed: this refresh fetched it, or received the one another
   * instance fetched. Not called when an already stored report is taken over.
   */
  readonly onUpdated: (sourceId: string, background: boolean) => void;
  /** Called with each report this instance fetched upstream (the archive records it); must not throw. */
  readonly onFetched?: (sourceId: string, entry: StoredReport) => void;
}

/** How a refresh is asked for. */
export interface RefreshRequest {
  /** Fetch time of the report the asker holds, if any: another instance's report is taken only if newer. */
  readonly storedAt?: number;
  /**
   * Fetch upstream even while another instance holds the lock or has just stored a fresh report (an
   * operator refresh, a webhook: the source is known to have changed).
   */
  readonly forceUpstream?: boolean;
  /** No read waits for this refresh (stale-while-revalidate); passed on to `onUpdated`. */
  readonly background?: boolean;
}

/** The `result` label of a fetch: ok, or the source error's code (a small fixed set). */
function resultOf(error: unknown): string {
  return error instanceof SourceError ? error.code : 'internal';
}

/** Refreshes sources, one call per refresh (the caller makes sure one runs per source at a time). */
export class SourceRefresher {
  private readonly lastFailures = new Map<string, SourceError>();

  constructor(private readonly options: SourceRefresherOptions) {}

  /** Why the source's last refresh failed; undefined once one has succeeded since. */
  lastFailure(sourceId: string): SourceError | undefined {
    return this.lastFailures.get(sourceId);
  }

  /**
   * Refreshes `source`. `lock` is its refresh lock if one was taken for it already; otherwise it is asked
   * for here. Resolves with the report now stored; rejects with the fetch's error.
   */
  async refresh(
    source: Source,
    timing: SourceTiming,
    lock: LockResult | undefined,
    request: RefreshRequest,
  ): Promise<StoredReport> {
    const { reports, locks, metrics, onUpdated } = this.options;
    const sourceId = source.config.id;
    const { storedAt = 0, forceUpstream = false, background = false } = request;
    try {
      const lockTtlMs = lockTtlFor(source.config.timeoutMs);
      lock ??= await locks.tryLock(sourceId, lockTtlMs);
      if (lock.state === 'held-elsewhere' && !forceUpstream) {
        const theirs = await reports.waitForNewer(sourceId, storedAt, lockTtlMs, timing);
        metrics?.lockWaits.inc({ result: theirs ? 'received' : 'gave-up' });
        if (theirs) {
          this.lastFailures.delete(sourceId);
          onUpdated(sourceId, background);
          return theirs;
        }
      }
      let handedOver = false;
      try {
        if (lock.state === 'acquired' && !forceUpstream) {
          // Another instance may have written a report between our read and our lock: use it. The
          // store read it with the lock, in the same round trip, when it can.
          const latest = lock.peeked
            ? lock.latest
            : (
                await reports.lookupMany(
                  [sourceId],
                  () => ({ freshMs: 0, keepMs: timing.keepMs }),
                  this.options.now(),
                )
              )[0]?.entry;
          if (
            latest &&
            latest.retrievedAt > storedAt &&
            isFresh(latest.retrievedAt, this.options.now(), timing)
          ) {
            reports.adopt(sourceId, latest, timing.keepMs, this.options.now());
            return latest;
          }
        }
        const report = await this.fetchUpstream(source);
        const entry: StoredReport = { report, retrievedAt: this.options.now() };
        this.lastFailures.delete(sourceId);
        metrics?.refreshes.inc({ source: metrics.sourceLabel(sourceId), result: 'ok' });
        // L1 is written at once; L2, the announcement and the unlock follow (one round trip) without
        // holding up this read.
        handedOver = true;
        void reports.commit(sourceId, entry, timing.keepMs, lock);
        this.options.onFetched?.(sourceId, entry);
        onUpdated(sourceId, background);
        return entry;
      } finally {
        if (lock.state === 'acquired' && !handedOver) await lock.release();
      }
    } catch (error) {
      if (error instanceof SourceError) {
        this.lastFailures.set(sourceId, error);
        metrics?.refreshes.inc({ source: metrics.sourceLabel(sourceId), result: 'error' });
      }
      throw error;
    }
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
