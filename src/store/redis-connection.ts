import type { ClusterOptions, RedisOptions } from 'ioredis';
import Redis, { Cluster } from 'ioredis';
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import type { Logger } from '../logger';

/**
 * Client settings that fail fast: with Redis down a command errors at once instead of queueing, and a
 * hung server costs at most `commandTimeout`. ioredis' defaults wait 10-70 s or forever (see STACK.md).
 */
export const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 500,
  commandTimeout: 200,
  retryStrategy: (times) => Math.min(times * 100, 1000),
  lazyConnect: false,
};

/** How long Redis is skipped after repeated failures, so a hung server does not tax every request. */
export const REDIS_BREAKER = { consecutiveFailures: 3, halfOpenAfterMs: 1000 } as const;

/** The client type used by the store: one server or a cluster. */
export type RedisClient = Redis | Cluster;

/** Where Redis is, from the environment: `REDIS_URL` or `REDIS_CLUSTER_NODES` (host:port,host:port). */
export interface RedisTarget {
  readonly url?: string;
  readonly clusterNodes?: ReadonlyArray<{ host: string; port: number }>;
}

/** Reads the Redis target from env; undefined when neither variable is set (L1 only). */
export function redisTargetFromEnv(env: NodeJS.ProcessEnv): RedisTarget | undefined {
  if (env.REDIS_CLUSTER_NODES) {
    const clusterNodes = env.REDIS_CLUSTER_NODES.split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((hostPort) => {
        const i = hostPort.lastIndexOf(':');
        const port = Number(hostPort.slice(i + 1));
        if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
          throw new Error(
            `REDIS_CLUSTER_NODES must be host:port pairs separated by commas; got "${hostPort}"`,
          );
        }
        return { host: hostPort.slice(0, i), port };
      });
    return { clusterNodes };
  }
  if (env.REDIS_URL) {
    if (!/^rediss?:\/\//.test(env.REDIS_URL))
      throw new Error('REDIS_URL must start with redis:// or rediss://');
    return { url: env.REDIS_URL };
  }
  return undefined;
}

/**
 * One Redis connection (command client plus a subscriber) with fail-open behaviour: every operation
 * either completes quickly or rejects quickly, and after repeated failures Redis is skipped entirely for
 * a moment. Callers treat a rejection as a cache miss. ioredis reconnects by itself.
 */
export class RedisConnection {
  readonly client: RedisClient;
  readonly subscriber: RedisClient;
  private readonly breaker = circuitBreaker(handleAll, {
    halfOpenAfter: REDIS_BREAKER.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(REDIS_BREAKER.consecutiveFailures),
  });
  private closed = false;

  constructor(
    readonly target: RedisTarget,
    private readonly logger?: Logger,
  ) {
    this.client = RedisConnection.connect(target);
    this.subscriber = RedisConnection.connect(target);
    for (const [name, c] of [
      ['client', this.client],
      ['subscriber', this.subscriber],
    ] as const) {
      // Without a listener ioredis would print every connection error; the status is in readiness.
      c.on('error', (error: Error) => this.logger?.debug({ redis: name, err: error.message }, 'redis error'));
    }
  }

  private static connect(target: RedisTarget): RedisClient {
    if (target.clusterNodes) {
      const options: ClusterOptions = {
        redisOptions: FAIL_FAST,
        enableOfflineQueue: false,
        clusterRetryStrategy: (times) => Math.min(times * 100, 1000),
        slotsRefreshTimeout: 500,
      };
      return new Cluster([...target.clusterNodes], options);
    }
    return new Redis(target.url!, FAIL_FAST);
  }

  /** True when the command client is connected and ready. */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** The client's status, for readiness reasons. */
  get status(): string {
    return this.client.status;
  }

  /**
   * Runs a Redis operation fail-fast: rejects at once when Redis is not ready or has been failing, so no
   * request waits on it for more than the command timeout.
   */
  async run<T>(operation: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('redis connection closed');
    if (!this.ready) throw new Error(`redis not ready (${this.status})`);
    return this.breaker.execute(() => operation(this.client));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([this.client.quit(), this.subscriber.quit()]);
    this.client.disconnect();
    this.subscriber.disconnect();
  }
}
