import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Breaker states as the gauge reports them. */
export const BREAKER_GAUGE = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 } as const;

/** What the scrape-time gauges read: the sources' breakers and the store's Redis tier. */
export interface MetricsProbes {
  readonly sources?: () => ReadonlyArray<{
    readonly id: string;
    readonly breaker: keyof typeof BREAKER_GAUGE;
  }>;
  readonly l2State?: () => 'none' | 'ready' | 'degraded';
}

/**
 * Most sources that get a `source` label of their own; the others share `source="_other"`. Each labelled
 * source costs a series per result and bucket: at 4,500 sources unbounded labels made about 90,000
 * series (a scrape of megabytes, and CPU to create them during a cold fan-out). The source status query
 * still reports every source individually.
 */
export const MAX_SOURCE_LABELS = 200;

/** The `source` label shared by sources past `MAX_SOURCE_LABELS`. */
export const OTHER_SOURCES_LABEL = '_other';

/** Latency buckets (seconds) of HTTP requests and upstream fetches: 5 ms to 10 s. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The gateway's metrics, on a registry of its own (one per app, so that two apps in one test process do
 * not share counters). Exposed at /metrics in Prometheus text format.
 */
export class Metrics {
  readonly registry = new Registry();

  /** Store reads answered by a tier: L1 (in process) or L2 (Redis). */
  readonly cacheHits = new Counter({
    name: 'whereabouts_cache_hits_total',
    help: 'Source reports found in the cache, by tier (L1 in-process, L2 Redis).',
    labelNames: ['tier'] as const,
    registers: [this.registry],
  });

  readonly cacheMisses = new Counter({
    name: 'whereabouts_cache_misses_total',
    help: 'Source reports not in any tier (or past staleFor), so fetched upstream before answering.',
    registers: [this.registry],
  });

  readonly staleServes = new Counter({
    name: 'whereabouts_cache_stale_serves_total',
    help: 'Source reports served past their TTL (while revalidating, or while the source fails).',
    registers: [this.registry],
  });

  readonly refreshes = new Counter({
    name: 'whereabouts_source_refreshes_total',
    help: `Upstream fetches of a source, by outcome (sources past the first ${MAX_SOURCE_LABELS} share source="${OTHER_SOURCES_LABEL}").`,
    labelNames: ['source', 'result'] as const,
    registers: [this.registry],
  });

  /** Refreshes without traffic (`RefreshSchedule`), by outcome. */
  readonly scheduledRefreshes = new Counter({
    name: 'whereabouts_scheduled_refreshes_total',
    help: 'Refreshes of a source whose TTL ran out with no read asking (refreshWithoutTraffic), by outcome: ok (a new report, fetched here or received from the instance holding the refresh lock), not-due (another instance had refreshed it), error (the last good report is kept; retried with backoff).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly lockWaits = new Counter({
    name: 'whereabouts_refresh_lock_waits_total',
    help: 'Times this instance waited for another instance holding the refresh lock, by outcome.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly archiveRecords = new Counter({
    name: 'whereabouts_archive_records_total',
    help: 'Reports written to the archive, by result (ok, or error: the next fetch of the source writes it again).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly archiveFigures = new Counter({
    name: 'whereabouts_archive_figures_total',
    help: 'Figures the archive recorded, by what recording did: added, revised, unchanged or ignored (older than held).',
    labelNames: ['change'] as const,
    registers: [this.registry],
  });

  readonly redisErrors = new Counter({
    name: 'whereabouts_redis_errors_total',
    help: 'Redis operations that failed or were skipped (the gateway fails open to L1 and upstream).',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  /** Snapshot hits not yet added to `snapshots` (see `snapshotHit`). */
  private pendingSnapshotHits = 0;

  /** Requests served from the precomputed snapshot (`result="hit"`, see `snapshotHit`) or that rebuilt it. */
  readonly snapshots: Counter<'result'> = new Counter({
    name: 'whereabouts_snapshot_total',
    help: 'Requests served from the precomputed snapshot (hit) or that rebuilt it (build).',
    labelNames: ['result'] as const,
    registers: [this.registry],
    // Hits are added when the metric is read (a scrape), not one labelled `inc` per request.
    collect: () => {
      if (this.pendingSnapshotHits === 0) return;
      this.snapshots.inc({ result: 'hit' }, this.pendingSnapshotHits);
      this.pendingSnapshotHits = 0;
    },
  });

  /**
   * Counts one request served from the precomputed snapshot. Every warm request is one: prom-client's
   * labelled `inc` (a label string built and looked up) cost about 1 µs of a warm feed request, so hits
   * are summed here and added to `whereabouts_snapshot_total` when it is read.
   */
  snapshotHit(): void {
    this.pendingSnapshotHits += 1;
  }

  /** Every HTTP request, by route (bounded), operation (bounded, see `operationLabel`), role and status. */
  readonly httpRequestDuration = new Histogram({
    name: 'whereabouts_http_request_duration_seconds',
    help: 'HTTP requests: latency by route, GraphQL operation, caller role and status (the _count is the rate).',
    labelNames: ['route', 'operation', 'role', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  /** Upstream fetches of a source (retries included), by outcome. */
  readonly sourceFetchDuration = new Histogram({
    name: 'whereabouts_source_fetch_duration_seconds',
    help: `Upstream fetches of a source (retries and breaker included): latency by source and result (sources past the first ${MAX_SOURCE_LABELS} share source="${OTHER_SOURCES_LABEL}").`,
    labelNames: ['source', 'result'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly sourceErrors = new Counter({
    name: 'whereabouts_source_errors_total',
    help: `Failed upstream fetches of a source, by source and error code (sources past the first ${MAX_SOURCE_LABELS} share source="${OTHER_SOURCES_LABEL}").`,
    labelNames: ['source', 'code'] as const,
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'whereabouts_rate_limited_total',
    help: 'Requests refused by a rate limit, by bucket (role, or anonymous per IP).',
    labelNames: ['bucket'] as const,
    registers: [this.registry],
  });

  private probes: MetricsProbes = {};
  /** Sources labelled individually (at most `MAX_SOURCE_LABELS`), in the order they were first named. */
  private readonly labelledSources = new Set<string>();

  /**
   * Gives these sources (in configuration order) their own `source` label, up to `MAX_SOURCE_LABELS` in
   * all, so which sources are labelled does not depend on which answered first. Sources never named here
   * are labelled on first sight while room is left.
   */
  labelSources(sourceIds: Iterable<string>): void {
    for (const id of sourceIds) {
      if (this.labelledSources.size >= MAX_SOURCE_LABELS) return;
      this.labelledSources.add(id);
    }
  }

  /** The `source` label of a source: its id while under `MAX_SOURCE_LABELS`, else `_other`. */
  sourceLabel(sourceId: string): string {
    if (this.labelledSources.has(sourceId)) return sourceId;
    if (this.labelledSources.size < MAX_SOURCE_LABELS) {
      this.labelledSources.add(sourceId);
      return sourceId;
    }
    return OTHER_SOURCES_LABEL;
  }

  readonly breakerState: Gauge<'source'>;
  readonly redisReady: Gauge;
  readonly redisConfigured: Gauge;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const probes = () => this.probes;
    const sourceLabel = (id: string) => this.sourceLabel(id);
    this.breakerState = new Gauge({
      name: 'whereabouts_source_breaker_state',
      help: `A source's circuit breaker: 0 closed, 1 half-open, 2 open (read on scrape; sources past the first ${MAX_SOURCE_LABELS} share source="${OTHER_SOURCES_LABEL}", the most open of them).`,
      labelNames: ['source'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const states = new Map<string, number>();
        for (const s of probes().sources?.() ?? []) {
          const label = sourceLabel(s.id);
          states.set(label, Math.max(states.get(label) ?? 0, BREAKER_GAUGE[s.breaker]));
        }
        for (const [source, state] of states) this.set({ source }, state);
      },
    });
    this.redisReady = new Gauge({
      name: 'whereabouts_redis_ready',
      help: 'Redis (L2, locks, pub/sub, shared rate limits): 1 ready, 0 not ready or not configured (read on scrape).',
      registers: [this.registry],
      collect() {
        this.set(probes().l2State?.() === 'ready' ? 1 : 0);
      },
    });
    this.redisConfigured = new Gauge({
      name: 'whereabouts_redis_configured',
      help: 'Whether this instance is configured with Redis: 1 yes, 0 in-process only.',
      registers: [this.registry],
      collect() {
        this.set((probes().l2State?.() ?? 'none') === 'none' ? 0 : 1);
      },
    });
    if (options.defaultMetrics) {
      collectDefaultMetrics({ register: this.registry, prefix: 'whereabouts_' });
      // prom-client names three gauges with a counter's `_total` suffix, which Prometheus' own lint
      // (`promtool check metrics`) rejects. Each is the sum of its per-type gauge, which stays:
      // `sum(whereabouts_nodejs_active_handles)` gives the same number.
      for (const kind of ['handles', 'requests', 'resources']) {
        this.registry.removeSingleMetric(`whereabouts_nodejs_active_${kind}_total`);
      }
    }
  }

  /** Tells the scrape-time gauges where to read breaker states and Redis status. */
  watch(probes: MetricsProbes): void {
    this.probes = probes;
  }
}
