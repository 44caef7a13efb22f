import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

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

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'whereabouts_' });
  }
}
