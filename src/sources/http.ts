import { SourceError } from '../errors';
import type { FetchContext } from './fetch-context';

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

async function readBounded(res: Response, signal: AbortSignal): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    if (signal.aborted) {
      await reader.cancel().catch(() => undefined);
      throw new SourceError('UPSTREAM_TIMEOUT', 'the source did not answer in time');
    }
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_UPSTREAM_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new SourceError(
        'UPSTREAM_INVALID_PAYLOAD',
        `the payload is larger than ${MAX_UPSTREAM_BYTES} bytes`,
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Sends one request to a source and returns its body, or throws a `SourceError` whose public message
 * carries no URL and no body. 5xx, 429 and network failures are marked retryable by their codes.
 */
export async function httpRequest(ctx: FetchContext, req: HttpRequest): Promise<HttpResponse> {
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: req.method,
      headers: {
        accept: req.accept,
        ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...buildHeaders(ctx),
      },
      body: req.body,
      signal: ctx.signal,
      redirect: 'follow',
    });
  } catch (error) {
    if (ctx.signal.aborted) throw new SourceError('UPSTREAM_TIMEOUT', 'the source did not answer in time');
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new SourceError('UPSTREAM_UNREACHABLE', 'the source could not be reached', `${req.url}: ${cause}`);
  }
  if (res.status === 429) {
    await res.body?.cancel().catch(() => undefined);
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    throw new SourceError(
      'UPSTREAM_RATE_LIMITED',
      'the source asked us to slow down (HTTP 429)',
      req.url,
      retryAfterMs,
    );
  }
  if (res.status < 200 || res.status >= 300) {
    await res.body?.cancel().catch(() => undefined);
    throw new SourceError(
      'UPSTREAM_HTTP_ERROR',
      `the source answered HTTP ${res.status}`,
      `${req.url}`,
      undefined,
      res.status,
    );
  }
  const body = await readBounded(res, ctx.signal);
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body };
}
