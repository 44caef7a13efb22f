/**
 * The store's Lua scripts, here and nowhere else: each one's text, why it is a script, its KEYS/ARGV layout
 * and how its reply is read, and how the calls are sent.
 *
 * Why scripts: each does in one round trip what would otherwise take several (a lock taken with the report
 * read, a report written with its announcement and the unlock), and atomically, so a waiter on another
 * instance never sees a lock gone before its report is there. A source's report and lock keys share a hash
 * tag (see `keys.ts`), so a script about one source works on Redis Cluster too.
 *
 * How they are sent: defined on the client, so that each call is an EVALSHA (ioredis sends the text only
 * when a server answers NOSCRIPT, e.g. after a restart); the calls of one event-loop turn go to a single
 * server as one pipeline (`TurnBatcher`); each is fail-fast (`RedisConnection.run`), and a lock script that
 * misses its deadline is undone (see `run` below).
 */
import { Cluster } from 'ioredis';
import { keys } from './keys';
import type { RedisClient, RedisConnection } from './redis-connection';
import type { StoredReport } from './stored-report';
import { parseStored, storedText } from './stored-report';
import { TurnBatcher } from './turn-batcher';

/**
 * Takes a source's refresh lock (KEYS[1], token ARGV[1], for ARGV[2] ms) if free, or if its token starts
 * with this instance's prefix ARGV[3]; returns {1, report} (KEYS[2]'s value, false when absent) when
 * taken, {0} when another instance holds it. A script rather than MULTI/EXEC: that costs four commands, and
 * measured about 4x the client time for 45 locks at once.
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

/** The scripts by the command name each is defined under on the client. */
const SCRIPTS = {
  waLockAndPeek: { numberOfKeys: 2, lua: LOCK_AND_PEEK },
  // Keys vary: the caller passes their number first.
  waLockAndPeekMany: { lua: LOCK_AND_PEEK_MANY },
  // Keys vary: the caller passes their number first.
  waLookupOrLock: { lua: LOOKUP_OR_LOCK },
  waUnlock: { numberOfKeys: 1, lua: UNLOCK },
  waCommit: { numberOfKeys: 2, lua: COMMIT },
} as const;

/** A script, by the command name it is defined under. */
type ScriptName = keyof typeof SCRIPTS;

/** The client with the scripts defined (a direct call, outside the turn's batch). */
type Scripted = {
  [K in ScriptName]: (...args: Array<string | number>) => Promise<unknown>;
};

/**
 * Most sources in one lookup or lock script on a single server. One call per chunk rather than per source:
 * a cold read of 4,500 sources as 4,500 calls took ~570 ms under load, and every call past the 200 ms
 * operation deadline counted as a Redis failure (the breaker opened and the fan-out ran uncoordinated).
 */
const LOOKUP_CHUNK = 100;

/** A time as Redis' PX takes it: whole milliseconds, at least 1. */
function px(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

/** What a lock script says of one source: taken (with what L2 held for it then), or held elsewhere. */
export type LockAnswer =
  | {
      readonly taken: true;
      /** The report L2 held when the lock was taken; undefined when nothing (or nothing readable). */
      readonly latest: StoredReport | undefined;
    }
  | { readonly taken: false };

/**
 * What LOOKUP_OR_LOCK says of one source: the report stored, or else whether its lock was taken (`locked`),
 * held by another instance, or not asked for or nothing readable stored (`none`).
 */
export type LookupAnswer = StoredReport | 'locked' | 'held-elsewhere' | 'none';

/** One source of a lock script call: its lock is taken with `token` for `ttlMs`. */
export interface LockRequest {
  readonly sourceId: string;
  readonly token: string;
  readonly ttlMs: number;
}

/** One source of a LOOKUP_OR_LOCK call: its lock is taken with `token` for `lockMs` when nothing is stored. */
export interface LookupRequest {
  readonly sourceId: string;
  readonly token: string;
  /** Undefined: look up only, take no lock. */
  readonly lockMs: number | undefined;
}

/**
 * The store's scripts on one Redis connection, as typed calls. One per connection, shared by the parts of
 * the store, so that all their calls of one turn go out in one pipeline. Every call but `unlockAside`
 * rejects when Redis fails or misses the operation deadline; callers treat that as a miss.
 */
export class StoreScripts {
  private readonly batcher: TurnBatcher<ScriptName>;

  constructor(readonly connection: RedisConnection) {
    this.batcher = new TurnBatcher(connection.client);
    for (const [name, definition] of Object.entries(SCRIPTS))
      connection.client.defineCommand(name, definition);
  }

  /** How many sources one lookup or lock call may carry (split longer lists into calls of this size). */
  get sourcesPerCall(): number {
    // A cluster script may only touch one slot, and each source has its own: one call per source there.
    return this.connection.client instanceof Cluster ? 1 : LOOKUP_CHUNK;
  }

  /**
   * LOCK_AND_PEEK: takes a source's refresh lock unless another instance holds it (one whose token starts
   * with `ownPrefix` is this instance's leftover, and is taken over), with the report L2 holds.
   */
  async lockAndPeek(request: LockRequest, ownPrefix: string): Promise<LockAnswer> {
    const { sourceId, token, ttlMs } = request;
    const lock = keys.lock(sourceId);
    const reply = await this.run(
      'waLockAndPeek',
      [lock, keys.report(sourceId), token, px(ttlMs), ownPrefix],
      [[lock, token]],
    );
    // A nil report ends the Lua table, so a taken lock with nothing stored comes back as {1}.
    const [acquired, report] = Array.isArray(reply) ? (reply as unknown[]) : [0];
    if (acquired !== 1) return { taken: false };
    return { taken: true, latest: parseStored(typeof report === 'string' ? report : null) };
  }

  /**
   * LOCK_AND_PEEK_MANY: `lockAndPeek` for up to `sourcesPerCall` sources in one call. An entry is
   * undefined when the reply has no answer for that source.
   */
  async lockAndPeekMany(
    requests: readonly LockRequest[],
    ownPrefix: string,
  ): Promise<Array<LockAnswer | undefined>> {
    const args: Array<string | number> = [requests.length * 2];
    for (const { sourceId } of requests) args.push(keys.lock(sourceId), keys.report(sourceId));
    args.push(ownPrefix);
    for (const { token, ttlMs } of requests) args.push(token, px(ttlMs));
    const reply = await this.run(
      'waLockAndPeekMany',
      args,
      requests.map(({ sourceId, token }) => [keys.lock(sourceId), token] as const),
    );
    return requests.map((_, i): LockAnswer | undefined => {
      const answer: unknown = Array.isArray(reply) ? reply[i] : undefined;
      if (answer === undefined) return undefined;
      if (answer === 0) return { taken: false };
      return { taken: true, latest: parseStored(typeof answer === 'string' ? answer : null) };
    });
  }

  /**
   * LOOKUP_OR_LOCK: for up to `sourcesPerCall` sources in one call, the report stored, or else (when a
   * lock time is given) the refresh lock. Never takes a lock over, not even this instance's own.
   */
  async lookupOrLock(requests: readonly LookupRequest[]): Promise<LookupAnswer[]> {
    const args: Array<string | number> = [requests.length * 2];
    for (const { sourceId } of requests) args.push(keys.report(sourceId), keys.lock(sourceId));
    for (const { token, lockMs } of requests) args.push(token, lockMs === undefined ? 0 : px(lockMs));
    const locks = requests
      .filter(({ lockMs }) => lockMs !== undefined)
      .map(({ sourceId, token }) => [keys.lock(sourceId), token] as const);
    const reply = await this.run('waLookupOrLock', args, locks);
    return requests.map((_, i): LookupAnswer => {
      const answer: unknown = Array.isArray(reply) ? reply[i] : undefined;
      if (answer === 1) return 'locked';
      if (answer === 2) return 'held-elsewhere';
      return parseStored(typeof answer === 'string' ? answer : null) ?? 'none';
    });
  }

  /**
   * UNLOCK, sent outside the breaker (`RedisConnection.runAside`): a lock this instance holds must go as
   * soon as Redis can run the unlock, even while it is failing or hung, or every instance waits behind it
   * until it expires. Only our own lock: it may have expired and been taken by another instance meanwhile.
   */
  unlockAside(sourceId: string, token: string): Promise<unknown> {
    return this.connection.runAside(() => this.batcher.call('waUnlock', [keys.lock(sourceId), token]));
  }

  /**
   * COMMIT: keeps `entry` in L2 for `keepMs` and publishes `announcement`, unless L2 holds a report fetched
   * after it, and releases the lock held with `token` ('' when none) either way. `onRefused` gets the newer
   * report when the commit was refused, whenever the answer comes: a commit that ran late, after its
   * deadline, may have found a newer report.
   */
  commit(
    sourceId: string,
    entry: StoredReport,
    keepMs: number,
    announcement: string,
    token: string,
    onRefused: (newer: StoredReport | undefined) => void,
  ): Promise<unknown> {
    const args = [
      keys.report(sourceId),
      keys.lock(sourceId),
      storedText(entry),
      px(keepMs),
      keys.invalidationChannel,
      announcement,
      token,
      entry.retrievedAt,
    ];
    // No undo (`RunOptions.undo`) for a commit: run late it is still right, since it writes only what is
    // not older than what is stored and unlocks only our own lock.
    return this.connection.run(() => {
      const reply = this.batcher.call('waCommit', args);
      reply.then(
        (answer) => {
          if (typeof answer === 'string') onRefused(parseStored(answer));
        },
        () => undefined,
      );
      return reply;
    });
  }

  /**
   * Calls a script in this turn's batch, fail-fast. `locks` are the refresh locks (key, token) it may take:
   * if it misses its deadline, each is released (if still ours) right behind it on the same connection
   * (`RunOptions.undo`), so a hung Redis that wakes up does not hold every instance's refresh of those
   * sources for a fetch nobody runs.
   */
  private run(
    name: ScriptName,
    args: Array<string | number>,
    locks: ReadonlyArray<readonly [key: string, token: string]>,
  ): Promise<unknown> {
    const undo =
      locks.length === 0
        ? undefined
        : (client: RedisClient) =>
            Promise.all(locks.map(([key, token]) => (client as unknown as Scripted).waUnlock(key, token)));
    return this.connection.run(() => this.batcher.call(name, args), { undo });
  }
}
