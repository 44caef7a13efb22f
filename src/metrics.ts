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
    help: 'Upstream fetches of a source, by outcome.',
    labelNames: ['source', 'result'] as const,
    registers: [this.registry],
  });

  readonly lockWaits = new Counter({
    name: 'whereabouts_refresh_lock_waits_total',
    help: 'Times this instance waited for another instance holding the refresh lock, by outcome.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly redisErrors = new Counter({
    name: 'whereabouts_redis_errors_total',
    help: 'Redis operations that failed or were skipped (the gateway fails open to L1 and upstream).',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly snapshots = new Counter({
    name: 'whereabouts_snapshot_total',
    help: 'Requests served from the precomputed snapshot (hit) or that rebuilt it (build).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

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
    help: 'Upstream fetches of a source (retries and breaker included): latency by source and result.',
    labelNames: ['source', 'result'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly sourceErrors = new Counter({
    name: 'whereabouts_source_errors_total',
    help: 'Failed upstream fetches of a source, by source and error code.',
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

  readonly breakerState: Gauge<'source'>;
  readonly redisReady: Gauge;
  readonly redisConfigured: Gauge;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const probes = () => this.probes;
    this.breakerState = new Gauge({
      name: 'whereabouts_source_breaker_state',
      help: "A source's circuit breaker: 0 closed, 1 half-open, 2 open (read on scrape).",
      labelNames: ['source'] as const,
      registers: [this.registry],
      collect() {
        for (const s of probes().sources?.() ?? []) this.set({ source: s.id }, BREAKER_GAUGE[s.breaker]);
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
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'whereabouts_' });
  }

  /** Tells the scrape-time gauges where to read breaker states and Redis status. */
  watch(probes: MetricsProbes): void {
    this.probes = probes;
  }
}
