import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { SourceError } from '../errors';
import type { AddressRefusal } from './address-policy';
import { hostRefusal, isWrittenLoopback } from './address-policy';
import type { BodyLimits } from './body-reader';
import { BodyReader, tooLarge, unreadable } from './body-reader';
import { UPSTREAM_BYTE_BUDGET } from './byte-budget';
import type { FetchContext } from './fetch-context';
import type { Budget } from './resilience';
import { AddressNotAllowedError, upstreamDispatcher } from './upstream-dispatcher';

/** Largest upstream body read, as sent and once decoded, so a runaway source cannot exhaust memory. */
export const MAX_UPSTREAM_BYTES = 20 * 1024 * 1024;

/** Most decoded bytes per byte sent: above it a compressed body is a bomb, not a feed. */
export const MAX_DECOMPRESSION_RATIO = 100;

/** Decoded bytes before the ratio is checked: small bodies of repeated text compress well honestly. */
export const RATIO_CHECK_AFTER_BYTES = 1024 * 1024;

/**
 * The limits of every upstream body. Bytes come from one process-wide budget (`UPSTREAM_BYTE_BUDGET`,
 * 64 MiB): a fetch that cannot get bytes from it fails at once with UPSTREAM_INVALID_PAYLOAD rather than
 * waiting. Waiting would hold the fetch's socket and time budget while others finish, and when every
 * holder waits for more, none finishes (each would time out instead); legitimate feeds are far smaller
 * than the budget, so only abusive upstreams meet it, and a source failed by it is fetched again at its
 * next refresh.
 */
const BODY_LIMITS: BodyLimits = {
  maxBytes: MAX_UPSTREAM_BYTES,
  maxRatio: MAX_DECOMPRESSION_RATIO,
  ratioAfterBytes: RATIO_CHECK_AFTER_BYTES,
  budget: UPSTREAM_BYTE_BUDGET,
};

/** One upstream HTTP request. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly accept: string;
  readonly body?: string;
}

/** A successful upstream response. */
export interface HttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** A successful upstream response whose body is kept as bytes (a workbook, not text). */
export interface HttpBytesResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

/** Builds request headers from config, reading secrets from the environment (never from the file). */
export function buildHeaders(ctx: FetchContext): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.config.headers)) {
    if (typeof value === 'string') headers[name] = value;
    else {
      const secret = ctx.env[value.env];
      // Config validation at start checks the variable exists; a missing one here is a config change.
      if (secret !== undefined) headers[name] = `${value.prefix}${secret}`;
    }
  }
  return headers;
}

/** Parses Retry-After (seconds or an HTTP date) to milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  // RFC 9110: delay-seconds is 1*DIGIT; anything numeric-looking but not that (-5, 1.5) is invalid,
  // and must not reach Date.parse, which reads "-5" as a date in 2001.
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (/^[-+]?[\d.]+$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Most redirects followed for one request (fetch's limit is 20; feeds that need more are broken). */
export const MAX_REDIRECTS = 5;

function timedOut(): SourceError {
  return new SourceError('UPSTREAM_TIMEOUT', 'the source did not answer in time');
}

/** A refusal by the address policy: its own code, which is not retried (the address will not change). */
function notAllowed(refusal: AddressRefusal, detail: string): SourceError {
  return new SourceError('UPSTREAM_ADDRESS_REFUSED', refusal.reason, detail);
}

/** A response head; `body` is read only for a final (2xx) answer. */
interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body?: Promise<Buffer>;
}

/** Whether a status is a redirect this client follows (with a Location). */
function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * Sends one request with undici's dispatch API: no streams, no per-request abort-signal listener
 * inside the client, and the request is written as it is dispatched. Resolves at the response head; for a
 * 2xx answer `body` then reads the body as it streams in (decoded, bounded: see `BodyReader`). Any other
 * answer's body is read and dropped in the background, which keeps the connection for the next request,
 * as `res.resume()` did. Rejects with the raw error when the request fails before a response head.
 */
function send(
  dispatcher: Dispatcher,
  url: URL,
  req: HttpRequest,
  headers: Record<string, string>,
  budget: Budget,
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    let controller: { abort(reason: Error): void } | null = null;
    let headed = false;
    let finished = false;
    let reader: BodyReader | null = null;
    let done = () => {};
    /** Ends the exchange with `error`: before the head, the request fails; after it, the body does. */
    const fail = (error: unknown) => {
      if (finished) return;
      finished = true;
      done();
      if (!headed) reject(error);
      else reader?.fail(error instanceof SourceError ? error : unreadable((error as Error)?.message));
    };
    // Called at once if the budget has already run out.
    done = budget.onAbort(() => {
      controller?.abort(timedOut());
      fail(timedOut());
    });
    if (finished) return;
    dispatcher.dispatch(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: req.method,
        headers,
        body: req.body ?? null,
      },
      {
        onRequestStart(ctl) {
          controller = ctl;
          if (budget.aborted) ctl.abort(timedOut());
        },
        onResponseStart(ctl, status, responseHeaders) {
          // 1xx informational heads come first and are not the answer.
          if (status < 200 || finished) return;
          headed = true;
          if (status >= 300 || isRedirect(status)) {
            // Not read: drop the body as it comes, and let the connection go back to the pool.
            finished = true;
            done();
            resolve({ status, headers: responseHeaders });
            return;
          }
          // A body that says it is over the limit is refused before a byte of it is read.
          const declared = Number(headerText(responseHeaders['content-length']) ?? Number.NaN);
          if (declared > MAX_UPSTREAM_BYTES) {
            const error = tooLarge(MAX_UPSTREAM_BYTES);
            finished = true;
            done();
            ctl.abort(error);
            resolve({ status, headers: responseHeaders, body: Promise.reject(error) });
            return;
          }
          const encoding = String(responseHeaders['content-encoding'] ?? '')
            .trim()
            .toLowerCase();
          reader = new BodyReader(encoding, BODY_LIMITS, {
            pause: () => ctl.pause(),
            resume: () => ctl.resume(),
            abort: (error) => {
              finished = true;
              done();
              ctl.abort(error);
            },
          });
          resolve({ status, headers: responseHeaders, body: reader.bytes });
        },
        onResponseData(_ctl, chunk) {
          if (!finished) reader?.write(chunk);
        },
        onResponseEnd() {
          if (finished || !reader) return;
          finished = true;
          done();
          reader.end();
        },
        onResponseError(_ctl, error) {
          fail(budget.aborted ? timedOut() : error);
        },
      },
    );
  });
}

/**
 * Refuses a URL whose host is a literal address (or special name) the policy refuses, before connecting:
 * a literal address is connected to without DNS, so the connect-time check never sees it. Loopback is
 * allowed only when the configured location is itself loopback, so that a redirect from a public source
 * cannot reach this machine's own services.
 */
function checkHost(url: URL, allowPrivate: boolean, loopback: boolean): void {
  const refusal = hostRefusal(url.hostname, { allowPrivate, loopback });
  if (refusal) throw notAllowed(refusal, `${url.href}: ${refusal.kind}`);
}

/**
 * Sends one request to a source and returns its body, or throws a `SourceError` whose public message
 * carries no URL and no body. 5xx, 429 and network failures are marked retryable by their codes.
 *
 * Uses undici's dispatch API with keep-alive connections rather than fetch or node:http: on Node 20 each
 * fetch costs several times the CPU of a plain request, and node:http's request and response streams
 * (and its abort-signal plumbing) cost about half as much again as undici's dispatch, which a cold
 * fan-out over many sources pays once per source. Like fetch, it follows redirects (at most
 * `MAX_REDIRECTS`, http(s) only; a 303, or a 301/302 answering a POST, continues as GET) and decodes
 * gzip, deflate and br bodies. Every hop passes the address policy (`address-policy.ts`): a literal
 * address here, a resolved one when connecting; a refusal is UPSTREAM_ADDRESS_REFUSED saying why.
 */
export async function httpRequest(ctx: FetchContext, req: HttpRequest): Promise<HttpResponse> {
  const res = await httpRequestBytes(ctx, req);
  return { status: res.status, contentType: res.contentType, body: res.body.toString('utf8') };
}

/** `httpRequest`, with the body as the bytes sent (decoded from gzip, deflate or br), for binary payloads. */
export async function httpRequestBytes(ctx: FetchContext, req: HttpRequest): Promise<HttpBytesResponse> {
  const headers: Record<string, string> = {
    accept: req.accept,
    // Not br: a brotli decoder holds its whole window (up to 16 MiB) however small the body, which is
    // charged to the byte budget; gzip's is 32 KiB. A server that sends br anyway is still decoded.
    'accept-encoding': 'gzip, deflate',
    ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...buildHeaders(ctx),
  };
  let url: URL;
  try {
    url = new URL(req.url);
    if (!/^https?:$/.test(url.protocol)) throw new Error('not http(s)');
  } catch {
    throw new SourceError(
      'UPSTREAM_UNREACHABLE',
      'the source could not be reached',
      `${req.url}: invalid URL`,
    );
  }
  const allowPrivate = ctx.config.allowPrivateAddresses;
  const loopback = isWrittenLoopback(url.hostname);
  const dispatcher = upstreamDispatcher(allowPrivate);
  let current: HttpRequest = req;
  let res: Answer;
  for (let hops = 0; ; hops++) {
    if (ctx.budget.aborted) throw timedOut();
    checkHost(url, allowPrivate, loopback);
    try {
      res = await send(dispatcher, url, current, headers, ctx.budget);
    } catch (error) {
      if (ctx.budget.aborted || (error instanceof SourceError && error.code === 'UPSTREAM_TIMEOUT'))
        throw timedOut();
      const refused = addressRefusalIn(error);
      if (refused) throw notAllowed(refused.refusal, `${url.href}: ${refused.message}`);
      const cause = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new SourceError(
        'UPSTREAM_UNREACHABLE',
        'the source could not be reached',
        `${url.href}: ${cause}`,
      );
    }
    const status = res.status;
    const location = headerText(res.headers.location);
    if (!isRedirect(status) || !location) break;
    const next = URL.canParse(location, url.href) ? new URL(location, url) : null;
    if (!next || !/^https?:$/.test(next.protocol) || hops >= MAX_REDIRECTS) {
      throw new SourceError(
        'UPSTREAM_HTTP_ERROR',
        `the source answered HTTP ${status} with a redirect that cannot be followed`,
        `${url.href} -> ${location}`,
        undefined,
        status,
      );
    }
    if (status === 303 || ((status === 301 || status === 302) && current.method === 'POST')) {
      current = { ...current, method: 'GET', body: undefined };
      delete headers['content-type'];
    }
    url = next;
  }
  const status = res.status;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headerText(res.headers['retry-after']));
    throw new SourceError(
      'UPSTREAM_RATE_LIMITED',
      'the source asked us to slow down (HTTP 429)',
      url.href,
      retryAfterMs,
    );
  }
  if (status < 200 || status >= 300 || !res.body) {
    throw new SourceError(
      'UPSTREAM_HTTP_ERROR',
      `the source answered HTTP ${status}`,
      `${url.href}`,
      undefined,
      status,
    );
  }
  const body = await res.body;
  return { status, contentType: headerText(res.headers['content-type']) ?? '', body };
}

/** The policy refusal behind a connection error, if that is what it is (undici may wrap it). */
function addressRefusalIn(error: unknown): AddressNotAllowedError | null {
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof AddressNotAllowedError) return e;
    if (e instanceof AggregateError) {
      const inner = e.errors.find((x) => x instanceof AddressNotAllowedError) as AddressNotAllowedError;
      if (inner) return inner;
    }
  }
  return null;
}

function headerText(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}
