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

/** How long a key counts in memory after Redis missed the deadline for it (ms). */
const SLOW_REDIS_BACKOFF_MS = 1000;

/** How often requests counted locally are added to the shared count in Redis (ms). */
export const LIMIT_FLUSH_INTERVAL_MS = 20;

/**
 * Points of a window that are always counted exactly, one Redis round trip per request: the last 10%,
 * and never fewer than 20 (so small limits are always exact).
 */
export function exactMargin(points: number): number {
  return Math.max(20, Math.ceil(points * 0.1));
}

const ALLOWED: LimitDecision = { allowed: true };

/**
 * A key's view of its shared count: what Redis last said remains in the window, and the requests
 * allowed here since then that Redis has not been told of yet.
 */
interface Lease {
  remaining: number;
  resetAt: number;
  pending: number;
  flushScheduled: boolean;
  /** An exact count in flight: requests arriving meanwhile wait for its answer instead of adding theirs. */
  inflight: Promise<unknown> | null;
  /** Until when Redis counts for this key go to memory: Redis missed the deadline (hung or overloaded). */
  slowUntil: number;
  expiryScheduled: boolean;
}

/**
 * Rate limits per role (counted per key) and per IP for anonymous callers, with rate-limiter-flexible:
 * counted in Redis when there is one, so limits hold across instances, with an in-memory limiter as
 * insurance. With Redis down (or hung) the in-memory count is used: a naive `catch -> 429` would lock
 * every caller out whenever Redis fails, making a cache outage a full outage; counted in memory, each
 * instance still holds the limit on its own.
 */
export class RateLimits {
  private readonly memory = new Map<LimitBucket, RateLimiterMemory>();
  private readonly redis = new Map<LimitBucket, RateLimiterAbstract>();
  /** The same shared counts without the in-memory insurance: batches go to Redis or nowhere. */
  private readonly redisOnly = new Map<LimitBucket, RateLimiterAbstract>();
  private readonly points = new Map<LimitBucket, number>();
  /**
   * Per bucket, then per key (two maps: a joined key string would be made and hashed on every request);
   * a key's lease ends with its window, so the maps hold active keys only.
   */
  private readonly leases = new Map<LimitBucket, Map<string, Lease>>();

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
      this.points.set(bucket, limit.points);
      if (connection) {
        const shared = {
          storeClient: connection.client,
          points: limit.points,
          duration: limit.durationSeconds,
          keyPrefix: keys.rateLimitPrefix(bucket),
        };
        this.redis.set(bucket, new RateLimiterRedis({ ...shared, insuranceLimiter: memory }));
        this.redisOnly.set(bucket, new RateLimiterRedis(shared));
      }
    }
  }

  /**
   * Counts one request for `key` in `bucket`.
   *
   * With Redis, a busy key does not pay a Redis round trip per request: while the last shared count
   * leaves more than `exactMargin` points in the window, requests are allowed here and added to the
   * shared count in one `consume(key, n)` every `LIMIT_FLUSH_INTERVAL_MS`. The last margin of each window
   * is counted exactly, request by request. So a limit holds across instances to within what they serve
   * in one flush interval, and a key under its limit costs no I/O on the warm path.
   */
  async consume(bucket: LimitBucket, key: string): Promise<LimitDecision> {
    // Just started: wait (once, at most the connect timeout) for Redis, or the first requests would be
    // counted only in this process.
    if (this.connection && !this.connection.ready) await this.connection.whenFirstConnected();
    const shared = this.connection?.healthy ? this.redis.get(bucket) : undefined;
    if (!shared) return this.consumeIn(bucket, this.memory.get(bucket)!, key, 1);
    let leases = this.leases.get(bucket);
    if (!leases) this.leases.set(bucket, (leases = new Map()));
    let lease = leases.get(key);
    if (!lease) {
      lease = {
        remaining: 0,
        resetAt: 0,
        pending: 0,
        flushScheduled: false,
        inflight: null,
        slowUntil: 0,
        expiryScheduled: false,
      };
      leases.set(key, lease);
    }
    while (lease.inflight) await lease.inflight;
    const now = Date.now();
    // Redis just missed a deadline for this key: count in memory for a while rather than queue every
    // request behind another 200 ms wait.
    if (now < lease.slowUntil) return this.consumeIn(bucket, this.memory.get(bucket)!, key, 1);
    if (now < lease.resetAt && lease.remaining - lease.pending > exactMargin(this.points.get(bucket)!)) {
      lease.pending += 1;
      if (!lease.flushScheduled) {
        lease.flushScheduled = true;
        setTimeout(() => void this.flush(bucket, key), LIMIT_FLUSH_INTERVAL_MS).unref();
      }
      return ALLOWED;
    }
    // Exact: this request, plus any not yet flushed, counted in Redis now.
    const points = 1 + (now < lease.resetAt ? lease.pending : 0);
    lease.pending = 0;
    const counting = this.consumeIn(bucket, shared, key, points, true);
    const current = lease;
    current.inflight = counting.finally(() => {
      current.inflight = null;
    });
    return counting;
  }

  /** Adds the requests allowed locally for a key to its shared count. */
  private async flush(bucket: LimitBucket, key: string): Promise<void> {
    const lease = this.leaseOf(bucket, key);
    if (!lease) return;
    lease.flushScheduled = false;
    const points = lease.pending;
    lease.pending = 0;
    const shared =
      this.connection?.healthy && Date.now() >= lease.slowUntil ? this.redisOnly.get(bucket) : undefined;
    if (points === 0 || !shared) return;
    // Requests already allowed: a batch goes to Redis or is dropped, never into the in-memory insurance
    // (which counts only requests made while Redis is away; a batch there would lock keys out later).
    try {
      const counted = await Promise.race([
        shared.consume(key, points),
        new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), REDIS_LIMIT_DEADLINE_MS).unref()),
      ]);
      if (counted === 'late') lease.slowUntil = Date.now() + SLOW_REDIS_BACKOFF_MS;
      else this.remember(bucket, key, counted);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) this.remember(bucket, key, rejection);
    }
  }

  private async consumeIn(
    bucket: LimitBucket,
    limiter: RateLimiterAbstract,
    key: string,
    points: number,
    /** Whether this count is a lease's exact count (what Redis answers is kept in the lease). */
    leased = false,
  ): Promise<LimitDecision> {
    const memory = this.memory.get(bucket)!;
    try {
      const counted =
        limiter === memory
          ? await memory.consume(key, points)
          : await Promise.race([
              limiter.consume(key, points),
              new Promise<'late'>((resolve) =>
                setTimeout(() => resolve('late'), REDIS_LIMIT_DEADLINE_MS).unref(),
              ),
            ]);
      if (counted === 'late') {
        const lease = leased ? this.leaseOf(bucket, key) : undefined;
        if (lease) lease.slowUntil = Date.now() + SLOW_REDIS_BACKOFF_MS;
        await memory.consume(key, points);
      } else if (leased) this.remember(bucket, key, counted);
      return ALLOWED;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        if (leased) this.remember(bucket, key, rejection);
        this.metrics?.rateLimited.inc({ bucket });
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      }
      // Not a limit but a store failure that even the insurance could not absorb: let the request through.
      return ALLOWED;
    }
  }

  private leaseOf(bucket: LimitBucket, key: string): Lease | undefined {
    return this.leases.get(bucket)?.get(key);
  }

  /** Keeps what Redis said of a key's window, for the requests that follow. */
  private remember(bucket: LimitBucket, key: string, res: RateLimiterRes): void {
    const lease = this.leaseOf(bucket, key);
    if (!lease) return;
    lease.remaining = res.remainingPoints;
    lease.resetAt = Date.now() + res.msBeforeNext;
    if (!lease.expiryScheduled) {
      lease.expiryScheduled = true;
      // Forget the key when its window ends (an idle key costs nothing).
      setTimeout(() => this.expire(bucket, key), res.msBeforeNext + 1000).unref();
    }
  }

  private expire(bucket: LimitBucket, key: string): void {
    const lease = this.leaseOf(bucket, key);
    if (!lease) return;
    if (Date.now() < lease.resetAt || lease.pending > 0 || lease.flushScheduled || lease.inflight) {
      setTimeout(() => this.expire(bucket, key), Math.max(1000, lease.resetAt - Date.now() + 1000)).unref();
      return;
    }
    this.leases.get(bucket)!.delete(key);
  }
}
