import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { AccessConfig } from '../config/schema';
import { keys } from '../store/keys';
import type { Metrics } from '../metrics';
import type { RedisConnection } from '../store/redis-connection';
import type { Role } from './caller';

/** Who is limited: a role's key, or an anonymous caller's IP. */
export type LimitBucket = Role | 'anonymous';

/** The outcome of counting one request. */
export type LimitDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/** Longest a request waits on Redis for its rate-limit count before the in-memory count is used. */
const REDIS_LIMIT_DEADLINE_MS = 200;

/**
 * Rate limits per role (counted per key) and per IP for anonymous callers, with rate-limiter-flexible:
 * counted in Redis when there is one, so limits hold across instances, with an in-memory limiter as
 * insurance. With Redis down (or hung) the in-memory count is used: a naive `catch -> 429` would lock
 * everyone out (see STACK.md).
 */
export class RateLimits {
  private readonly memory = new Map<LimitBucket, RateLimiterMemory>();
  private readonly redis = new Map<LimitBucket, RateLimiterAbstract>();

  constructor(
    config: AccessConfig['rateLimits'],
    private readonly connection?: RedisConnection,
    /** Counts refusals (`whereabouts_rate_limited_total`). */
    private readonly metrics?: Pick<Metrics, 'rateLimited'>,
  ) {
    for (const [bucket, limit] of Object.entries(config) as Array<
      [LimitBucket, { points: number; durationSeconds: number }]
    >) {
      const memory = new RateLimiterMemory({
        points: limit.points,
        duration: limit.durationSeconds,
        keyPrefix: bucket,
      });
      this.memory.set(bucket, memory);
      if (connection) {
        this.redis.set(
          bucket,
          new RateLimiterRedis({
            storeClient: connection.client,
            points: limit.points,
            duration: limit.durationSeconds,
            keyPrefix: keys.rateLimitPrefix(bucket),
            insuranceLimiter: memory,
          }),
        );
      }
    }
  }

  /** Counts one request for `key` in `bucket`. */
  async consume(bucket: LimitBucket, key: string): Promise<LimitDecision> {
    const memory = this.memory.get(bucket)!;
    // Just started: wait (once, at most the connect timeout) for Redis, or the first requests would be
    // counted only in this process.
    if (this.connection && !this.connection.ready) await this.connection.whenFirstConnected();
    const shared = this.connection?.healthy ? this.redis.get(bucket) : undefined;
    try {
      const counted = shared
        ? await Promise.race([
            shared.consume(key),
            new Promise<'late'>((resolve) =>
              setTimeout(() => resolve('late'), REDIS_LIMIT_DEADLINE_MS).unref(),
            ),
          ])
        : await memory.consume(key);
      if (counted === 'late') await memory.consume(key);
      return { allowed: true };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        this.metrics?.rateLimited.inc({ bucket });
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      }
      // Not a limit but a store failure that even the insurance could not absorb: let the request through.
      return { allowed: true };
    }
  }
}
