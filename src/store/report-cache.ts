/**
 * The report cache: each source's last good report, kept in L1 (in process, lru-cache) and, when Redis is
 * configured, in L2 (shared by every instance, so a cold instance reads what another fetched). Owns both
 * tiers and how a refreshed report lands in them (a newer report is never replaced by an older one), and
 * lets a reader wait for the report of a refresh another instance is running. Fails open: a Redis error is
 * a miss, never a failed request.
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger';
import type { SourceTiming } from './freshness';
import { isFresh } from './freshness';
import type { RedisInvalidationBus } from './invalidation-bus';
import { groupBySlot, keys } from './keys';
import type { RedisFailureRecorder } from './redis-connection';
import type { StoreScripts } from './redis-scripts';
import type { LockResult, RedisRefreshLocks } from './refresh-locks';
import type { StoredReport } from './stored-report';
import { parseStored } from './stored-report';

/** Which tier answered a lookup. */
export type Tier = 'L1' | 'L2';

/** A lookup's result: the newest entry any tier holds, and which tier it came from. */
export interface StoreLookup {
  readonly entry: StoredReport | undefined;
  readonly tier: Tier | null;
}

/** The report cache as the data plane uses it. */
export interface ReportCache {
  /**
   * Looks up several sources: L1 first, then batched Redis reads for the rest (and for L1 copies past
   * their TTL, in case another instance refreshed them): one MGET per cluster slot on a cluster, a few
   * hundred keys per MGET on a single server.
   */
  lookupMany(
    sourceIds: readonly string[],
    timing: (sourceId: string) => SourceTiming,
    nowMs: number,
  ): Promise<StoreLookup[]>;
  /**
   * `lookupMany`, and in the same round trip per source, for each source `lockFor` gives a lock time for,
   * the refresh lock when L2 holds nothing for it (a read that will fetch it at once): one Redis hop
   * fewer before a cold fetch. Sources without a lock time, or with something stored, get no `lock`.
   * One promise per source, each settled as soon as its own answer is in (a cold read of thousands of
   * sources starts fetching with the first answers rather than after the last).
   */
  lookupAndLock(
    sourceIds: readonly string[],
    timing: (sourceId: string) => SourceTiming,
    nowMs: number,
    lockFor: (sourceId: string) => number | undefined,
  ): Array<Promise<StoreLookup & { readonly lock?: LockResult }>>;
  /**
   * Settles a refresh: keeps `entry` in both tiers for `keepMs`, after which it is no use even as a stale
   * fallback (in L1 before this returns), tells every instance it was `updated`, and releases `lock` if it
   * was acquired (`no-coordination` when there is none); in L2 all three are one atomic step, so a waiter on
   * another instance never sees the lock gone before the report is there. A report fetched before the one
   * a tier already holds replaces nothing and is not announced (a commit can run late, or be overtaken by
   * another instance's); the lock is released all the same, and L1 takes the newer report from L2.
   */
  commit(sourceId: string, entry: StoredReport, keepMs: number, lock: LockResult): Promise<void>;
  /**
   * Keeps in L1 a report another instance wrote to L2 (found with the lock), until `keepMs` after it was
   * fetched (`nowMs` on the caller's clock), unless L1 already holds a newer one.
   */
  adopt(sourceId: string, entry: StoredReport, keepMs: number, nowMs: number): void;
  /** Waits until L2 holds an entry newer than `newerThan` (another instance's refresh), or gives up. */
  waitForNewer(
    sourceId: string,
    newerThan: number,
    timeoutMs: number,
    timing: SourceTiming,
  ): Promise<StoredReport | undefined>;
}

/** What the tiered cache needs. */
export interface TieredReportCacheOptions {
  /** Most source reports held in L1. @default 10000 */
  readonly maxL1Entries?: number;
  /** The store's scripts (and through them its Redis connection): none without L2. */
  readonly scripts?: StoreScripts;
  readonly locks: RedisRefreshLocks;
  readonly bus: RedisInvalidationBus;
  readonly failed: RedisFailureRecorder;
  readonly logger?: Logger;
}

/**
 * Most keys in one MGET on a single Redis server: big enough that thousands of sources cost a few round
 * trips, small enough that one reply does not block the server or this event loop for long.
 */
const MGET_BATCH = 500;

/** How often a waiter re-reads L2 when no pub/sub message arrives (pub/sub may be down). */
const WAIT_POLL_MS = 50;

/**
 * Splits keys into the batches one MGET each can read: per cluster slot on Redis Cluster (hash tags put
 * every source in its own slot), else in runs of `MGET_BATCH` (one server holds every key).
 */
function mgetBatches(
  keyList: readonly string[],
  cluster: boolean,
): Array<Array<{ key: string; index: number }>> {
  if (cluster) return [...groupBySlot(keyList).values()];
  const batches: Array<Array<{ key: string; index: number }>> = [];
  for (let start = 0; start < keyList.length; start += MGET_BATCH) {
    batches.push(keyList.slice(start, start + MGET_BATCH).map((key, i) => ({ key, index: start + i })));
  }
  return batches;
}

/**
 * L1 (lru-cache) in front of an optional L2 (Redis). With no Redis it is the embedded default's
 * in-process cache.
 */
export class TieredReportCache implements ReportCache {
  private readonly l1: LRUCache<string, StoredReport>;
  /** Readers waiting in `waitForNewer`, woken when their source's report lands or is announced. */
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly options: TieredReportCacheOptions) {
    this.l1 = new LRUCache({ max: options.maxL1Entries ?? 10_000 });
    // Another instance changed the source: this copy may be outdated, and a waiter may find its report.
    options.bus.onMessage(({ sourceId }) => {
      this.l1.delete(sourceId);
      this.wake(sourceId);
    });
  }

  async lookupMany(
    sourceIds: readonly string[],
    timing: (sourceId: string) => SourceTiming,
    nowMs: number,
  ): Promise<StoreLookup[]> {
    const results: StoreLookup[] = sourceIds.map((id) => {
      const entry = this.l1.get(id);
      return { entry, tier: entry ? 'L1' : null };
    });
    const redis = this.options.scripts?.connection;
    if (!redis) return results;
    // L1 copies past their TTL are checked against L2: another instance may have refreshed the source
    // while this one missed the pub/sub message.
    const pending = sourceIds
      .map((id, index) => ({ id, index }))
      .filter(({ id, index }) => {
        const entry = results[index]!.entry;
        return !entry || !isFresh(entry.retrievedAt, nowMs, timing(id));
      });
    if (pending.length === 0) return results;
    // A failed batch counts once in the connection breaker whatever its size, so a hung server gets
    // fewer commands before the breaker opens; what those commands would do late is undone where it
    // matters (see the lock scripts), so the batching does not change how a hung Redis is survived.
    const groups = mgetBatches(
      pending.map(({ id }) => keys.report(id)),
      redis.cluster,
    );
    await Promise.all(
      groups.map(async (group) => {
        const values = await redis
          .run((client) => client.mget(...group.map((g) => g.key)))
          .catch((error) => this.options.failed('mget', error));
        if (!values) return;
        group.forEach((g, i) => {
          const { id, index } = pending[g.index]!;
          const fromL2 = parseStored(values[i] ?? null);
          const current = results[index]!.entry;
          if (fromL2 && (!current || fromL2.retrievedAt > current.retrievedAt)) {
            this.l1.set(id, fromL2, { ttl: Math.max(1, fromL2.retrievedAt + timing(id).keepMs - nowMs) });
            results[index] = { entry: fromL2, tier: 'L2' };
          }
        });
      }),
    );
    return results;
  }

  lookupAndLock(
    sourceIds: readonly string[],
    timing: (sourceId: string) => SourceTiming,
    nowMs: number,
    lockFor: (sourceId: string) => number | undefined,
  ): Array<Promise<StoreLookup & { readonly lock?: LockResult }>> {
    const { scripts, locks, failed } = this.options;
    if (!scripts) {
      const all = this.lookupMany(sourceIds, timing, nowMs);
      return sourceIds.map((_, i) => all.then((lookups) => lookups[i]!));
    }
    const answers: Array<Promise<StoreLookup & { lock?: LockResult }>> = [];
    // As lookupMany: L1 copies past their TTL are checked against L2 too (another instance may have
    // refreshed the source while this one missed the pub/sub message); only absent ones may be locked.
    const pending: Array<{
      sourceId: string;
      current: StoredReport | undefined;
      token: string;
      lockMs: number | undefined;
      settle: (lookup: StoreLookup & { lock?: LockResult }) => void;
    }> = [];
    const base = locks.tokenBase();
    sourceIds.forEach((sourceId, index) => {
      const current = this.l1.get(sourceId);
      const fromL1: StoreLookup = { entry: current, tier: current ? 'L1' : null };
      if (current && isFresh(current.retrievedAt, nowMs, timing(sourceId))) {
        answers.push(Promise.resolve(fromL1));
        return;
      }
      const lockMs = current ? undefined : lockFor(sourceId);
      answers.push(
        new Promise((settle) =>
          pending.push({ sourceId, current, token: `${base}${index}`, lockMs, settle }),
        ),
      );
    });
    const chunkSize = scripts.sourcesPerCall;
    for (let start = 0; start < pending.length; start += chunkSize) {
      const chunk = pending.slice(start, start + chunkSize);
      void scripts
        .lookupOrLock(chunk)
        .catch((error) => failed('lookup', error))
        .then((replies) => {
          chunk.forEach(({ sourceId, current, token, settle }, i) => {
            const answer = replies?.[i];
            if (typeof answer === 'object' && (!current || answer.retrievedAt > current.retrievedAt)) {
              this.l1.set(sourceId, answer, {
                ttl: Math.max(1, answer.retrievedAt + timing(sourceId).keepMs - nowMs),
              });
              settle({ entry: answer, tier: 'L2' });
              return;
            }
            const lock: LockResult | undefined =
              answer === 'locked'
                ? locks.acquired(sourceId, token)
                : answer === 'held-elsewhere'
                  ? { state: 'held-elsewhere' }
                  : undefined;
            settle({ entry: current, tier: current ? 'L1' : null, ...(lock ? { lock } : {}) });
          });
        });
    }
    return answers;
  }

  async commit(sourceId: string, entry: StoredReport, keepMs: number, lock: LockResult): Promise<void> {
    const ttl = Math.max(1, Math.ceil(keepMs));
    this.keepNewer(sourceId, entry, ttl);
    this.wake(sourceId);
    const { scripts, locks, bus, failed, logger } = this.options;
    if (!scripts) return;
    const token = locks.tokenOf(lock);
    // After a commit refused because L2 holds a newer report, this instance's readers take that one too
    // rather than go on with the older one it fetched.
    const refused = (newer: StoredReport | undefined) => {
      logger?.debug({ sourceId }, 'commit refused: L2 holds a newer report');
      if (newer) this.keepNewer(sourceId, newer, ttl);
    };
    await scripts
      .commit(sourceId, entry, ttl, bus.encode({ sourceId, kind: 'updated' }), token, refused)
      .catch((error) => {
        failed('commit', error);
        // Refused by the open breaker (never sent), late, or failed: the lock must not outlive it. After a
        // late commit, which unlocks too, this finds nothing of ours and does nothing.
        if (token) void locks.release(sourceId, token);
      });
  }

  adopt(sourceId: string, entry: StoredReport, keepMs: number, nowMs: number): void {
    const current = this.l1.get(sourceId);
    if (current && current.retrievedAt >= entry.retrievedAt) return;
    this.l1.set(sourceId, entry, { ttl: Math.max(1, entry.retrievedAt + keepMs - nowMs) });
  }

  async waitForNewer(
    sourceId: string,
    newerThan: number,
    timeoutMs: number,
    timing: SourceTiming,
  ): Promise<StoredReport | undefined> {
    const deadline = Date.now() + timeoutMs;
    let lastLook = false;
    for (;;) {
      // freshMs 0: always look past L1, since the point is to see what another instance wrote to L2.
      const [lookup] = await this.lookupMany(
        [sourceId],
        () => ({ freshMs: 0, keepMs: timing.keepMs }),
        newerThan + 1,
      );
      if (lookup?.entry && lookup.entry.retrievedAt > newerThan) return lookup.entry;
      if (lastLook) return undefined;
      const left = deadline - Date.now();
      const redis = this.options.scripts?.connection;
      if (left <= 0 || !redis || !redis.healthy) return undefined;
      // The holder released its lock: it wrote its report since the read above (one last look), or its
      // fetch failed. Either way, stop waiting.
      if (!(await this.options.locks.isHeld(sourceId))) {
        lastLook = true;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(WAIT_POLL_MS, left));
        const set = this.waiters.get(sourceId) ?? new Set();
        this.waiters.set(sourceId, set);
        set.add(done);
        function done() {
          clearTimeout(timer);
          set.delete(done);
          resolve();
        }
      });
    }
  }

  /** Keeps `entry` in L1 for `ttl` ms unless L1 holds a report fetched after it. */
  private keepNewer(sourceId: string, entry: StoredReport, ttl: number): void {
    const current = this.l1.get(sourceId);
    if (current && current.retrievedAt > entry.retrievedAt) return;
    this.l1.set(sourceId, entry, { ttl });
  }

  /** Wakes the readers waiting for `sourceId`'s report: one landed here, or another instance announced one. */
  private wake(sourceId: string): void {
    for (const wake of this.waiters.get(sourceId) ?? []) wake();
  }
}
