/**
 * The figure store: where fetched reports are kept between requests, and how instances coordinate, as three
 * narrow parts over one optional Redis connection:
 * - `reports` (`report-cache.ts`): each source's report, in L1 and L2;
 * - `locks` (`refresh-locks.ts`): the cross-instance refresh lock;
 * - `bus` (`invalidation-bus.ts`): messages between instances about a source.
 * They share this instance's id (lock tokens, message senders) and one `StoreScripts` (`redis-scripts.ts`),
 * so their script calls of one event-loop turn go out in one pipeline. Every part fails open: a Redis error
 * is a miss (or no coordination), never a failed request.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { InvalidationBus } from './invalidation-bus';
import { RedisInvalidationBus } from './invalidation-bus';
import type { RedisConnection } from './redis-connection';
import { redisFailureRecorder } from './redis-connection';
import { StoreScripts } from './redis-scripts';
import type { RefreshLocks } from './refresh-locks';
import { RedisRefreshLocks } from './refresh-locks';
import type { ReportCache } from './report-cache';
import { TieredReportCache } from './report-cache';

/** The store's parts, and its Redis connection's state and lifetime. */
export interface FigureStore {
  readonly reports: ReportCache;
  readonly locks: RefreshLocks;
  readonly bus: InvalidationBus;
  /** Whether L2 is configured, and whether it is usable now. */
  l2State(): 'none' | 'ready' | 'degraded';
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
}

/** Options of the tiered store. */
export interface TieredStoreOptions {
  /** Most source reports held in L1. @default 10000 */
  readonly maxL1Entries?: number;
  /** Redis for L2, the refresh lock and the bus; without it the store is L1 only, for one instance. */
  readonly redis?: RedisConnection;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

/**
 * The store over L1 and an optional Redis. With no Redis it is the embedded default's in-process cache;
 * with Redis, instances share reports, a refresh lock and invalidations.
 */
export class TieredFigureStore implements FigureStore {
  readonly reports: ReportCache;
  readonly locks: RefreshLocks;
  readonly bus: InvalidationBus;
  private readonly redis?: RedisConnection;

  constructor(options: TieredStoreOptions = {}) {
    const { redis, metrics, logger } = options;
    this.redis = redis;
    const instanceId = randomUUID();
    const failed = redisFailureRecorder(metrics, logger);
    const scripts = redis && new StoreScripts(redis);
    // The bus before the cache: the cache is its first listener, so an L1 copy is dropped before any
    // later listener (the figure service, live updates) hears of the change.
    const bus = new RedisInvalidationBus({ instanceId, redis, failed });
    const locks = new RedisRefreshLocks({ instanceId, scripts, failed });
    this.reports = new TieredReportCache({
      maxL1Entries: options.maxL1Entries,
      scripts,
      locks,
      bus,
      failed,
      logger,
    });
    this.locks = locks;
    this.bus = bus;
  }

  l2State(): 'none' | 'ready' | 'degraded' {
    if (!this.redis) return 'none';
    return this.redis.healthy ? 'ready' : 'degraded';
  }

  async close(): Promise<void> {
    await this.redis?.close();
  }
}
