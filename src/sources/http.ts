import type { IncomingHttpHeaders } from 'node:http';
import zlib from 'node:zlib';
import { Agent } from 'undici';
import { SourceError } from '../errors';
import type { FetchContext } from './fetch-context';
import type { Budget } from './resilience';

/** Largest upstream body read, so a runaway source cannot exhaust memory. */
export const MAX_UPSTREAM_BYTES = 20 * 1024 * 1024;

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

/**
 * One keep-alive dispatcher (undici) shared by every source: a cold fan-out reuses connections between
 * refreshes, and the number open at once is bounded by the gateway's fetch concurrency cap
 * (`upstream.concurrency`).
 */
const DISPATCHER = new Agent();

function timedOut(): SourceError {
  return new SourceError('UPSTREAM_TIMEOUT', 'the source did not answer in time');
}

function tooLarge(): SourceError {
  return new SourceError(
    'UPSTREAM_INVALID_PAYLOAD',
    `the payload is larger than ${MAX_UPSTREAM_BYTES} bytes`,
  );
}

function unreadable(detail: string | undefined): SourceError {
  return new SourceError('UPSTREAM_INVALID_PAYLOAD', 'the payload could not be read', detail);
}

/** A response head; `body` is read only for a final (2xx) answer. */
interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body?: Promise<string>;
}

/** Whether a status is a redirect this client follows (with a Location). */
function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * Sends one request with undici's dispatch API: no streams, no per-request abort-signal listener
 * inside the client, and the request is written as it is dispatched. Resolves at the response head; for a
 * 2xx answer `body` then reads the body (decompressed, bounded). Any other answer's body is read and
 * dropped in the background, which keeps the connection for the next request, as `res.resume()` did.
 * Rejects with the raw error when the request fails before a response head.
 */
function send(url: URL, req: HttpRequest, headers: Record<string, string>, budget: Budget): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    let controller: { abort(reason: Error): void } | null = null;
    let headed = false;
    let settled = false;
    let chunks: Buffer[] | null = null;
    let size = 0;
    let bodyDone: ((text: string) => void) | null = null;
    let bodyFailed: ((error: SourceError) => void) | null = null;
    let encoding = '';
    let done = () => {};
    /** Ends the exchange with `error`: before the head, the request fails; after it, the body does. */
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      done();
      if (!headed) reject(error);
      else bodyFailed?.(error instanceof SourceError ? error : unreadable((error as Error)?.message));
    };
    // Called at once if the budget has already run out.
    done = budget.onAbort(() => {
      controller?.abort(timedOut());
      fail(timedOut());
    });
    if (settled) return;
    DISPATCHER.dispatch(
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
        onResponseStart(_ctl, status, responseHeaders) {
          // 1xx informational heads come first and are not the answer.
          if (status < 200 || settled) return;
          headed = true;
          if (status >= 300 || isRedirect(status)) {
            // Not read: drop the body as it comes, and let the connection go back to the pool.
            settled = true;
            done();
            resolve({ status, headers: responseHeaders });
            return;
          }
          chunks = [];
          encoding = String(responseHeaders['content-encoding'] ?? '')
            .trim()
            .toLowerCase();
          const body = new Promise<string>((resolveBody, rejectBody) => {
            bodyDone = resolveBody;
            bodyFailed = rejectBody;
          });
          resolve({ status, headers: responseHeaders, body });
        },
        onResponseData(ctl, chunk) {
          if (settled || !chunks) return;
          size += chunk.byteLength;
          // Compressed bytes are bounded too; the decoded size is bounded when it is decoded.
          if (size > MAX_UPSTREAM_BYTES) {
            ctl.abort(tooLarge());
            fail(tooLarge());
            return;
          }
          chunks.push(chunk);
        },
        onResponseEnd() {
          if (settled || !chunks) return;
          settled = true;
          done();
          const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
          if (encoding === '' || encoding === 'identity') bodyDone!(raw.toString('utf8'));
          else decode(raw, encoding).then(bodyDone!, bodyFailed!);
        },
        onResponseError(_ctl, error) {
          fail(budget.aborted ? timedOut() : error);
        },
      },
    );
  });
}

/** Decodes a gzip, deflate or br body, bounded by `MAX_UPSTREAM_BYTES` decoded; others pass as they are. */
function decode(raw: Buffer, encoding: string): Promise<string> {
  const options = { maxOutputLength: MAX_UPSTREAM_BYTES };
  const run =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? (cb: (e: Error | null, out: Buffer) => void) => zlib.gunzip(raw, options, cb)
      : encoding === 'deflate'
        ? (cb: (e: Error | null, out: Buffer) => void) => zlib.inflate(raw, options, cb)
        : encoding === 'br'
          ? (cb: (e: Error | null, out: Buffer) => void) => zlib.brotliDecompress(raw, options, cb)
          : null;
  if (!run) return Promise.resolve(raw.toString('utf8'));
  return new Promise((resolve, reject) =>
    run((error, out) => {
      if (!error) resolve(out.toString('utf8'));
      else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') reject(tooLarge());
      else reject(unreadable(error.message));
    }),
  );
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
 * gzip, deflate and br bodies.
 */
export async function httpRequest(ctx: FetchContext, req: HttpRequest): Promise<HttpResponse> {
  const headers: Record<string, string> = {
    accept: req.accept,
    'accept-encoding': 'gzip, deflate, br',
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
  let current: HttpRequest = req;
  let res: Answer;
  for (let hops = 0; ; hops++) {
    if (ctx.budget.aborted) throw timedOut();
    try {
      res = await send(url, current, headers, ctx.budget);
    } catch (error) {
      if (ctx.budget.aborted || (error instanceof SourceError && error.code === 'UPSTREAM_TIMEOUT'))
        throw timedOut();
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

function headerText(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}
