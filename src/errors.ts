import { GraphQLError } from 'graphql';

/**
 * Every error code the gateway can return, with its HTTP status and meaning: the one list.
 * The README's table is generated from it (`whereabouts errors --markdown`) and a test checks it.
 *
 * Request errors reach clients as `errors[].extensions.code` (GraphQL) or `{ error: { code } }` (plain HTTP).
 * Source reason codes (`UPSTREAM_*`, `CIRCUIT_OPEN`) never fail a request: they appear in a figure's
 * `reason` and in `sources`, because a failing force is data.
 */
export const ERROR_CODES = {
  BAD_REQUEST: {
    status: 400,
    meaning: 'The HTTP request is not a GraphQL request this server accepts (body, method or parameters).',
  },
  MALFORMED_JSON: { status: 400, meaning: 'The request body is not valid JSON.' },
  JSON_TOO_DEEP: {
    status: 400,
    meaning:
      'JSON in the request (body, variables, extensions or a WebSocket message) nests arrays and objects deeper than accepted; the message gives the limit.',
  },
  GRAPHQL_PARSE_FAILED: { status: 400, meaning: 'The query is not syntactically valid GraphQL.' },
  GRAPHQL_VALIDATION_FAILED: {
    status: 400,
    meaning: 'The query asks for something the schema does not have, or breaks a rule of the schema.',
  },
  BAD_USER_INPUT: {
    status: 400,
    meaning: 'An argument or variable has the wrong type or an unacceptable value.',
  },
  INVALID_DATE: {
    status: 400,
    meaning: 'A date argument is not a real calendar day written YYYY-MM-DD, or is in the future.',
  },
  UNKNOWN_FORCE: { status: 400, meaning: 'A list of force ids names forces that are not in the registry.' },
  OPERATION_RESOLUTION_FAILURE: {
    status: 400,
    meaning:
      'The operation to run cannot be determined (several operations and no or an unknown operationName).',
  },
  UNAUTHENTICATED: { status: 401, meaning: 'No valid credentials were given.' },
  FORBIDDEN: { status: 403, meaning: 'The credentials do not allow this operation.' },
  CSRF_REJECTED: {
    status: 403,
    meaning:
      'A request signed in by the session cookie did not carry its X-CSRF-Token (from GET /auth/session) or came from another origin.',
  },
  SIGN_IN_FAILED: {
    status: 400,
    meaning:
      "Sign-in could not be completed: the provider's answer was not for this browser's sign-in, was used already, expired or was refused; sign in again.",
  },
  SIGN_IN_NO_ROLE: {
    status: 403,
    meaning:
      'The identity provider signed the person in, but its role claim maps to no role here (access.oidc.roleMap); no session was made.',
  },
  SIGN_IN_UNAVAILABLE: {
    status: 503,
    meaning:
      'Sign-in cannot be completed just now: the identity provider or the session store did not answer.',
  },
  NOT_FOUND: { status: 404, meaning: 'No such resource.' },
  METHOD_NOT_ALLOWED: {
    status: 405,
    meaning: 'The HTTP method is not allowed here (a mutation over GET, for instance).',
  },
  NOT_ACCEPTABLE: {
    status: 406,
    meaning: 'The Accept header allows no media type this endpoint can produce.',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    meaning: 'The client did not send the request headers or body within the server timeouts.',
  },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'The request body is larger than the configured limit.' },
  HEADERS_TOO_LARGE: {
    status: 431,
    meaning: 'The request line and headers (query string included) are larger than the server accepts.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning: 'The request body has a Content-Type this endpoint does not read.',
  },
  RATE_LIMITED: {
    status: 429,
    meaning: 'Too many requests; retry after the number of seconds in Retry-After.',
  },
  ARCHIVE_OFF: {
    status: 501,
    meaning:
      'The question needs the archive (knownAt, revisions), and this deployment keeps none (WHEREABOUTS_ARCHIVE=off).',
  },
  ARCHIVE_UNAVAILABLE: {
    status: 503,
    meaning: 'The archive could not be read just now (its database is down or busy); retry later.',
  },
  INTERNAL_SERVER_ERROR: { status: 500, meaning: 'An unexpected error; details are logged, never returned.' },
  SERVICE_UNAVAILABLE: { status: 503, meaning: 'The gateway is starting or shutting down.' },
  UPSTREAM_TIMEOUT: { status: 504, meaning: 'Source reason: the source did not answer within its timeout.' },
  UPSTREAM_UNREACHABLE: {
    status: 502,
    meaning: 'Source reason: the source could not be reached (connection refused or reset, DNS).',
  },
  UPSTREAM_ADDRESS_REFUSED: {
    status: 502,
    meaning:
      "Source reason: the source's address is not public (private, link-local, metadata...) and the source does not allow it (allowPrivateAddresses); not retried.",
  },
  UPSTREAM_HTTP_ERROR: {
    status: 502,
    meaning: 'Source reason: the source answered with an HTTP error status.',
  },
  UPSTREAM_RATE_LIMITED: {
    status: 502,
    meaning: 'Source reason: the source kept answering 429 beyond the time budget.',
  },
  UPSTREAM_INVALID_PAYLOAD: {
    status: 502,
    meaning: 'Source reason: the payload could not be parsed or failed validation; nothing from it was used.',
  },
  CIRCUIT_OPEN: {
    status: 503,
    meaning: 'Source reason: the source failed repeatedly; calls are paused until a probe succeeds.',
  },
  SOURCE_NOT_LOADED: { status: 503, meaning: 'Source reason: the source has not been fetched yet.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Codes that describe why a source failed (used in figures' `reason` and in source status). */
export type SourceErrorCode =
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_UNREACHABLE'
  | 'UPSTREAM_ADDRESS_REFUSED'
  | 'UPSTREAM_HTTP_ERROR'
  | 'UPSTREAM_RATE_LIMITED'
  | 'UPSTREAM_INVALID_PAYLOAD'
  | 'CIRCUIT_OPEN'
  | 'SOURCE_NOT_LOADED';

/** The HTTP status of a code. */
export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/**
 * A client-facing GraphQL error with a literal code and its HTTP status.
 * Its message must be safe to show: it says what was wrong and what is accepted, nothing internal.
 */
export class WhereaboutsError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { ...extra, code, http: { status: httpStatusOf(code) } } });
  }
}

/**
 * An internal error describing why a source failed. It is never sent to a client as is:
 * `publicMessage` is, and `detail` (which may hold an upstream URL or body excerpt) goes to logs only.
 */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(
    readonly code: SourceErrorCode,
    readonly publicMessage: string,
    readonly detail?: string,
    readonly retryAfterMs?: number,
    readonly upstreamStatus?: number,
  ) {
    super(`${code}: ${publicMessage}${detail ? ` (${detail})` : ''}`);
  }

  /** Whether another attempt may succeed: network failures, 5xx, 408 and 429 (after Retry-After). */
  get retryable(): boolean {
    if (this.code === 'UPSTREAM_UNREACHABLE' || this.code === 'UPSTREAM_RATE_LIMITED') return true;
    if (this.code !== 'UPSTREAM_HTTP_ERROR') return false;
    const status = this.upstreamStatus ?? 0;
    return status >= 500 || status === 408;
  }
}

/** The README's errors table, generated from the registry. */
export function errorsMarkdownTable(): string {
  const rows = Object.entries(ERROR_CODES).map(
    ([code, { status, meaning }]) => `| \`${code}\` | ${status} | ${meaning} |`,
  );
  return ['| code | HTTP status | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
