import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Caller, Role } from './caller';
import type { SessionRecord, SessionStore } from './session-store';

/**
 * Browser sessions made by sign-in with OpenID Connect (`src/http/auth-router.ts`).
 *
 * The cookie (`SESSION_COOKIE`) carries only a random id; the store keeps, under a hash of it, the role,
 * a CSRF token and two times, nothing personal. A session is over after `idleMs` unused or `absoluteMs`
 * after sign-in, whichever comes first, and at sign-out, on every instance that shares the store.
 *
 * A cookie alone never signs a request in: every request it signs in must also send the session's CSRF
 * token in `X-CSRF-Token` (the page reads it from `GET /auth/session`), and must not come from another
 * origin (`Origin`, `Sec-Fetch-Site`). Pages of other origins can neither read the token (no CORS on
 * `/auth/*`, none with credentials anywhere) nor send the header without a CORS preflight.
 */

/** The session cookie: `__Host-` makes browsers insist on Secure, Path=/ and no Domain. */
export const SESSION_COOKIE = '__Host-whereabouts-session';
/** The cookie of a sign-in under way, read by the callback (Lax: the provider's redirect back is cross-site). */
export const SIGN_IN_COOKIE = '__Host-whereabouts-signin';
/** The header a session-signed request sends its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/** How often at most a session's `lastSeenAt` is written back: idle expiry is exact to within this. */
export const TOUCH_INTERVAL_MS = 60_000;

/** What the request's credentials say, when they are a session cookie. */
export type SessionResolution =
  /** No session cookie: the request is judged on its other credentials. */
  | { readonly kind: 'none' }
  /** A cookie naming no live session (unknown, signed out, expired, or the store cannot say): 401. */
  | { readonly kind: 'invalid' }
  | { readonly kind: 'caller'; readonly caller: Caller }
  /** A live session, but the request did not prove it came from this gateway's pages: 403 `CSRF_REJECTED`. */
  | { readonly kind: 'csrf'; readonly caller: Caller; readonly message: string };

/** A request's headers, as `CallerResolver` takes them. */
type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** What `Sessions` needs. */
export interface SessionsOptions {
  readonly store: SessionStore;
  /** The gateway's own origin (`https://host[:port]`), from `access.oidc.redirectUri`. */
  readonly origin: string;
  readonly idleMs: number;
  readonly absoluteMs: number;
  /** The gateway's clock (ms since the epoch); tests move it. @default Date.now */
  readonly now?: () => number;
}

/** A new random id for a cookie: 256 bits, base64url. */
export function randomId(): string {
  return randomBytes(32).toString('base64url');
}

/** The store's key for a cookie's id: SHA-256, base64url. The id cannot be had back from it. */
export function handleOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** The value of one cookie in a Cookie header; undefined when absent. */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of (Array.isArray(header) ? header.join('; ') : header).split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** A well-formed cookie id: what `randomId` makes (anything else is not looked up). */
function wellFormed(id: string | undefined): id is string {
  return id !== undefined && /^[\w-]{43}$/.test(id);
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The browser sessions of one gateway. */
export class Sessions {
  readonly idleMs: number;
  readonly absoluteMs: number;
  readonly origin: string;
  private readonly store: SessionStore;
  private readonly now: () => number;

  constructor(options: SessionsOptions) {
    this.store = options.store;
    this.origin = options.origin;
    this.idleMs = options.idleMs;
    this.absoluteMs = options.absoluteMs;
    this.now = options.now ?? Date.now;
  }

  /** Makes a session for `role`: the cookie's id (to set, never stored) and the record. */
  async create(role: Role): Promise<{ readonly id: string; readonly record: SessionRecord }> {
    const id = randomId();
    const now = this.now();
    const record: SessionRecord = {
      handle: handleOf(id),
      role,
      csrfToken: randomId(),
      createdAt: now,
      lastSeenAt: now,
    };
    await this.store.create(record, Math.min(this.idleMs, this.absoluteMs));
    return { id, record };
  }

  /**
   * The live session a cookie's id names, its `lastSeenAt` moved on (written back at most every
   * `TOUCH_INTERVAL_MS`); null when there is none, it has expired (it is then removed) or the id is
   * malformed. Rejects when the store cannot answer.
   */
  async lookup(id: string | undefined): Promise<SessionRecord | null> {
    if (!wellFormed(id)) return null;
    const handle = handleOf(id);
    const record = await this.store.get(handle);
    if (!record) return null;
    const now = this.now();
    const deadline = Math.min(record.lastSeenAt + this.idleMs, record.createdAt + this.absoluteMs);
    if (now >= deadline) {
      await this.store.delete(handle);
      return null;
    }
    if (now - record.lastSeenAt < TOUCH_INTERVAL_MS) return record;
    const touched = { ...record, lastSeenAt: now };
    await this.store.touch(touched, Math.min(now + this.idleMs, record.createdAt + this.absoluteMs) - now);
    return touched;
  }

  /** The session of a request's cookie (see `lookup`). */
  fromHeaders(headers: Headers): Promise<SessionRecord | null> {
    return this.lookup(readCookie(headers.cookie, SESSION_COOKIE));
  }

  /** Ends the session a cookie's id names, if any, on every instance sharing the store. */
  async end(id: string | undefined): Promise<void> {
    if (wellFormed(id)) await this.store.delete(handleOf(id));
  }

  /**
   * What a request's session cookie says, for `AccessGate.admit`: no cookie, no live session, the
   * session's caller, or a refusal because the request did not come from this gateway's pages with the
   * session's CSRF token. Rejects when the store cannot answer (the gate then fails closed: 401).
   */
  async resolve(headers: Headers): Promise<SessionResolution> {
    const id = readCookie(headers.cookie, SESSION_COOKIE);
    if (id === undefined) return NONE;
    const record = await this.lookup(id);
    if (!record) return INVALID;
    const caller = callerOf(record);
    const problem = this.csrfProblem(headers, record);
    return problem ? { kind: 'csrf', caller, message: problem } : { kind: 'caller', caller };
  }

  /**
   * Why a request signed in by `record`'s cookie may not have come from this gateway's own pages, or
   * null when it proves it did: its origin (when the browser says it) is this gateway's, and it sends
   * the session's token.
   */
  csrfProblem(headers: Headers, record: SessionRecord): string | null {
    const origin = headers.origin;
    const site = headers['sec-fetch-site'];
    if ((origin !== undefined && origin !== this.origin) || (site !== undefined && site !== 'same-origin'))
      return `a request signed in by the session cookie must come from this gateway's own pages (${this.origin})`;
    const token = headers[CSRF_HEADER];
    if (typeof token !== 'string' || !sameToken(token, record.csrfToken))
      return `a request signed in by the session cookie must send the session's CSRF token in the X-CSRF-Token header (from GET /auth/session)`;
    return null;
  }
}

const NONE: SessionResolution = Object.freeze({ kind: 'none' });
const INVALID: SessionResolution = Object.freeze({ kind: 'invalid' });

/** The caller of a session: its role, identified in the audit log by a short hash of the session's id. */
export function callerOf(record: SessionRecord): Caller {
  return {
    keyId: `session:${createHash('sha256').update(record.handle).digest('hex').slice(0, 16)}`,
    role: record.role,
    via: 'session',
  };
}
