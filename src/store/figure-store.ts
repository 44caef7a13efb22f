import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { SourceReport } from '../domain/figure';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { groupBySlot, keys } from './keys';
import type { DeferredReply, RedisClient, RedisConnection } from './redis-connection';

/** A source's report as stored, with when it was fetched. */
export interface StoredReport {
  readonly report: SourceReport;
  /** Epoch milliseconds of the successful fetch. */
  readonly retrievedAt: number;
}

/** How long a source's report is fresh, and how long it is kept at all (ttl + staleFor). */
export interface SourceTiming {
  readonly freshMs: number;
  readonly keepMs: number;
}

/** Which tier answered a lookup. */
export type Tier = 'L1' | 'L2';

/** A lookup's result: the newest entry any tier holds, and which tier it came from. */
export interface StoreLookup {
  readonly entry: StoredReport | undefined;
  readonly tier: Tier | null;
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

/** A message from another instance about a source. */
export interface InvalidationMessage {
  readonly sourceId: string;
  /** `updated`: a new report is in L2. `invalidate`: drop it (webhook, operator refresh). */
  readonly kind: 'updated' | 'invalidate';
  readonly from: string;
}

/**
 * Where fetched reports are kept between requests: L1 in process (lru-cache), and L2 in Redis when one
 * is configured. Implementations fail open: a Redis error is a miss, never a failed request.
 */
export interface FigureStore {
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
  /** Keeps `entry` in both tiers for `keepMs` (after which it is no use even as a stale fallback). */
  set(sourceId: string, entry: StoredReport, keepMs: number): Promise<void>;
  /**
   * Settles a refresh: keeps `entry` as `set` does (L1 before this returns), tells every instance it was
   * `updated`, and releases `lock` if it was acquired; in L2 all three are one atomic step, so a waiter on
   * another instance never sees the lock gone before the report is there. A report fetched before the one
   * a tier already holds replaces nothing and is not announced (a commit can run late, or be overtaken by
   * another instance's); the lock is released all the same, and L1 takes the newer report from L2.
   */
  commit(sourceId: string, entry: StoredReport, keepMs: number, lock: LockResult): Promise<void>;
  /** Drops this instance's L1 copy only. */
  dropLocal(sourceId: string): void;
  /**
   * Keeps in L1 a report another instance wrote to L2 (found with the lock), until `keepMs` after it was
   * fetched (`nowMs` on the caller's clock), unless L1 already holds a newer one.
   */
  adopt(sourceId: string, entry: StoredReport, keepMs: number, nowMs: number): void;
  /**
   * Takes the cross-instance refresh lock for a source, for at most `ttlMs`. A lock this instance already
   * holds is taken over: callers refresh a source once at a time per instance, so such a lock is a
   * leftover (an unlock that failed, or a lock command that timed out here while Redis hung and that
   * Redis carried out once it resumed), and waiting for it would wait for nobody.
   */
  tryLock(sourceId: string, ttlMs: number): Promise<LockResult>;
  /** `tryLock` for several sources at once (one Redis call per 100 on a single server). */
  tryLockMany(
    requests: ReadonlyArray<{ readonly sourceId: string; readonly ttlMs: number }>,
  ): Promise<LockResult[]>;
  /** Waits until L2 holds an entry newer than `newerThan` (another instance's refresh), or gives up. */
  waitForNewer(
    sourceId: string,
    newerThan: number,
    timeoutMs: number,
    timing: SourceTiming,
  ): Promise<StoredReport | undefined>;
  /**
   * Records a one-time token (a webhook signature) for `ttlMs`; false when it was already used, on any
   * instance (Redis), or in this process when Redis is not available.
   */
  claimOnce(sourceId: string, token: string, ttlMs: number): Promise<boolean>;
  /** Tells every instance about a source (pub/sub). */
  publish(message: Omit<InvalidationMessage, 'from'>): Promise<void>;
  /** Subscribes to other instances' messages. */
  onMessage(listener: (message: InvalidationMessage) => void): void;
  /** Whether L2 is configured, and whether it is usable now. */
  l2State(): 'none' | 'ready' | 'degraded';
  close(): Promise<void>;
}

/** Options of the tiered store. */
export interface TieredStoreOptions {
  /** Most source reports held in L1. @default 10000 */
  readonly maxL1Entries?: number;
  readonly redis?: RedisConnection;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

/** Largest report accepted from L2 (a corrupt or foreign value must not exhaust memory). */
const MAX_L2_VALUE_BYTES = 32 * 1024 * 1024;

/**
 * Most keys in one MGET on a single Redis server: big enough that thousands of sources cost a few round
 * trips, small enough that one reply does not block the server or this event loop for long.
 */
const MGET_BATCH = 500;

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
 * Takes a source's refresh lock (KEYS[1], token ARGV[1], for ARGV[2] ms) if free, or if its token starts
 * with this instance's prefix ARGV[3]; returns {1, report} (KEYS[2]'s value, false when absent) when
 * taken, {0} when another instance holds it.
 */
const LOCK_AND_PEEK = `if redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then
  return {1, redis.call('get', KEYS[2])}
end
local holder = redis.call('get', KEYS[1])
if holder and string.sub(holder, 1, #ARGV[3]) == ARGV[3] then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, redis.call('get', KEYS[2])}
end
return {0}`;

/**
 * LOCK_AND_PEEK for several sources: for each source i (KEYS[2i-1] its lock, KEYS[2i] its report, token
 * ARGV[2i], ARGV[2i+1] ms, this instance's prefix ARGV[1]) answers 0 when another instance holds the lock,
 * else the report text, or 1 when nothing is stored.
 */
const LOCK_AND_PEEK_MANY = `local out = {}
for i = 1, #KEYS / 2 do
  local lock, token, ttl = KEYS[2 * i - 1], ARGV[2 * i], ARGV[2 * i + 1]
  local taken = redis.call('set', lock, token, 'PX', ttl, 'NX')
  if not taken then
    local holder = redis.call('get', lock)
    if holder and string.sub(holder, 1, #ARGV[1]) == ARGV[1] then
      redis.call('set', lock, token, 'PX', ttl)
      taken = true
    end
  end
  if taken then
    out[i] = redis.call('get', KEYS[2 * i]) or 1
  else
    out[i] = 0
  end
end
return out`;

/**
 * For each source i (KEYS[2i-1] its report, KEYS[2i] its lock): the report if stored; else, when ARGV[2i]
 * (ms) is not '0', takes the lock with token ARGV[2i-1]. Each source answers the report text, or 0 (nothing
 * stored, no lock asked), 1 (lock taken) or 2 (another instance holds it).
 */
const LOOKUP_OR_LOCK = `local out = {}
for i = 1, #KEYS / 2 do
  local report = redis.call('get', KEYS[2 * i - 1])
  if report then
    out[i] = report
  elseif ARGV[2 * i] == '0' then
    out[i] = 0
  elseif redis.call('set', KEYS[2 * i], ARGV[2 * i - 1], 'PX', ARGV[2 * i], 'NX') then
    out[i] = 1
  else
    out[i] = 2
  end
end
return out`;

/**
 * Most sources in one lookup script on a single server. One call per chunk rather than per source: a cold
 * read of 4,500 sources as 4,500 calls took ~570 ms under load, and every call past the 200 ms operation
 * deadline counted as a Redis failure (the breaker opened and the fan-out ran uncoordinated).
 */
const LOOKUP_CHUNK = 100;

/** Deletes a source's refresh lock (KEYS[1]) only if it still holds our token (ARGV[1]). */
const UNLOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0`;

/**
 * Settles a refresh in one round trip: unless KEYS[1] holds a report fetched after ARGV[6] (epoch ms), SET
 * the report (KEYS[1] = ARGV[1], PX ARGV[2]) and PUBLISH ARGV[4] on channel ARGV[3]; then, either way,
 * delete the lock (KEYS[2]) if it holds our token ARGV[5] ('' when none was taken). Answers 1 when it
 * wrote, else the newer report's text. A commit can run late (sent before Redis hung, run when it woke)
 * or be overtaken by another instance's: a newer report must never be replaced by an older one.
 *
 * The stored report's fetch time is read from the value's first bytes (see `storedText`), or its last
 * bytes for values written before retrievedAt came first, with GETRANGE: a commit does not copy or decode
 * a report that may be megabytes long. A value neither way can read is treated as absent, as a reader
 * treats it (see `parseStored`).
 */
const COMMIT = `local function fetchedAt(key)
  local head = redis.call('getrange', key, 0, 63)
  if head == '' then return nil end
  local at = string.match(head, '^{"retrievedAt":([^,}]+)[,}]')
  if not at then
    at = string.match(redis.call('getrange', key, -64, -1), ',"retrievedAt":([^,}]+)}$')
  end
  return tonumber(at)
end
local stored = fetchedAt(KEYS[1])
local ours = tonumber(ARGV[6])
local write = stored == nil or ours == nil or stored <= ours
if write then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('publish', ARGV[3], ARGV[4])
end
if ARGV[5] ~= '' and redis.call('get', KEYS[2]) == ARGV[5] then
  redis.call('del', KEYS[2])
end
if write then return 1 end
return redis.call('get', KEYS[1])`;

/**
 * The store's Lua scripts, defined on the client so that each call is an EVALSHA (ioredis sends the
 * script itself only when a server answers NOSCRIPT, e.g. after a restart) rather than the whole text.
 */
const SCRIPTS = {
  waLockAndPeek: { numberOfKeys: 2, lua: LOCK_AND_PEEK },
  // Keys vary: the caller passes their number first.
  waLockAndPeekMany: { lua: LOCK_AND_PEEK_MANY },
  // Keys vary: the caller passes their number first.
  waLookupOrLock: { lua: LOOKUP_OR_LOCK },
  waUnlock: { numberOfKeys: 1, lua: UNLOCK },
  waCommit: { numberOfKeys: 2, lua: COMMIT },
} as const;

/** A script of the store, by name (see `SCRIPTS`). */
type ScriptName = keyof typeof SCRIPTS;

/** The client (or a pipeline of it) with the store's scripts defined. */
type Scripted = {
  [K in ScriptName]: (...args: Array<string | number>) => unknown;
};

/** A pipeline's script call with a callback last, called when that call's own reply arrives. */
type ScriptedWithCallback = {
  [K in ScriptName]: (
    ...args: Array<string | number | ((error: Error | null | undefined, value: unknown) => void)>
  ) => unknown;
};

/**
 * Sends the store's script calls made in one event-loop turn to a single Redis server as one pipeline:
 * one socket write for all of them instead of one each. In a cold fan-out over thousands of sources each
 * write to the loopback socket cost 60-90 us of CPU, the largest single item of the profile. Every call
 * still runs inside its own `RedisConnection.run` (its own deadline, counted by the breaker on its own),
 * so failures behave exactly as unbatched calls. A Redis Cluster gets each call directly (a pipeline
 * there must keep to one slot, and each source has its own).
 */
class TurnBatcher {
  private pending: Array<{
    readonly name: ScriptName;
    readonly args: Array<string | number>;
    readonly resolve: (value: unknown) => void;
    readonly reject: (error: unknown) => void;
  }> | null = null;

  constructor(private readonly client: RedisClient) {}

  /** Resolves when the pending batch is written; its calls' deadlines start then (see `DeferredReply`). */
  private sent: { promise: Promise<void>; resolve: () => void } | null = null;

  call(name: ScriptName, args: Array<string | number>): DeferredReply<unknown> {
    if (this.client instanceof Cluster)
      return (this.client as unknown as Scripted)[name](...args) as Promise<unknown>;
    if (!this.pending) {
      this.pending = [];
      let resolve = () => {};
      this.sent = { promise: new Promise<void>((r) => (resolve = r)), resolve };
      // After the I/O of this turn has been handled (every reply read, every fetch settled), not per tick.
      setImmediate(() => this.flush());
    }
    const pending = this.pending;
    const reply = new Promise((resolve, reject) => pending.push({ name, args, resolve, reject }));
    return Object.assign(reply, { sent: this.sent!.promise });
  }

  private flush(): void {
    const batch = this.pending ?? [];
    const sent = this.sent;
    this.pending = null;
    this.sent = null;
    // Settles after the writes below (this function is synchronous up to them).
    queueMicrotask(() => sent?.resolve());
    if (batch.length === 1) {
      const only = batch[0]!;
      ((this.client as unknown as Scripted)[only.name](...only.args) as Promise<unknown>).then(
        only.resolve,
        only.reject,
      );
      return;
    }
    const pipeline = this.client.pipeline();
    // Each call settles as its own reply arrives: a pipeline's exec() settles only with its last reply,
    // and the first chunk of a cold lookup (its fetches can start) waited for every other chunk's script.
    for (const call of batch)
      (pipeline as unknown as ScriptedWithCallback)[call.name](
        ...call.args,
        (error: Error | null | undefined, value: unknown) =>
          error ? call.reject(error) : call.resolve(value),
      );
    // Whatever a callback did not settle (a pipeline that failed as a whole) settles here; a settled call
    // stays as it is.
    pipeline.exec().then(
      (results) =>
        batch.forEach((call, i) => {
          const [error, value] = results?.[i] ?? [new Error('no reply in the pipeline'), undefined];
          if (error) call.reject(error);
          else call.resolve(value);
        }),
      (error: unknown) => batch.forEach((call) => call.reject(error)),
    );
  }
}

/** How often a waiter re-reads L2 when no pub/sub message arrives (pub/sub may be down). */
const WAIT_POLL_MS = 50;

/**
 * A report as stored in L2: JSON with `retrievedAt` first, so that the commit script can compare fetch
 * times from the value's first bytes (see COMMIT). Readers do not depend on the order (`parseStored`).
 */
function storedText(entry: StoredReport): string {
  return JSON.stringify({ retrievedAt: entry.retrievedAt, report: entry.report });
}

function parseStored(text: string | null): StoredReport | undefined {
  if (text === null || text.length > MAX_L2_VALUE_BYTES) return undefined;
  try {
    const value = JSON.parse(text) as StoredReport;
    if (typeof value?.retrievedAt !== 'number' || typeof value.report !== 'object' || value.report === null)
      return undefined;
    return value;
  } catch {
    return undefined; // a value we cannot read is a miss: the source is refetched, nothing wrong is served
  }
}

/**
 * L1 (lru-cache) in front of an optional L2 (Redis). With no Redis it is the embedded default's
 * in-process cache; with Redis, instances share reports, a refresh lock and invalidations.
 */
export class TieredFigureStore implements FigureStore {
  private readonly l1: LRUCache<string, StoredReport>;
  private readonly redis?: RedisConnection;
  private readonly instanceId = randomUUID();
  private readonly listeners: Array<(message: InvalidationMessage) => void> = [];
  private readonly waiters = new Map<string, Set<() => void>>();
  /** The token of each lock this store handed out, for `commit` to release it. */
  private readonly lockTokens = new WeakMap<LockResult, string>();
  private readonly batcher?: TurnBatcher;
  // Webhook signatures seen here (Redis SET NX is the shared check): lru-cache preallocates arrays of
  // `max`, and 10,000 signed webhooks within the replay window is far beyond real traffic.
  private readonly usedTokens = new LRUCache<string, true>({ max: 10_000, ttlAutopurge: false });

  constructor(private readonly options: TieredStoreOptions = {}) {
    this.l1 = new LRUCache({ max: options.maxL1Entries ?? 10_000 });
    this.redis = options.redis;
    if (this.redis) {
      this.batcher = new TurnBatcher(this.redis.client);
      for (const [name, definition] of Object.entries(SCRIPTS))
        this.redis.client.defineCommand(name, definition);
      this.subscribe(this.redis);
    }
  }

  /**
   * Calls one of the store's scripts, fail-fast, batched with the others of this event-loop turn. `locks`
   * are the refresh locks (key, token) the script may take: if it misses its deadline, each is released
   * (if still ours) right behind it on the same connection (`RunOptions.undo`), so a hung Redis that wakes
   * up does not hold every instance's refresh of those sources for a fetch nobody runs.
   */
  private script(
    redis: RedisConnection,
    name: ScriptName,
    args: Array<string | number>,
    locks: ReadonlyArray<readonly [key: string, token: string]> = [],
  ): Promise<unknown> {
    const undo =
      locks.length === 0
        ? undefined
        : (client: RedisClient) =>
            Promise.all(locks.map(([key, token]) => (client as unknown as Scripted).waUnlock(key, token)));
    return redis.run(() => this.batcher!.call(name, args), { undo });
  }

  private subscribe(redis: RedisConnection): void {
    const subscriber = redis.subscriber;
    const channel = keys.invalidationChannel;
    const doSubscribe = () => subscriber.subscribe(channel).catch(() => undefined);
    // Re-subscribe after every reconnection: a restarted Redis has forgotten its subscribers.
    subscriber.on('ready', doSubscribe);
    subscriber.on('message', (ch: string, text: string) => {
      if (ch !== channel) return;
      let message: InvalidationMessage;
      try {
        message = JSON.parse(text) as InvalidationMessage;
      } catch {
        return;
      }
      if (typeof message?.sourceId !== 'string' || message.from === this.instanceId) return;
      this.l1.delete(message.sourceId);
      this.wake(message.sourceId);
      for (const listener of this.listeners) listener(message);
    });
  }

  private failed(operation: string, error: unknown): undefined {
    this.options.metrics?.redisErrors.inc({ operation });
    this.options.logger?.debug(
      { operation, err: (error as Error)?.message },
      'redis operation failed; serving without it',
    );
    return undefined;
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
    if (!this.redis) return results;
    // L1 copies past their TTL are checked against L2: another instance may have refreshed the source
    // while this one missed the pub/sub message.
    const pending = sourceIds
      .map((id, index) => ({ id, index }))
      .filter(({ id, index }) => {
        const entry = results[index]!.entry;
        return !entry || nowMs - entry.retrievedAt >= timing(id).freshMs;
      });
    if (pending.length === 0) return results;
    const redis = this.redis;
    // A failed batch counts once in the connection breaker whatever its size, so a hung server gets
    // fewer commands before the breaker opens; what those commands would do late is undone where it
    // matters (see tryLock), so the batching does not change how a hung Redis is survived.
    const groups = mgetBatches(
      pending.map(({ id }) => keys.report(id)),
      redis.cluster,
    );
    await Promise.all(
      groups.map(async (group) => {
        const values = await redis
          .run((client) => client.mget(...group.map((g) => g.key)))
          .catch((error) => this.failed('mget', error));
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
    const redis = this.redis;
    if (!redis) {
      const all = this.lookupMany(sourceIds, timing, nowMs);
      return sourceIds.map((_, i) => all.then((lookups) => lookups[i]!));
    }
    const answers: Array<Promise<StoreLookup & { lock?: LockResult }>> = [];
    // As lookupMany: L1 copies past their TTL are checked against L2 too (another instance may have
    // refreshed the source while this one missed the pub/sub message); only absent ones may be locked.
    const pending: Array<{
      id: string;
      current: StoredReport | undefined;
      token: string;
      ttl: number;
      settle: (lookup: StoreLookup & { lock?: LockResult }) => void;
    }> = [];
    const base = `${this.instanceId}:${randomUUID()}:`;
    sourceIds.forEach((id, index) => {
      const current = this.l1.get(id);
      const fromL1: StoreLookup = { entry: current, tier: current ? 'L1' : null };
      if (current && nowMs - current.retrievedAt < timing(id).freshMs) {
        answers.push(Promise.resolve(fromL1));
        return;
      }
      const lockMs = current ? undefined : lockFor(id);
      const ttl = lockMs === undefined ? 0 : Math.max(1, Math.ceil(lockMs));
      answers.push(
        new Promise((settle) => pending.push({ id, current, token: `${base}${index}`, ttl, settle })),
      );
    });
    // A cluster script may only touch one slot, and each source has its own: one call per source there.
    const chunkSize = redis.client instanceof Cluster ? 1 : LOOKUP_CHUNK;
    for (let start = 0; start < pending.length; start += chunkSize) {
      const chunk = pending.slice(start, start + chunkSize);
      const args: Array<string | number> = [chunk.length * 2];
      for (const p of chunk) args.push(keys.report(p.id), keys.lock(p.id));
      for (const p of chunk) args.push(p.token, p.ttl);
      const locks = chunk.filter((p) => p.ttl > 0).map((p) => [keys.lock(p.id), p.token] as const);
      void this.script(redis, 'waLookupOrLock', args, locks)
        .catch((error) => this.failed('lookup', error))
        .then((reply) => {
          chunk.forEach(({ id, current, token, settle }, i) => {
            const answer: unknown = Array.isArray(reply) ? reply[i] : undefined;
            const lock: LockResult | undefined =
              answer === 1
                ? this.acquiredLock(redis, id, token)
                : answer === 2
                  ? { state: 'held-elsewhere' }
                  : undefined;
            const fromL2 = parseStored(typeof answer === 'string' ? answer : null);
            if (fromL2 && (!current || fromL2.retrievedAt > current.retrievedAt)) {
              this.l1.set(id, fromL2, { ttl: Math.max(1, fromL2.retrievedAt + timing(id).keepMs - nowMs) });
              settle({ entry: fromL2, tier: 'L2' });
            } else {
              settle({ entry: current, tier: current ? 'L1' : null, ...(lock ? { lock } : {}) });
            }
          });
        });
    }
    return answers;
  }

  /** A lock this store took (with `token`); `latest` is what L2 held for the source when it was taken. */
  private acquiredLock(
    redis: RedisConnection,
    sourceId: string,
    token: string,
    latest?: StoredReport,
  ): LockResult {
    const key = keys.lock(sourceId);
    const lock: LockResult = {
      state: 'acquired',
      peeked: true,
      latest,
      release: () => this.unlock(redis, key, token),
    };
    this.lockTokens.set(lock, token);
    return lock;
  }

  /**
   * Deletes our lock (`key`, `token`) outside the breaker (`RedisConnection.runAside`): a lock this
   * instance holds must go as soon as Redis can run the unlock, even while it is failing or hung, or every
   * instance waits behind it until it expires. Only our own lock: it may have expired and been taken by
   * another instance meanwhile. Never rejects; waits at most one operation deadline, and not at all while
   * Redis is known to be failing.
   */
  private unlock(redis: RedisConnection, key: string, token: string): Promise<void> {
    return redis
      .runAside(() => this.batcher!.call('waUnlock', [key, token]))
      .then(
        () => undefined,
        (error) => this.failed('unlock', error),
      );
  }

  async set(sourceId: string, entry: StoredReport, keepMs: number): Promise<void> {
    this.l1.set(sourceId, entry, { ttl: Math.max(1, Math.ceil(keepMs)) });
    this.wake(sourceId);
    if (!this.redis) return;
    await this.redis
      .run((client) =>
        client.set(keys.report(sourceId), storedText(entry), 'PX', Math.max(1, Math.ceil(keepMs))),
      )
      .catch((error) => this.failed('set', error));
  }

  dropLocal(sourceId: string): void {
    this.l1.delete(sourceId);
  }

  adopt(sourceId: string, entry: StoredReport, keepMs: number, nowMs: number): void {
    const current = this.l1.get(sourceId);
    if (current && current.retrievedAt >= entry.retrievedAt) return;
    this.l1.set(sourceId, entry, { ttl: Math.max(1, entry.retrievedAt + keepMs - nowMs) });
  }

  async tryLock(sourceId: string, ttlMs: number): Promise<LockResult> {
    if (!this.redis) return { state: 'no-coordination' };
    const redis = this.redis;
    const key = keys.lock(sourceId);
    const token = `${this.instanceId}:${randomUUID()}`;
    // One command, one round trip: take the lock and, if taken, read the report another instance may
    // have written since this one last looked (a script: MULTI/EXEC costs four commands, and measured
    // about 4x the client time for 45 locks at once). The report and lock keys share a hash tag, so this
    // works on Redis Cluster too.
    const reply = await this.script(
      redis,
      'waLockAndPeek',
      [key, keys.report(sourceId), token, Math.max(1, Math.ceil(ttlMs)), `${this.instanceId}:`],
      [[key, token]],
    ).catch((error) => this.failed('lock', error));
    if (reply === undefined) return { state: 'no-coordination' };
    // A nil report ends the Lua table, so a taken lock with nothing stored comes back as {1}.
    const [acquired, report] = Array.isArray(reply) ? (reply as unknown[]) : [0];
    if (acquired !== 1) return { state: 'held-elsewhere' };
    return this.acquiredLock(redis, sourceId, token, parseStored(typeof report === 'string' ? report : null));
  }

  async tryLockMany(
    requests: ReadonlyArray<{ readonly sourceId: string; readonly ttlMs: number }>,
  ): Promise<LockResult[]> {
    const redis = this.redis;
    if (!redis) return requests.map(() => ({ state: 'no-coordination' }));
    const base = `${this.instanceId}:${randomUUID()}:`;
    // A cluster script may only touch one slot, and each source has its own: one call per source there.
    const chunkSize = redis.client instanceof Cluster ? 1 : LOOKUP_CHUNK;
    const results: LockResult[] = [];
    const calls: Array<Promise<void>> = [];
    for (let start = 0; start < requests.length; start += chunkSize) {
      const chunk = requests.slice(start, start + chunkSize);
      const args: Array<string | number> = [chunk.length * 2, `${this.instanceId}:`];
      const tokens = chunk.map((_, i) => `${base}${start + i}`);
      const keyArgs: string[] = [];
      chunk.forEach(({ sourceId, ttlMs }, i) => {
        keyArgs.push(keys.lock(sourceId), keys.report(sourceId));
        args.push(tokens[i]!, Math.max(1, Math.ceil(ttlMs)));
      });
      args.splice(1, 0, ...keyArgs);
      calls.push(
        this.script(
          redis,
          'waLockAndPeekMany',
          args,
          chunk.map(({ sourceId }, i) => [keys.lock(sourceId), tokens[i]!] as const),
        )
          .catch((error) => this.failed('lock', error))
          .then((reply) => {
            chunk.forEach(({ sourceId }, i) => {
              const answer: unknown = Array.isArray(reply) ? reply[i] : undefined;
              results[start + i] =
                answer === undefined
                  ? { state: 'no-coordination' }
                  : answer === 0
                    ? { state: 'held-elsewhere' }
                    : this.acquiredLock(
                        redis,
                        sourceId,
                        tokens[i]!,
                        parseStored(typeof answer === 'string' ? answer : null),
                      );
            });
          }),
      );
    }
    await Promise.all(calls);
    return results;
  }

  async commit(sourceId: string, entry: StoredReport, keepMs: number, lock: LockResult): Promise<void> {
    const ttl = Math.max(1, Math.ceil(keepMs));
    this.keepNewer(sourceId, entry, ttl);
    this.wake(sourceId);
    if (!this.redis) return;
    const redis = this.redis;
    const message = JSON.stringify({ sourceId, kind: 'updated', from: this.instanceId });
    const token = (lock.state === 'acquired' && this.lockTokens.get(lock)) || '';
    const args = [
      keys.report(sourceId),
      keys.lock(sourceId),
      storedText(entry),
      ttl,
      keys.invalidationChannel,
      message,
      token,
      entry.retrievedAt,
    ];
    // No undo (`RunOptions.undo`) for a commit: run late it is still right, since it writes only what is
    // not older than what is stored and unlocks only our own lock.
    await redis
      .run(() => {
        const reply = this.batcher!.call('waCommit', args);
        // Read even when it comes after the deadline: a commit that ran late may have found a newer report.
        reply.then(
          (answer) => this.refused(sourceId, answer, ttl),
          () => undefined,
        );
        return reply;
      })
      .catch((error) => {
        this.failed('commit', error);
        // Refused by the open breaker (never sent), late, or failed: the lock must not outlive it. After a
        // late commit, which unlocks too, this finds nothing of ours and does nothing.
        if (token) void this.unlock(redis, keys.lock(sourceId), token);
      });
  }

  /**
   * After a commit: when it was refused because L2 holds a newer report (`answer` is that report), keeps
   * that one in L1 too, so this instance's readers do not go on with the older one it fetched.
   */
  private refused(sourceId: string, answer: unknown, ttl: number): void {
    if (typeof answer !== 'string') return;
    const newer = parseStored(answer);
    this.options.logger?.debug({ sourceId }, 'commit refused: L2 holds a newer report');
    if (newer) this.keepNewer(sourceId, newer, ttl);
  }

  /** Keeps `entry` in L1 for `ttl` ms unless L1 holds a report fetched after it. */
  private keepNewer(sourceId: string, entry: StoredReport, ttl: number): void {
    const current = this.l1.get(sourceId);
    if (current && current.retrievedAt > entry.retrievedAt) return;
    this.l1.set(sourceId, entry, { ttl });
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
      if (left <= 0 || !this.redis || this.l2State() !== 'ready') return undefined;
      // The holder released its lock: it wrote its report since the read above (one last look), or its
      // fetch failed. Either way, stop waiting.
      const held = await this.redis.run((client) => client.exists(keys.lock(sourceId))).catch(() => 0);
      if (held === 0) {
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

  private wake(sourceId: string): void {
    for (const wake of this.waiters.get(sourceId) ?? []) wake();
  }

  async claimOnce(sourceId: string, token: string, ttlMs: number): Promise<boolean> {
    const key = keys.hookNonce(sourceId, token);
    // Checked locally too, so that a replay is refused even while Redis is down.
    if (this.usedTokens.has(key)) return false;
    this.usedTokens.set(key, true, { ttl: ttlMs });
    if (!this.redis) return true;
    const ok = await this.redis
      .run((client) => client.set(key, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'))
      .catch((error) => this.failed('claim', error));
    return ok !== null;
  }

  async publish(message: Omit<InvalidationMessage, 'from'>): Promise<void> {
    if (!this.redis) return;
    await this.redis
      .run((client) =>
        client.publish(keys.invalidationChannel, JSON.stringify({ ...message, from: this.instanceId })),
      )
      .catch((error) => this.failed('publish', error));
  }

  onMessage(listener: (message: InvalidationMessage) => void): void {
    this.listeners.push(listener);
  }

  l2State(): 'none' | 'ready' | 'degraded' {
    if (!this.redis) return 'none';
    return this.redis.healthy ? 'ready' : 'degraded';
  }

  async close(): Promise<void> {
    await this.redis?.close();
  }
}
