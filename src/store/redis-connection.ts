import type { ClusterOptions, RedisOptions } from 'ioredis';
import Redis, { Cluster } from 'ioredis';
import { CircuitState, ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

/**
 * Client settings that fail fast: with Redis down a command errors at once instead of queueing, and a
 * hung server costs at most `REDIS_OPERATION_TIMEOUT_MS` per operation (`run` enforces it). ioredis'
 * defaults wait 10-70 s or forever. Its own `commandTimeout` is only a backstop for
 * commands outside `run` (ready checks, subscribe, quit): an ioredis timer fires before the reply
 * waiting in the socket is read whenever the event loop stalls longer than it (a cold start under a
 * burst stalls 300-500 ms), and those false timeouts opened the breaker and dropped the refresh lock.
 */
export const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 500,
  commandTimeout: 1000,
  retryStrategy: (times) => Math.min(times * 100, 1000),
  lazyConnect: false,
  // A closed connection's socket is destroyed after this; ioredis' 2 s default outlives short processes.
  disconnectTimeout: 200,
  // Commands unanswered when a connection drops are not sent again once it is back: their callers have
  // failed at their deadline or soon will, and a replayed refresh lock would be taken for nobody (the
  // case `RunOptions.undo` covers on a live connection).
  autoResendUnfulfilledCommands: false,
};

/** Longest one store operation waits for Redis before it counts as a failure (see `run`). */
export const REDIS_OPERATION_TIMEOUT_MS = 200;

/** How long Redis is skipped after repeated failures, so a hung server does not tax every request. */
export const REDIS_BREAKER = { consecutiveFailures: 3, halfOpenAfterMs: 1000 } as const;

/**
 * Most commands sent with `runAside` and not yet answered. They skip the breaker, so nothing else stops a
 * hung server from collecting them in its socket; in practice they are lock releases and undos, a few per
 * source, and a cold fan-out over thousands of sources stays well below this. Past it a command is not
 * sent: what they do (drop a lock) also happens by itself when the lock expires.
 */
export const MAX_ASIDE_IN_FLIGHT = 10_000;

/**
 * Calls `then` after `ms`, but only once the I/O already waiting has been read (`setImmediate` runs after
 * the poll phase), so that an event-loop stall is not mistaken for a slow Redis. Returns a canceller.
 */
function afterPendingIo(ms: number, then: () => void): () => void {
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    immediate = setImmediate(then);
  }, ms);
  return () => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  };
}

/**
 * Rejects when `promise` has not settled within `ms` of being sent (whatever the client does with the
 * command), and then calls `abandoned`: the command has been sent, and Redis may still run it later.
 * `sent` settles when a command queued for a later write goes out (see `DeferredReply`); until then no
 * time counts, or an event-loop stall between queueing and writing would count against Redis.
 */
function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  abandoned?: () => void,
  sent?: Promise<unknown>,
): Promise<T> {
  let settled = false;
  let cancel = () => {};
  const deadline = new Promise<never>((_resolve, reject) => {
    const arm = () => {
      if (settled) return;
      cancel = afterPendingIo(ms, () => {
        reject(new Error(`redis operation took over ${ms} ms`));
        abandoned?.();
      });
    };
    if (sent) sent.then(arm, arm);
    else arm();
  });
  return Promise.race([promise, deadline]).finally(() => {
    settled = true;
    cancel();
  });
}

/** A reply to a command that is written later than it is asked for (batched); `sent` settles on writing. */
export type DeferredReply<T> = Promise<T> & { readonly sent?: Promise<void> };

/** Options of one `RedisConnection.run`. */
export interface RunOptions {
  /**
   * Undoes `operation` if it misses its deadline. A hung server (SIGSTOP, a long script, a stalled host)
   * keeps the commands already sent to it and runs them when it wakes, long after their caller gave up
   * and went on without them: a refresh lock taken that way has no owner to release it, and every
   * instance then waits behind it for the lock's whole lifetime. `undo` is sent at once on the same
   * connection, outside the breaker and the deadline (nobody waits for it), and Redis runs one
   * connection's commands in order, so the abandoned command's effect is undone as soon as it happens.
   * Give it only to commands whose late effect matters, and make it conditional (e.g. on a lock token).
   */
  readonly undo?: (client: RedisClient) => Promise<unknown>;
}

/** Rejection of `runAside` when a command was not sent at all. */
function notSent(why: string): Promise<never> {
  return Promise.reject(new Error(`redis command not sent: ${why}`));
}

/**
 * Records a Redis operation that failed, and answers undefined (for `.catch`): the caller goes on without
 * Redis (fail open). Counted in `whereabouts_redis_errors_total{operation}`.
 */
export type RedisFailureRecorder = (operation: string, error: unknown) => undefined;

/** A `RedisFailureRecorder` counting into `metrics` and logging at debug level, when given. */
export function redisFailureRecorder(metrics?: Metrics, logger?: Logger): RedisFailureRecorder {
  return (operation, error) => {
    metrics?.redisErrors.inc({ operation });
    logger?.debug(
      { operation, err: (error as Error)?.message },
      'redis operation failed; serving without it',
    );
    return undefined;
  };
}

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
  /** Commands sent with `runAside` whose reply (or client-side timeout) has not come yet. */
  private asideInFlight = 0;
  /**
   * Settles when the command client is first ready, first fails, or after `connectTimeout`: a command
   * issued right after start waits for the connection being made instead of skipping Redis (which
   * would send every source of a just-started instance upstream, uncoordinated). Never waited on again.
   */
  private readonly firstConnect: Promise<void>;

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
    this.firstConnect = RedisConnection.settled(this.client, FAIL_FAST.connectTimeout ?? 500);
  }

  private static settled(client: RedisClient, timeoutMs: number): Promise<void> {
    const events = ['ready', 'error', 'close', 'end'] as const;
    return new Promise<void>((resolve) => {
      const done = () => {
        cancel();
        for (const event of events) client.off(event, done);
        resolve();
      };
      const cancel = afterPendingIo(timeoutMs, done);
      for (const event of events) client.once(event, done);
    });
  }

  private static connect(target: RedisTarget): RedisClient {
    if (target.clusterNodes) {
      // Node connections are lazy (opened by their first command) and need ioredis' own offline queue,
      // or every command sent while a node is still connecting fails; so the cluster-wide one must be on
      // too (with it off, ioredis refuses a command to any node not yet ready). `run` never sends before
      // the cluster is ready, `commandTimeout` bounds a command queued on a node, and `run`'s deadline
      // anything else.
      const { enableOfflineQueue: _nodesQueueStaysOn, ...nodeOptions } = FAIL_FAST;
      const options: ClusterOptions = {
        redisOptions: nodeOptions,
        enableOfflineQueue: true,
        clusterRetryStrategy: (times) => Math.min(times * 100, 1000),
        slotsRefreshTimeout: 500,
      };
      return new Cluster([...target.clusterNodes], options);
    }
    return new Redis(target.url!, FAIL_FAST);
  }

  /** Whether this is a Redis Cluster, where one command may only touch keys of one slot. */
  get cluster(): boolean {
    return this.target.clusterNodes !== undefined;
  }

  /** True when the command client is connected and ready. */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * Whether Redis is usable now: connected, and not skipped after repeated failures (a hung server
   * keeps its connection "ready"). While it is skipped this sends a PING through the breaker, which lets
   * one probe through once its pause is over, so an idle instance's readiness recovers without traffic.
   */
  get healthy(): boolean {
    if (!this.ready) return false;
    if (this.breaker.state === CircuitState.Closed) return true;
    this.run((client) => client.ping()).catch(() => undefined);
    return false;
  }

  /** Settles once the first connection attempt has succeeded or failed (at most `connectTimeout`). */
  whenFirstConnected(): Promise<void> {
    return this.firstConnect;
  }

  /** The client's status, for readiness reasons. */
  get status(): string {
    return this.ready && this.breaker.state !== CircuitState.Closed ? 'not answering' : this.client.status;
  }

  /**
   * Runs a Redis operation fail-fast: rejects at once when Redis is not ready or has been failing, so no
   * request waits on it for more than the command timeout.
   */
  async run<T>(operation: (client: RedisClient) => Promise<T>, options: RunOptions = {}): Promise<T> {
    if (this.closed) throw new Error('redis connection closed');
    if (!this.ready) await this.firstConnect;
    if (!this.ready) throw new Error(`redis not ready (${this.status})`);
    const { undo } = options;
    // Sent even with the breaker open (it must follow the abandoned command); failures are moot.
    const abandoned = undo ? () => void this.runAside(undo).catch(() => undefined) : undefined;
    return this.breaker.execute(() => {
      const reply: DeferredReply<T> = operation(this.client);
      return withDeadline(reply, REDIS_OPERATION_TIMEOUT_MS, abandoned, reply.sent);
    });
  }

  /**
   * Sends `operation` at once on the command connection, outside the breaker, for commands that must
   * reach Redis even while it is failing: an undo, a lock release. Redis runs one connection's commands in
   * order, so on a hung server it runs right after what was sent before it, as soon as the server wakes.
   * Nobody should need to wait for it: the promise settles with the reply while Redis answers, rejects
   * after `REDIS_OPERATION_TIMEOUT_MS` (the command stays sent) or at once while the breaker is open (Redis
   * is known to be failing), and rejects without sending when the connection is closed or down or
   * `MAX_ASIDE_IN_FLIGHT` commands are unanswered. Give it only commands that are safe to run late or
   * not at all (conditional on a token, like an unlock).
   */
  runAside<T>(operation: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.closed) return notSent('connection closed');
    if (!this.ready) return notSent(`redis not ready (${this.status})`);
    if (this.asideInFlight >= MAX_ASIDE_IN_FLIGHT)
      return notSent(`${MAX_ASIDE_IN_FLIGHT} commands sent aside are still in flight`);
    let reply: DeferredReply<T>;
    try {
      reply = operation(this.client);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    // Counted until Redis answers or ioredis gives up on it (its commandTimeout): what is really pending.
    this.asideInFlight += 1;
    const done = () => {
      this.asideInFlight -= 1;
    };
    reply.then(done, done);
    if (this.breaker.state !== CircuitState.Closed) {
      return Promise.reject(new Error('redis is failing: sent without waiting for the reply'));
    }
    return withDeadline(reply, REDIS_OPERATION_TIMEOUT_MS, undefined, reply.sent);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // QUIT only a connected client: sent to any other, ioredis rejects it but leaves its timer running.
    const quit = (c: RedisClient) => (c.status === 'ready' ? c.quit() : undefined);
    await Promise.allSettled([quit(this.client), quit(this.subscriber)]);
    this.client.disconnect();
    this.subscriber.disconnect();
  }
}
