import { ACCESS_DEFAULTS } from '../config/schema';
import type { ErrorCode } from '../errors';
import type { ApprovedOperation } from './approved-operations';
import type { Caller, CallerResolver, Role } from './caller';
import { ROLES } from './caller';
import type { RateLimits } from './rate-limit';
import type { SessionResolution } from './sessions';

/**
 * Access policy: who may do what, in one table, and the two functions every transport calls.
 *
 * - `AccessGate.admit` (credentials and client address): who is calling, counted against their rate
 *   limit, or a refusal (401, 429).
 * - `authorise(caller, action)`: whether that caller may do that, or a refusal with a registered code.
 *
 * GraphQL over HTTP (both request paths), the feeds, graphql-ws, `/metrics`, the introspection check and
 * the `refreshSource` resolver call these and decide nothing themselves; they only render a refusal in
 * their own form (an HTTP error body, a WebSocket close, a GraphQL error). A new role is a row in
 * `ACCESS_TABLE` (and in `ROLES`); a new transport calls `admit` and `authorise`.
 */

/** Whom the table speaks of: each role, and a caller without credentials. */
export type Principal = Role | 'anonymous';

/** The principals in table order. */
export const PRINCIPALS: readonly Principal[] = Object.freeze([...ROLES, 'anonymous']);

/** What one principal may do. */
export interface PrincipalPolicy {
  /** Its own query text: queries and mutations over GraphQL (POST, GET), its own subscriptions over graphql-ws. */
  readonly ownQueries: boolean;
  /**
   * Approved operations (`schema/operations/*.graphql`), by document id over HTTP and as feeds, by exact
   * manifest text over graphql-ws: `listed` runs those whose `@roles` metadata names the role (the
   * per-operation list stays the source), `none` runs none.
   */
  readonly approvedOperations: 'listed' | 'none';
  /** `__schema` and `__type`. */
  readonly introspection: boolean;
  /** `GET /metrics` (Prometheus). */
  readonly metrics: boolean;
  /** The `refreshSource` mutation (a fetch now, whatever the cache holds). */
  readonly refreshSource: boolean;
  /** Breakdown cells: `all` of them, or `controlled` (cells under `access.disclosureK` suppressed). */
  readonly disclosure: 'all' | 'controlled';
  /** The feeds named in `access.publicFeeds`. */
  readonly publicFeeds: boolean;
}

/** The capabilities, in the table's order. */
export const CAPABILITIES = [
  'ownQueries',
  'approvedOperations',
  'introspection',
  'metrics',
  'refreshSource',
  'disclosure',
  'publicFeeds',
] as const satisfies ReadonlyArray<keyof PrincipalPolicy>;

/**
 * The access table. An anonymous caller may read public feeds only, and reads them as a journalist
 * (`PUBLIC_CALLER`, under disclosure control); everything else answers it 401.
 */
export const ACCESS_TABLE: Readonly<Record<Principal, PrincipalPolicy>> = Object.freeze({
  analyst: Object.freeze({
    ownQueries: true,
    approvedOperations: 'listed',
    introspection: true,
    metrics: false,
    refreshSource: false,
    disclosure: 'all',
    publicFeeds: true,
  }),
  dashboard: Object.freeze({
    ownQueries: false,
    approvedOperations: 'listed',
    introspection: false,
    metrics: false,
    refreshSource: false,
    disclosure: 'controlled',
    publicFeeds: true,
  }),
  journalist: Object.freeze({
    ownQueries: false,
    approvedOperations: 'listed',
    introspection: false,
    metrics: false,
    refreshSource: false,
    disclosure: 'controlled',
    publicFeeds: true,
  }),
  operator: Object.freeze({
    ownQueries: true,
    approvedOperations: 'listed',
    introspection: true,
    metrics: true,
    refreshSource: true,
    disclosure: 'controlled',
    publicFeeds: true,
  }),
  anonymous: Object.freeze({
    ownQueries: false,
    approvedOperations: 'none',
    introspection: false,
    metrics: false,
    refreshSource: false,
    disclosure: 'controlled',
    publicFeeds: true,
  }),
} as const);

/** A caller reading a public feed without credentials: read as a journalist (disclosure control applies). */
export const PUBLIC_CALLER: Caller = Object.freeze({ keyId: null, role: 'journalist', via: 'public-feed' });

/** Something a caller asks to do. */
export type Action =
  /** Its own query text over GraphQL HTTP (a query or a mutation; any request not naming a document id). */
  | { readonly kind: 'ownQuery' }
  /** A document id that no approved operation has. */
  | { readonly kind: 'unknownDocument' }
  /** An approved operation, by document id over GraphQL HTTP. */
  | { readonly kind: 'approvedOperation'; readonly op: ApprovedOperation }
  | { readonly kind: 'introspection' }
  | { readonly kind: 'metrics' }
  | { readonly kind: 'refreshSource' }
  | FeedAction
  /** A subscription over graphql-ws: the approved operation its text is exactly, or null for own text. */
  | { readonly kind: 'subscription'; readonly op: ApprovedOperation | null };

/** An approved operation read as a feed; `public` when `access.publicFeeds` names it. */
export interface FeedAction {
  readonly kind: 'feed';
  readonly op: ApprovedOperation;
  readonly public: boolean;
}

/** Actions that name no operation: one object each, so asking costs no allocation. */
export const OWN_QUERY: Action = Object.freeze({ kind: 'ownQuery' });
export const UNKNOWN_DOCUMENT: Action = Object.freeze({ kind: 'unknownDocument' });
export const INTROSPECTION: Action = Object.freeze({ kind: 'introspection' });
export const METRICS: Action = Object.freeze({ kind: 'metrics' });
export const REFRESH_SOURCE: Action = Object.freeze({ kind: 'refreshSource' });

/** Why a request is refused: a registered code, a message safe to show, and the headers its HTTP answer carries. */
export interface Refusal {
  readonly code: ErrorCode;
  readonly message: string;
  /** `WWW-Authenticate` with a 401, `Retry-After` with a 429; otherwise none. */
  readonly headers: Readonly<Record<string, string>>;
  /** With `RATE_LIMITED`: seconds until the caller may try again (graphql-ws says it in its close reason). */
  readonly retryAfterSeconds: number | null;
}

/** The outcome of `admit`. A refusal keeps the caller it refused (null without credentials), for the audit log. */
export type Admission =
  | { readonly ok: true; readonly caller: Caller }
  | { readonly ok: false; readonly refusal: Refusal; readonly caller: Caller | null };

/** The outcome of `authorise`. */
export type Authorisation = { readonly ok: true } | { readonly ok: false; readonly refusal: Refusal };

/** The one 401 message: the same for no key, a malformed, unknown or revoked key (no oracle). */
export const UNAUTHENTICATED_MESSAGE = 'a valid API key is required: send Authorization: Bearer <key>';

const ALLOWED: Authorisation = Object.freeze({ ok: true });
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function refusal(
  code: ErrorCode,
  message: string,
  headers = NO_HEADERS,
  retryAfterSeconds: number | null = null,
): Refusal {
  return Object.freeze({ code, message, headers, retryAfterSeconds });
}

function refused(code: ErrorCode, message: string, headers = NO_HEADERS): Authorisation {
  return Object.freeze({ ok: false, refusal: refusal(code, message, headers) });
}

/** "a", "a and b", "a, b and c". */
function inWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? 'no') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** The roles a capability is granted to, in words ("analyst and operator"). */
function rolesWith(capability: 'introspection' | 'metrics' | 'refreshSource'): string {
  return inWords(ROLES.filter((role) => ACCESS_TABLE[role][capability]));
}

const UNAUTHENTICATED = refusal('UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE, { 'www-authenticate': 'Bearer' });
const REFUSED_UNAUTHENTICATED: Authorisation = Object.freeze({ ok: false, refusal: UNAUTHENTICATED });

/** Refusals that depend on the principal only, made once (the messages name the role). */
interface FixedRefusals {
  readonly ownQuery: Authorisation;
  readonly ownSubscription: Authorisation;
  readonly unknownDocument: Authorisation;
  readonly introspection: Authorisation;
  readonly metrics: Authorisation;
  readonly refreshSource: Authorisation;
}

function fixedRefusals(role: Role): FixedRefusals {
  return {
    ownQuery: refused(
      'FORBIDDEN',
      `${role} keys may run approved operations only, sent by document id (extensions.persistedQuery.sha256Hash)`,
    ),
    ownSubscription: refused(
      'FORBIDDEN',
      `${role} keys may run approved operations only: send the approved document's text exactly as in the trusted-documents manifest`,
    ),
    unknownDocument: refused('NOT_FOUND', 'no approved operation has that document id'),
    introspection: refused(
      'FORBIDDEN',
      `introspection is available to ${rolesWith('introspection')} keys only`,
    ),
    metrics: refused('FORBIDDEN', `/metrics is for ${rolesWith('metrics')} keys only`),
    refreshSource: refused('FORBIDDEN', `refreshSource is for ${rolesWith('refreshSource')} keys only`),
  };
}

/** A caller without credentials is refused everything it is not granted with the one 401. */
const ANONYMOUS_REFUSALS: FixedRefusals = Object.freeze({
  ownQuery: REFUSED_UNAUTHENTICATED,
  ownSubscription: REFUSED_UNAUTHENTICATED,
  unknownDocument: REFUSED_UNAUTHENTICATED,
  introspection: REFUSED_UNAUTHENTICATED,
  metrics: REFUSED_UNAUTHENTICATED,
  refreshSource: REFUSED_UNAUTHENTICATED,
});

const FIXED: Readonly<Record<Principal, FixedRefusals>> = Object.freeze({
  ...(Object.fromEntries(ROLES.map((role) => [role, fixedRefusals(role)])) as Record<Role, FixedRefusals>),
  anonymous: ANONYMOUS_REFUSALS,
});

/** The principal a caller is judged as: a caller reading a public feed without credentials is anonymous. */
export function principalOf(caller: Caller): Principal {
  return caller.via === 'public-feed' ? 'anonymous' : caller.role;
}

/**
 * Whether a key of `role` may run an approved operation: the table says the role runs those approved
 * for it, and the operation's `@roles` metadata says which roles those are. One table and one Set lookup.
 */
export function mayRun(role: Role, op: ApprovedOperation): boolean {
  return ACCESS_TABLE[role].approvedOperations === 'listed' && op.approvedFor.has(role);
}

/** `mayRun` for a principal: a caller without credentials runs none. */
function principalRuns(principal: Principal, op: ApprovedOperation): boolean {
  return principal !== 'anonymous' && mayRun(principal, op);
}

/** An operation-specific refusal: 403 naming the operation and role, or the one 401 without credentials. */
function refusedOperation(principal: Principal, message: () => string): Authorisation {
  return principal === 'anonymous' ? REFUSED_UNAUTHENTICATED : refused('FORBIDDEN', message());
}

/**
 * Whether `caller` may do `action`: allowed, or the refusal to send. Every transport asks this and
 * decides nothing itself. Allowed answers and refusals that name no operation are shared objects, so the
 * check costs a table and a Set lookup and no allocation.
 *
 * An unknown document id is refused 404 to roles that run approved operations only; a role that may send
 * its own text goes on to Apollo's persisted-query answer (`PERSISTED_QUERY_NOT_FOUND`), so an APQ
 * client can send the text. A caller without credentials (only ever admitted to read a public feed) gets
 * the one 401 for anything else.
 */
export function authorise(caller: Caller, action: Action): Authorisation {
  const principal = principalOf(caller);
  const row = ACCESS_TABLE[principal];
  const fixed = FIXED[principal];
  switch (action.kind) {
    case 'ownQuery':
      return row.ownQueries ? ALLOWED : fixed.ownQuery;
    case 'unknownDocument':
      return row.ownQueries ? ALLOWED : fixed.unknownDocument;
    case 'introspection':
      return row.introspection ? ALLOWED : fixed.introspection;
    case 'metrics':
      return row.metrics ? ALLOWED : fixed.metrics;
    case 'refreshSource':
      return row.refreshSource ? ALLOWED : fixed.refreshSource;
    case 'approvedOperation':
      if (principalRuns(principal, action.op)) return ALLOWED;
      return refusedOperation(
        principal,
        () => `the approved operation "${action.op.name}" is not approved for ${caller.role} keys`,
      );
    case 'feed':
      if ((action.public && row.publicFeeds) || principalRuns(principal, action.op)) return ALLOWED;
      return refusedOperation(
        principal,
        () => `the feed "${action.op.name}" is not approved for ${caller.role} keys`,
      );
    case 'subscription': {
      const { op } = action;
      if (op === null) return row.ownQueries ? ALLOWED : fixed.ownSubscription;
      if (principalRuns(principal, op)) return ALLOWED;
      return refusedOperation(
        principal,
        () => `the approved operation "${op.name}" is not approved for ${caller.role} keys`,
      );
    }
    default:
      return unreachable(action);
  }
}

function unreachable(value: never): never {
  throw new Error(`unknown access case ${JSON.stringify(value)}`);
}

/** The disclosure threshold for a caller: null when it sees every cell, else `k` (`access.disclosureK`). */
export function disclosureThreshold(caller: Caller, k: number | undefined): number | null {
  return ACCESS_TABLE[principalOf(caller)].disclosure === 'all' ? null : (k ?? ACCESS_DEFAULTS.disclosureK);
}

/**
 * A caller's disclosure class, as part of a response-cache key: responses differ only between callers
 * who see every cell (`knone`) and those under control (`k3` for k = 3).
 */
export function disclosureClassOf(caller: Caller, k: number | undefined): string {
  return `k${disclosureThreshold(caller, k) ?? 'none'}`;
}

/** Reads a request's session cookie (`Sessions` in src/access/sessions.ts). */
export interface SessionResolver {
  resolve(headers: RequestHeaders): Promise<SessionResolution>;
}

/** What `AccessGate` needs. */
export interface AccessGateDeps {
  /** Resolves credentials to a caller (API keys, JWT); null for no valid credentials. */
  readonly resolveCaller: CallerResolver;
  /**
   * Browser sessions from sign-in (`access.oidc`), when configured. A request with an `Authorization`
   * header is judged on it alone: its session cookie, if any, is not read.
   */
  readonly sessions?: SessionResolver;
  readonly rateLimits: RateLimits;
  /** Told when the resolver throws; the request is then treated as one without credentials (fail closed). */
  readonly onResolveError?: (error: unknown) => void;
}

/** A request's headers, where its credentials are (`Authorization`). */
export type RequestHeaders = Parameters<CallerResolver>[0];

/** Options of one admission. */
export interface AdmitOptions {
  /**
   * The request reads a public feed: without credentials it is admitted as `PUBLIC_CALLER` (after the
   * per-address count) instead of refused 401.
   */
  readonly publicFeed?: boolean;
}

/** `admit`'s options for a request reading a public feed (one object: no allocation per request). */
export const PUBLIC_FEED: AdmitOptions = Object.freeze({ publicFeed: true });

/** The limit key of a caller without an address (a socket that has already closed). */
const UNKNOWN_ADDRESS = 'unknown';

/** Who the credentials of a request name: a caller, nobody, or a session refused for CSRF. */
type Identified =
  | { readonly caller: Caller | null; readonly refusal?: undefined }
  | { readonly caller: Caller; readonly refusal: Refusal };

const NOBODY: Identified = Object.freeze({ caller: null });

/** Whether a request carries an `Authorization` header with a value: then it alone is its credential. */
function hasAuthorization(headers: RequestHeaders): boolean {
  const value = headers.authorization;
  return value !== undefined && value.length > 0;
}

/**
 * Admission: credentials and rate limits, one rule for every transport.
 *
 * A caller with credentials is counted in its role's bucket under its key id (under its address when
 * the resolver names no key, e.g. open access in tests). A caller without valid credentials is counted
 * per address in the `anonymous` bucket before it is refused, so guessing keys is slow; an over-limit
 * refusal (429) then comes before the 401.
 *
 * Credentials are an `Authorization` header (an API key or a JWT) or, when sign-in is configured and no
 * such header is sent, the session cookie. A bearer credential wins: a script's key, or a key pasted into
 * the dashboard, is used as given, even in a browser also signed in. A session cookie signs a request in
 * only with the session's CSRF token from this gateway's own pages; without it the request is counted as
 * one without credentials and refused 403 `CSRF_REJECTED`.
 */
export class AccessGate {
  private readonly resolveCaller: CallerResolver;
  private readonly sessions: SessionResolver | undefined;
  private readonly rateLimits: RateLimits;
  private readonly onResolveError: ((error: unknown) => void) | undefined;

  constructor(deps: AccessGateDeps) {
    this.resolveCaller = deps.resolveCaller;
    this.sessions = deps.sessions;
    this.rateLimits = deps.rateLimits;
    this.onResolveError = deps.onResolveError;
  }

  /**
   * Who the request's credentials name: its session cookie when sign-in is configured and no
   * `Authorization` header is sent, else the resolver (see the class comment). `admit` inlines this: the
   * session 12 A/B in process against cb7ba1c (12 rounds each, noise floor about ±3 %) gave the persisted
   * GET +4.2 % and the feed +3.7 % CPU per request with it as a layer of its own, -2.6 % and -0.9 % inlined.
   */
  private async identify(headers: RequestHeaders): Promise<Identified> {
    const bySession =
      this.sessions && !hasAuthorization(headers) ? await this.identifySession(this.sessions, headers) : null;
    return bySession ?? { caller: await this.resolveCaller(headers) };
  }

  /**
   * Who the request's session cookie names, or null for a request without a session cookie (it is then
   * judged by the resolver, as every request is when sign-in is not configured or an `Authorization`
   * header is sent: see the class comment).
   */
  private async identifySession(
    sessions: SessionResolver,
    headers: RequestHeaders,
  ): Promise<Identified | null> {
    const session = await sessions.resolve(headers);
    switch (session.kind) {
      case 'none':
        return null;
      case 'invalid':
        return NOBODY;
      case 'caller':
        return { caller: session.caller };
      case 'csrf':
        return { caller: session.caller, refusal: refusal('CSRF_REJECTED', session.message) };
      default:
        return unreachable(session);
    }
  }

  /**
   * Who is calling, counted once against their limit; or the refusal: 401 `UNAUTHENTICATED` (one message
   * and `WWW-Authenticate: Bearer` for every kind of bad credential) or 429 `RATE_LIMITED` with
   * `Retry-After`. `address` is the client's IP address (the socket's peer).
   */
  async admit(
    headers: RequestHeaders,
    address: string | undefined,
    options?: AdmitOptions,
  ): Promise<Admission> {
    let identified: Identified;
    try {
      // `identify`, inlined: one async layer fewer on every request (measured, see `identify`).
      const bySession =
        this.sessions && !hasAuthorization(headers)
          ? await this.identifySession(this.sessions, headers)
          : null;
      identified = bySession ?? { caller: await this.resolveCaller(headers) };
    } catch (error) {
      this.onResolveError?.(error);
      identified = NOBODY;
    }
    const { caller } = identified;
    // A public feed needs no credentials: a session cookie without its token (a link followed on this
    // site) reads it as anyone would, below.
    if (identified.refusal && !options?.publicFeed) {
      const decision = await this.rateLimits.consume('anonymous', address ?? UNKNOWN_ADDRESS);
      if (!decision.allowed) return overLimit(null, decision.retryAfterSeconds);
      return { ok: false, refusal: identified.refusal, caller };
    }
    if (caller && !identified.refusal) {
      const decision = await this.rateLimits.consume(caller.role, caller.keyId ?? address ?? UNKNOWN_ADDRESS);
      return decision.allowed ? { ok: true, caller } : overLimit(caller, decision.retryAfterSeconds);
    }
    const decision = await this.rateLimits.consume('anonymous', address ?? UNKNOWN_ADDRESS);
    if (!decision.allowed) return overLimit(null, decision.retryAfterSeconds);
    return options?.publicFeed ? ADMITTED_PUBLIC : NOT_ADMITTED;
  }

  /**
   * Counts one request without credentials from `address` (the sign-in pages, which take none) in the
   * `anonymous` bucket: null while under the limit, else the 429 refusal.
   */
  async countAnonymous(address: string | undefined): Promise<Refusal | null> {
    const decision = await this.rateLimits.consume('anonymous', address ?? UNKNOWN_ADDRESS);
    if (decision.allowed) return null;
    return rateLimited(null, decision.retryAfterSeconds);
  }

  /**
   * Counts one more request of a caller already admitted on a connection (a graphql-ws Subscribe), with
   * the same limit and key as `admit`.
   */
  async count(caller: Caller, address: string | undefined): Promise<Admission> {
    const decision = await this.rateLimits.consume(caller.role, caller.keyId ?? address ?? UNKNOWN_ADDRESS);
    return decision.allowed ? { ok: true, caller } : overLimit(caller, decision.retryAfterSeconds);
  }

  /**
   * Whether the credentials of an open connection still name the caller admitted with them (same key,
   * same role): false once the key is revoked, the JWT expired, the session ended or the role changed.
   * Not counted.
   */
  async stillAdmitted(headers: RequestHeaders, caller: Caller): Promise<boolean> {
    const now = await this.identify(headers).catch(() => NOBODY);
    return (
      now.caller !== null &&
      !now.refusal &&
      now.caller.role === caller.role &&
      now.caller.keyId === caller.keyId
    );
  }
}

const ADMITTED_PUBLIC: Admission = Object.freeze({ ok: true, caller: PUBLIC_CALLER });
const NOT_ADMITTED: Admission = Object.freeze({ ok: false, refusal: UNAUTHENTICATED, caller: null });

/** A 429: keyed callers are told the limit is their key's. */
function overLimit(caller: Caller | null, retryAfterSeconds: number): Admission {
  return { ok: false, caller, refusal: rateLimited(caller, retryAfterSeconds) };
}

function rateLimited(caller: Caller | null, retryAfterSeconds: number): Refusal {
  const message = caller
    ? `too many requests for this key; retry after ${retryAfterSeconds} s`
    : `too many requests; retry after ${retryAfterSeconds} s`;
  return refusal('RATE_LIMITED', message, { 'retry-after': String(retryAfterSeconds) }, retryAfterSeconds);
}

/** Table cells in words, for the README. */
function cell(principal: Principal, capability: (typeof CAPABILITIES)[number]): string {
  const row = ACCESS_TABLE[principal];
  switch (capability) {
    case 'approvedOperations':
      return row.approvedOperations === 'listed' ? 'if in `@roles`' : 'no';
    case 'disclosure':
      return row.disclosure === 'all' ? 'all' : 'under control';
    case 'publicFeeds':
      return row.publicFeeds ? (principal === 'anonymous' ? 'yes, as journalist' : 'yes') : 'no';
    default:
      return row[capability] ? 'yes' : 'no';
  }
}

const CAPABILITY_NAMES: Readonly<Record<(typeof CAPABILITIES)[number], string>> = {
  ownQueries: 'own query text (GraphQL POST/GET, own subscriptions over graphql-ws)',
  approvedOperations:
    'approved operations, by document id, as feeds and as exact text over graphql-ws (rows below)',
  introspection: 'introspection (`__schema`, `__type`)',
  metrics: '`GET /metrics`',
  refreshSource: '`refreshSource` mutation',
  disclosure: 'breakdown cells (`access.disclosureK`)',
  publicFeeds: 'feeds in `access.publicFeeds`',
};

/**
 * The README's access table, generated from `ACCESS_TABLE`; with `approved`, one more row per approved
 * operation from its `@roles`.
 */
export function accessMarkdownTable(approved: readonly ApprovedOperation[] = []): string {
  const header = `| capability | ${PRINCIPALS.map((p) => (p === 'anonymous' ? 'no key' : `\`${p}\``)).join(' | ')} |`;
  const rule = `| --- |${PRINCIPALS.map(() => ' --- |').join('')}`;
  const rows = CAPABILITIES.map(
    (capability) =>
      `| ${CAPABILITY_NAMES[capability]} | ${PRINCIPALS.map((p) => cell(p, capability)).join(' | ')} |`,
  );
  const ops = approved.map(
    (op) =>
      `| &nbsp;&nbsp;\`${op.name}\` | ${PRINCIPALS.map((p) => (p !== 'anonymous' && mayRun(p, op) ? 'yes' : 'no')).join(' | ')} |`,
  );
  return [header, rule, ...rows, ...ops].join('\n');
}
