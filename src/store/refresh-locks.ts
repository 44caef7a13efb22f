/**
 * The cross-instance refresh lock: with Redis, one instance fetches a source while the others wait for its
 * report in L2, so a fleet makes one upstream request per source, not one per instance. Owns the lock's
 * tokens (this instance's prefix, and which lock handle holds which token); the lock scripts themselves are
 * in `redis-scripts.ts`. Without Redis, or while it fails, there is nothing to coordinate with and every
 * answer is `no-coordination` (fetch locally).
 */
import { randomUUID } from 'node:crypto';
import { keys } from './keys';
import type { RedisFailureRecorder } from './redis-connection';
import type { LockAnswer, StoreScripts } from './redis-scripts';
import type { StoredReport } from './stored-report';

/** Extra time a lock outlives the fetch it guards, so a slow fetch does not lose it halfway. */
export const LOCK_MARGIN_MS = 1000;

/** How long to hold the refresh lock for a fetch whose time budget is `fetchBudgetMs`. */
export function lockTtlFor(fetchBudgetMs: number): number {
  return fetchBudgetMs + LOCK_MARGIN_MS;
}

/** The outcome of asking for the cross-instance refresh lock. */
export type LockResult =
  | {
      readonly state: 'acquired';
      /**
       * Drops the lock if it is still ours. Sent even while Redis is failing (it runs as soon as a hung
       * server wakes); never rejects, and waits for Redis at most one operation deadline.
       */
      release(): Promise<void>;
      /**
       * What L2 held for the source when the lock was taken, read in the same round trip (undefined:
       * nothing, or unreadable). A store that cannot tell leaves out `peeked`, and callers look it up.
       */
      readonly peeked?: true;
      readonly latest?: StoredReport;
    }
  /** Another instance is fetching this source now. */
  | { readonly state: 'held-elsewhere' }
  /** No coordination possible (no Redis, or Redis failing): fetch locally. */
  | { readonly state: 'no-coordination' };

/** The refresh locks as a reader uses them. */
export interface RefreshLocks {
  /**
   * Takes the refresh lock for a source, for at most `ttlMs`. A lock this instance already holds is taken
   * over: callers refresh a source once at a time per instance, so such a lock is a leftover (an unlock
   * that failed, or a lock command that timed out here while Redis hung and that Redis carried out once it
   * resumed), and waiting for it would wait for nobody.
   */
  tryLock(sourceId: string, ttlMs: number): Promise<LockResult>;
  /** `tryLock` for several sources at once (one Redis call per 100 on a single server). */
  tryLockMany(
    requests: ReadonlyArray<{ readonly sourceId: string; readonly ttlMs: number }>,
  ): Promise<LockResult[]>;
}

/** What the locks need. */
export interface RedisRefreshLocksOptions {
  /** This instance's id: the prefix of its lock tokens. */
  readonly instanceId: string;
  /** The store's scripts; none without Redis. */
  readonly scripts?: StoreScripts;
  readonly failed: RedisFailureRecorder;
}

/**
 * The refresh locks in Redis. Besides `RefreshLocks`, the report cache uses the rest of this class: it takes
 * locks in its own lookup script (`tokenBase`, `acquired`), releases a lock with its commit (`tokenOf`,
 * `release`), and a waiter asks whether one is still held (`isHeld`).
 */
export class RedisRefreshLocks implements RefreshLocks {
  /** The token of each lock handed out here, for a commit to release it in the same step. */
  private readonly tokens = new WeakMap<LockResult, string>();
  private readonly ownPrefix: string;

  constructor(private readonly options: RedisRefreshLocksOptions) {
    this.ownPrefix = `${options.instanceId}:`;
  }

  async tryLock(sourceId: string, ttlMs: number): Promise<LockResult> {
    const { scripts, failed } = this.options;
    if (!scripts) return { state: 'no-coordination' };
    const token = `${this.ownPrefix}${randomUUID()}`;
    // One round trip: the lock, and the report another instance may have written since this one last looked.
    const answer = await scripts
      .lockAndPeek({ sourceId, token, ttlMs }, this.ownPrefix)
      .catch((error) => failed('lock', error));
    return this.resultOf(sourceId, token, answer);
  }

  async tryLockMany(
    requests: ReadonlyArray<{ readonly sourceId: string; readonly ttlMs: number }>,
  ): Promise<LockResult[]> {
    const { scripts, failed } = this.options;
    if (!scripts) return requests.map(() => ({ state: 'no-coordination' }));
    const base = this.tokenBase();
    const chunkSize = scripts.sourcesPerCall;
    const results: LockResult[] = [];
    const calls: Array<Promise<void>> = [];
    for (let start = 0; start < requests.length; start += chunkSize) {
      const chunk = requests
        .slice(start, start + chunkSize)
        .map(({ sourceId, ttlMs }, i) => ({ sourceId, ttlMs, token: `${base}${start + i}` }));
      calls.push(
        scripts
          .lockAndPeekMany(chunk, this.ownPrefix)
          .catch((error) => failed('lock', error))
          .then((answers) => {
            chunk.forEach(({ sourceId, token }, i) => {
              results[start + i] = this.resultOf(sourceId, token, answers?.[i]);
            });
          }),
      );
    }
    await Promise.all(calls);
    return results;
  }

  /** A prefix for the tokens of one batch of locks: append each lock's index in the batch. */
  tokenBase(): string {
    return `${this.ownPrefix}${randomUUID()}:`;
  }

  /**
   * The handle of a lock taken with `token` (by a script of this class or the report cache); `latest` is
   * what L2 held for the source when it was taken.
   */
  acquired(sourceId: string, token: string, latest?: StoredReport): LockResult {
    const lock: LockResult = {
      state: 'acquired',
      peeked: true,
      latest,
      release: () => this.release(sourceId, token),
    };
    this.tokens.set(lock, token);
    return lock;
  }

  /** The token of a lock handed out here; '' for any other (nothing of ours to release). */
  tokenOf(lock: LockResult): string {
    return (lock.state === 'acquired' && this.tokens.get(lock)) || '';
  }

  /**
   * Deletes our lock (see `StoreScripts.unlockAside`). Never rejects; waits at most one operation deadline,
   * and not at all while Redis is known to be failing.
   */
  release(sourceId: string, token: string): Promise<void> {
    const { scripts, failed } = this.options;
    if (!scripts) return Promise.resolve();
    return scripts.unlockAside(sourceId, token).then(
      () => undefined,
      (error) => failed('unlock', error),
    );
  }

  /** Whether any instance holds the source's lock now; false when Redis cannot tell. */
  isHeld(sourceId: string): Promise<boolean> {
    const connection = this.options.scripts?.connection;
    if (!connection) return Promise.resolve(false);
    return connection
      .run((client) => client.exists(keys.lock(sourceId)))
      .then(
        (held) => held !== 0,
        () => false,
      );
  }

  /** A lock script's answer as a lock: undefined (no answer) means no coordination. */
  private resultOf(sourceId: string, token: string, answer: LockAnswer | undefined): LockResult {
    if (answer === undefined) return { state: 'no-coordination' };
    if (!answer.taken) return { state: 'held-elsewhere' };
    return this.acquired(sourceId, token, answer.latest);
  }
}
