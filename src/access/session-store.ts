import { LRUCache } from 'lru-cache';
import { keys } from '../store/keys';
import type { RedisConnection } from '../store/redis-connection';
import type { Role } from './caller';
import { ROLES } from './caller';

/**
 * Where browser sessions and sign-ins under way are kept: in Redis when the gateway has Redis (every
 * instance sees a session, and signing out ends it everywhere), else in this process. Records are keyed by
 * a hash of the cookie's random id (`handle`), so neither a Redis dump nor this process's memory holds a
 * cookie that would sign anyone in. Nothing personal is stored: a session is a role and its times.
 *
 * With Redis configured and not answering, every operation rejects (in milliseconds: `RedisConnection.run`)
 * and the caller fails closed: a session that cannot be checked does not sign anyone in.
 */

/** A signed-in browser's session. */
export interface SessionRecord {
  /** The hash of the cookie's id (`handleOf`): the session's opaque id here and in the audit log. */
  readonly handle: string;
  readonly role: Role;
  /** The synchronizer token requests signed in by this session must send (`X-CSRF-Token`). */
  readonly csrfToken: string;
  /** When it was made (ms since the epoch, by the gateway's clock). */
  readonly createdAt: number;
  /** When it was last used, to within `SessionStore`'s touch interval. */
  readonly lastSeenAt: number;
}

/** A sign-in under way: what the callback checks the provider's answer against. */
export interface PendingSignIn {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** The gateway path to go to once signed in (a same-origin path, checked when the sign-in began). */
  readonly returnTo: string;
}

/** The operations sessions need, by handle; `ttlMs` lets the store drop a record by itself. */
export interface SessionStore {
  get(handle: string): Promise<SessionRecord | null>;
  /** Stores a new session. */
  create(record: SessionRecord, ttlMs: number): Promise<void>;
  /** Stores a session's new `lastSeenAt` if it still exists (a session just ended stays ended). */
  touch(record: SessionRecord, ttlMs: number): Promise<void>;
  delete(handle: string): Promise<void>;
  putPending(handle: string, pending: PendingSignIn, ttlMs: number): Promise<void>;
  /** The sign-in under way, removed as it is read: a second read (a replayed callback) finds nothing. */
  takePending(handle: string): Promise<PendingSignIn | null>;
}

/** Most sessions and sign-ins under way one process keeps without Redis (the oldest go first). */
const MAX_SESSIONS = 100_000;
const MAX_PENDING = 10_000;

/** The in-process store, for a gateway without Redis (one instance, or sticky sessions). */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new LRUCache<string, SessionRecord>({ max: MAX_SESSIONS });
  private readonly pending = new LRUCache<string, PendingSignIn>({ max: MAX_PENDING });

  async get(handle: string): Promise<SessionRecord | null> {
    return this.sessions.get(handle) ?? null;
  }

  async create(record: SessionRecord, ttlMs: number): Promise<void> {
    this.sessions.set(record.handle, record, { ttl: ttlMs });
  }

  async touch(record: SessionRecord, ttlMs: number): Promise<void> {
    if (this.sessions.has(record.handle)) this.sessions.set(record.handle, record, { ttl: ttlMs });
  }

  async delete(handle: string): Promise<void> {
    this.sessions.delete(handle);
  }

  async putPending(handle: string, pending: PendingSignIn, ttlMs: number): Promise<void> {
    this.pending.set(handle, pending, { ttl: ttlMs });
  }

  async takePending(handle: string): Promise<PendingSignIn | null> {
    const found = this.pending.get(handle) ?? null;
    this.pending.delete(handle);
    return found;
  }
}

/** The shared store: one key per session and per sign-in under way (`keys.session`, `keys.signIn`). */
export class RedisSessionStore implements SessionStore {
  constructor(private readonly redis: RedisConnection) {}

  async get(handle: string): Promise<SessionRecord | null> {
    const text = await this.redis.run((client) => client.get(keys.session(handle)));
    return text === null ? null : parseSession(text, handle);
  }

  async create(record: SessionRecord, ttlMs: number): Promise<void> {
    await this.redis.run((client) =>
      client.set(keys.session(record.handle), JSON.stringify(record), 'PX', ttl(ttlMs)),
    );
  }

  async touch(record: SessionRecord, ttlMs: number): Promise<void> {
    // XX: a session deleted meanwhile (signed out on another instance) is not written back.
    await this.redis.run((client) =>
      client.set(keys.session(record.handle), JSON.stringify(record), 'PX', ttl(ttlMs), 'XX'),
    );
  }

  async delete(handle: string): Promise<void> {
    await this.redis.run((client) => client.del(keys.session(handle)));
  }

  async putPending(handle: string, pending: PendingSignIn, ttlMs: number): Promise<void> {
    await this.redis.run((client) =>
      client.set(keys.signIn(handle), JSON.stringify(pending), 'PX', ttl(ttlMs)),
    );
  }

  async takePending(handle: string): Promise<PendingSignIn | null> {
    // GETDEL (Redis 6.2): of two callbacks racing with one sign-in, one gets it.
    const text = await this.redis.run((client) => client.getdel(keys.signIn(handle)));
    return text === null ? null : parsePending(text);
  }
}

/** A Redis TTL in whole milliseconds, at least one second. */
function ttl(ms: number): number {
  return Math.max(1000, Math.ceil(ms));
}

/** A stored session read back; null for anything not written by this version (then: no session). */
function parseSession(text: string, handle: string): SessionRecord | null {
  try {
    const value = JSON.parse(text) as Partial<SessionRecord>;
    if (
      value.handle !== handle ||
      !(ROLES as readonly unknown[]).includes(value.role) ||
      typeof value.csrfToken !== 'string' ||
      typeof value.createdAt !== 'number' ||
      typeof value.lastSeenAt !== 'number'
    )
      return null;
    return value as SessionRecord;
  } catch {
    return null;
  }
}

function parsePending(text: string): PendingSignIn | null {
  try {
    const value = JSON.parse(text) as Partial<PendingSignIn>;
    const fields = [value.state, value.nonce, value.codeVerifier, value.returnTo];
    return fields.every((f) => typeof f === 'string') ? (value as PendingSignIn) : null;
  } catch {
    return null;
  }
}
