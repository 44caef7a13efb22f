/**
 * Refresh without traffic: each source is refreshed when its TTL runs out, whether or not anyone asks, so
 * that figures stay fresh and live updates reach an idle dashboard. One timer per source (unref'd: it
 * never keeps the process alive), armed for the last tenth of the report's TTL at a random point, so that
 * sources fetched together (a warm-up, a shared TTL) do not all come due together, and a busy gateway
 * does not serve them `STALE` while it revalidates.
 *
 * The refresh itself is the stale-while-revalidate one (`SourceReader.revalidate`): single flight in this
 * process, and across instances through the refresh lock, so one instance of a fleet fetches upstream and
 * the others receive its report (from L2, woken by the invalidation bus). An instance that stores a new
 * report of a source (the reader's `updated`: its own fetch, or one it received) or hears of another
 * instance's (a bus message) puts its timer back by a TTL, so in a fleet the first timer to fire does the
 * work and the others rarely fire at all.
 *
 * A failed refresh leaves the last good report where it is and is retried with backoff: from the source's
 * `breaker.halfOpenAfterMs` (by then an opened breaker lets a probe through), doubling per failure, never
 * longer than the TTL (a source that recovers stops being `STALE` within one TTL).
 */
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Source } from '../sources/source';
import type { InvalidationBus, InvalidationMessage } from './invalidation-bus';
import type { ReportCache } from './report-cache';
import type { SourceReader } from './source-reader';

/** Defaults of the refresh schedule (fixed; the settings are `refreshWithoutTraffic`, per source and global). */
export const REFRESH_SCHEDULE_DEFAULTS = {
  /**
   * @default 0.1: a report is refreshed at a random point of the last tenth of its TTL. Sources fetched at
   * once (45 forces sharing one TTL) are spread over that tenth, and drift further apart each round; the
   * cost is a refresh on average 5 % sooner than the TTL says.
   */
  leadFraction: 0.1,
  /** @default 500: the shortest wait before a scheduled refresh, however short the TTL or the backoff. */
  minDelayMs: 500,
  /** @default [0.75, 1]: a retry waits this share of its backoff (equal jitter), so retries still spread. */
  retryJitter: [0.75, 1] as const,
} as const;

/** The longest delay `setTimeout` keeps (2^31 - 1 ms, about 24.8 days); a longer one would fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` within [REFRESH_SCHEDULE_DEFAULTS.minDelayMs, MAX_TIMER_MS]. */
function clampDelay(ms: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(REFRESH_SCHEDULE_DEFAULTS.minDelayMs, Math.ceil(ms)));
}

/**
 * Slack of the due check: timers run on a monotonic clock and may fire a few ms before the wall clock
 * reaches the instant they were armed for; without it such a timer would be put back for nothing.
 */
const DUE_SLACK_MS = 20;

/**
 * Whether a report fetched at `retrievedAt` is due for its scheduled refresh at `nowMs` (in the last
 * `leadFraction` of its TTL, or past it).
 */
export function isDue(retrievedAt: number, nowMs: number, freshMs: number): boolean {
  return nowMs - retrievedAt + DUE_SLACK_MS >= freshMs * (1 - REFRESH_SCHEDULE_DEFAULTS.leadFraction);
}

/**
 * How long from `nowMs` until the scheduled refresh of a report fetched at `retrievedAt`: a point of the
 * last `leadFraction` of its TTL chosen by `random` (in [0, 1)). A TTL longer than a timer can hold (the
 * bundled year-long ones) waits `MAX_TIMER_MS` and is looked at again then (`isDue` says it is not due).
 */
export function refreshDelay(retrievedAt: number, nowMs: number, freshMs: number, random: number): number {
  const lead = freshMs * REFRESH_SCHEDULE_DEFAULTS.leadFraction * random;
  return clampDelay(retrievedAt + freshMs - lead - nowMs);
}

/**
 * How long to wait after the `failures`-th failed refresh in a row (1 or more): `halfOpenAfterMs`
 * doubled per failure after the first, at most the TTL, times a share of `retryJitter` chosen by `random`.
 */
export function retryDelay(
  failures: number,
  freshMs: number,
  halfOpenAfterMs: number,
  random: number,
): number {
  const [low, high] = REFRESH_SCHEDULE_DEFAULTS.retryJitter;
  const backoff = Math.min(freshMs, halfOpenAfterMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return clampDelay(backoff * (low + (high - low) * random));
}

/** The outcome of one scheduled refresh (the `result` label of `whereabouts_scheduled_refreshes_total`). */
export type ScheduledRefreshResult = 'ok' | 'not-due' | 'error';

/** What the schedule needs. */
export interface RefreshScheduleOptions {
  /** The sources to keep fresh (each with `refreshWithoutTraffic` on). */
  readonly sources: readonly Source[];
  /** Refreshes a source, coordinated with the other instances; its `updated` re-arms a timer. */
  readonly reader: SourceReader;
  /** Where the schedule looks up what a source holds when its timer fires. */
  readonly reports: ReportCache;
  /** Other instances' refreshes, which put this instance's timers back. */
  readonly bus: InvalidationBus;
  /** Clock in epoch ms, as the reader's: reports' fetch times are on it. */
  readonly now: () => number;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  /** Called with each failed scheduled refresh (already in the source's health), after it is counted. */
  readonly onError?: (sourceId: string, error: unknown) => void;
  /** Numbers in [0, 1) for the spread and jitter. @default Math.random */
  readonly random?: () => number;
}

/**
 * Keeps the configured sources refreshed without traffic, from the first time each is read (`observe`:
 * at start with the warm-up, else with the first request) until `stop`.
 */
export class RefreshSchedule {
  private readonly sources: ReadonlyMap<string, Source>;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Failed scheduled refreshes in a row, per source (none: the last one succeeded). */
  private readonly failures = new Map<string, number>();
  /** Sources whose timer has fired and whose refresh has not settled (they have no timer meanwhile). */
  private readonly firing = new Set<string>();
  private readonly random: () => number;
  private stopped = false;

  private readonly onUpdated = (sourceId: string): void => {
    // A new report here (this instance's fetch, or one it received): its TTL starts now.
    if (this.stopped || !this.sources.has(sourceId)) return;
    this.failures.delete(sourceId);
    if (!this.firing.has(sourceId)) this.armFor(sourceId, this.options.now());
  };

  constructor(private readonly options: RefreshScheduleOptions) {
    this.sources = new Map(options.sources.map((s) => [s.config.id, s]));
    this.random = options.random ?? Math.random;
    options.reader.on('updated', this.onUpdated);
    // The bus has no way to stop listening; after stop() this does nothing.
    options.bus.onMessage((message) => this.onMessage(message));
  }

  /** How many sources have a timer armed now (for tests and diagnostics). */
  armed(): number {
    return this.timers.size;
  }

  /**
   * Takes note of a read of `sourceId` (the fetch time of the report it found, or undefined if it found
   * none): a source read for the first time gets its timer. Later reads change nothing; refreshes do.
   */
  observe(sourceId: string, retrievedAt: number | undefined): void {
    if (this.stopped || !this.sources.has(sourceId)) return;
    if (this.timers.has(sourceId) || this.firing.has(sourceId)) return;
    if (retrievedAt !== undefined) this.armFor(sourceId, retrievedAt);
    else this.retryLater(sourceId);
  }

  /** Clears every timer; nothing is fetched by the schedule from now on. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.options.reader.off('updated', this.onUpdated);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Another instance refreshed a source this one keeps: put its timer back by a TTL. */
  private onMessage(message: InvalidationMessage): void {
    const { sourceId } = message;
    // Only sources this instance has read (they have a timer): a message alone does not start one, so an
    // instance kept cold (no warm-up, no traffic) stays cold.
    if (this.stopped || !this.timers.has(sourceId)) return;
    if (message.kind === 'updated') this.failures.delete(sourceId);
    this.armFor(sourceId, this.options.now());
  }

  /** Arms the timer of a source whose report was fetched at `retrievedAt`. */
  private armFor(sourceId: string, retrievedAt: number): void {
    const { freshMs } = this.options.reader.timing(sourceId);
    this.arm(sourceId, refreshDelay(retrievedAt, this.options.now(), freshMs, this.random()));
  }

  /** Arms the timer of a source whose last refresh failed, with backoff. */
  private retryLater(sourceId: string): void {
    const failures = (this.failures.get(sourceId) ?? 0) + 1;
    this.failures.set(sourceId, failures);
    const source = this.sources.get(sourceId)!;
    const { freshMs } = this.options.reader.timing(sourceId);
    this.arm(sourceId, retryDelay(failures, freshMs, source.config.breaker.halfOpenAfterMs, this.random()));
  }

  private arm(sourceId: string, delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(sourceId));
    const timer = setTimeout(() => {
      this.fire(sourceId).catch((error: unknown) =>
        // Not expected (fire catches what it awaits); never an unhandled rejection.
        this.options.logger?.error({ sourceId, err: error }, 'scheduled refresh failed unexpectedly'),
      );
    }, delayMs);
    // A timer must never keep the process alive: shutdown does not wait for the next refresh.
    timer.unref();
    this.timers.set(sourceId, timer);
  }

  /**
   * A source's timer fired: refresh it if its report is due (another instance may have refreshed it
   * meanwhile: then only the timer moves), then arm the timer for the next one.
   */
  private async fire(sourceId: string): Promise<void> {
    this.timers.delete(sourceId);
    if (this.stopped || this.firing.has(sourceId)) return;
    const { reader, reports, now, metrics } = this.options;
    this.firing.add(sourceId);
    try {
      const timing = reader.timing(sourceId);
      // L1, and L2 if L1's copy is past its TTL: a report another instance stored is found here.
      const [lookup] = await reports.lookupMany([sourceId], () => timing, now());
      if (this.stopped) return;
      const storedAt = lookup?.entry?.retrievedAt;
      if (storedAt !== undefined && !isDue(storedAt, now(), timing.freshMs)) {
        metrics?.scheduledRefreshes.inc({ result: 'not-due' });
        this.armFor(sourceId, storedAt);
        return;
      }
      const entry = await reader.revalidate(sourceId, storedAt);
      this.failures.delete(sourceId);
      metrics?.scheduledRefreshes.inc({ result: 'ok' });
      this.armFor(sourceId, entry.retrievedAt);
    } catch (error) {
      // The last good report stays where it is (L1 and L2 keep it until staleFor ends); try again later.
      metrics?.scheduledRefreshes.inc({ result: 'error' });
      this.retryLater(sourceId);
      this.options.onError?.(sourceId, error);
    } finally {
      this.firing.delete(sourceId);
    }
  }
}
