import http from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorCode } from '../errors';
import { httpStatusOf } from '../errors';
import { errorBody } from './errors';

/**
 * How long a client may take, set on purpose rather than left at Node's defaults (60 s for headers and
 * 300 s for a whole request, checked every 30 s), which kept 200 slowloris sockets and 100 stalled
 * chunked POSTs open for the whole of issue 18's drill. Every request this gateway serves is small (at
 * most `bodyLimitBytes`), so an honest client sends it in well under a second even on a slow link.
 */
export interface ServerTimeouts {
  /**
   * Time to receive a request's complete headers (`server.headersTimeout`); then 408 and the socket is
   * closed. @default 10000
   */
  readonly headersTimeoutMs: number;
  /**
   * Time to receive a whole request, headers and body (`server.requestTimeout`); then 408 (or, when the
   * answer has begun, the socket is closed). @default 15000
   */
  readonly requestTimeoutMs: number;
  /**
   * How long an idle keep-alive connection stays open for its next request (`server.keepAliveTimeout`).
   * @default 5000 (Node's default, kept: pollers reuse connections; load balancers usually idle at 60 s,
   * so put them in front with a shorter idle timeout than this, or raise it)
   */
  readonly keepAliveTimeoutMs: number;
}

/** The defaults of `ServerTimeouts`. */
export const DEFAULT_SERVER_TIMEOUTS: ServerTimeouts = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
});

/**
 * How often Node looks for requests past their headers or request timeout (`connectionsCheckingInterval`,
 * 30 s by default, which lets a timeout run up to 30 s late). A pass walks the open connections only.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/** Largest request line and headers, query string included (Node's own default, stated here). */
export const MAX_HEADER_BYTES = 16 * 1024;

const ENV_NAMES: Record<keyof ServerTimeouts, string> = {
  headersTimeoutMs: 'WHEREABOUTS_HEADERS_TIMEOUT_MS',
  requestTimeoutMs: 'WHEREABOUTS_REQUEST_TIMEOUT_MS',
  keepAliveTimeoutMs: 'WHEREABOUTS_KEEP_ALIVE_TIMEOUT_MS',
};

/** Thrown by `serverTimeoutsFromEnv` for a value that is not a whole number of milliseconds above 0. */
export class ServerTimeoutsError extends Error {}

/**
 * The server timeouts from the environment (`WHEREABOUTS_HEADERS_TIMEOUT_MS`,
 * `WHEREABOUTS_REQUEST_TIMEOUT_MS`, `WHEREABOUTS_KEEP_ALIVE_TIMEOUT_MS`), each defaulting to
 * `DEFAULT_SERVER_TIMEOUTS`. Throws `ServerTimeoutsError` naming the variable and what is accepted.
 */
export function serverTimeoutsFromEnv(env: NodeJS.ProcessEnv): ServerTimeouts {
  const read = (key: keyof ServerTimeouts): number => {
    const text = env[ENV_NAMES[key]];
    if (text === undefined || text === '') return DEFAULT_SERVER_TIMEOUTS[key];
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
      throw new ServerTimeoutsError(
        `${ENV_NAMES[key]} must be a whole number of milliseconds above 0; got "${text}"`,
      );
    }
    return value;
  };
  const timeouts = {
    headersTimeoutMs: read('headersTimeoutMs'),
    requestTimeoutMs: read('requestTimeoutMs'),
    keepAliveTimeoutMs: read('keepAliveTimeoutMs'),
  };
  // Node refuses a headers timeout above the request timeout (the request includes its headers).
  if (timeouts.headersTimeoutMs > timeouts.requestTimeoutMs) {
    throw new ServerTimeoutsError(
      `${ENV_NAMES.headersTimeoutMs} (${timeouts.headersTimeoutMs}) must not be above ${ENV_NAMES.requestTimeoutMs} (${timeouts.requestTimeoutMs})`,
    );
  }
  return timeouts;
}

/**
 * The gateway's HTTP server: the timeouts above, and client errors Node answers before any handler runs
 * (headers too large, a timeout, a malformed request) answered in the errors registry's JSON shape with
 * a registered code, then the socket closed. The process entry and the tests both use it.
 */
export function createHttpServer(timeouts: ServerTimeouts = DEFAULT_SERVER_TIMEOUTS): http.Server {
  const server = http.createServer({
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    maxHeaderSize: MAX_HEADER_BYTES,
  });
  server.on('clientError', answerClientError);
  return server;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** Writes a JSON error for a request Node could not hand to the app, and closes the connection. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // Nothing to answer on a connection the client already dropped, or once an answer has begun (as Node's
  // own default handler decides).
  if (error.code === 'ECONNRESET' || !socket.writable || socket.bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const [code, message]: [ErrorCode, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? ['HEADERS_TOO_LARGE', `the request line and headers are larger than ${MAX_HEADER_BYTES} bytes`]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['REQUEST_TIMEOUT', 'the request was not received in time']
        : ['BAD_REQUEST', 'the request is not valid HTTP/1.1'];
  const status = httpStatusOf(code);
  const body = errorBody(code, message);
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\n` +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
}
