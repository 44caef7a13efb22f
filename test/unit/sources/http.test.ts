import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { SourceError } from '../../../src/errors';
import type { FetchContext } from '../../../src/sources/fetch-context';
import { UPSTREAM_BYTE_BUDGET } from '../../../src/sources/byte-budget';
import {
  MAX_DECOMPRESSION_RATIO,
  MAX_REDIRECTS,
  MAX_UPSTREAM_BYTES,
  buildHeaders,
  httpRequest,
  parseRetryAfter,
} from '../../../src/sources/http';
import { Budget, createSourcePolicy } from '../../../src/sources/resilience';
import { sourceConfig } from './shapes/context';

describe('parseRetryAfter', () => {
  const now = Date.parse('2018-01-17T12:00:00Z');

  it('reads delay-seconds as milliseconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP date as the time until it', () => {
    expect(parseRetryAfter('Wed, 17 Jan 2018 12:00:30 GMT', now)).toBe(30_000);
  });

  it('reads an HTTP date already past as no wait', () => {
    expect(parseRetryAfter('Wed, 17 Jan 2018 11:00:00 GMT', now)).toBe(0);
  });

  it.each([null, '', 'soon', 'Wed, 99 Foo'])('gives undefined for %j', (header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });

  // Regression: V8's Date.parse reads "-5" as a date in 2001, so an invalid negative delay meant "retry now".
  it('gives undefined for a negative delay, which RFC 9110 does not allow', () => {
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('buildHeaders', () => {
  it('reads secrets from the environment with their prefix, and literal values as given', () => {
    const config = sourceConfig({
      headers: { authorization: { env: 'FORCE_TOKEN', prefix: 'Bearer ' }, 'x-client': 'whereabouts' },
    });
    const ctx = { config, env: { FORCE_TOKEN: 's3cret' } } as unknown as FetchContext;
    expect(buildHeaders(ctx)).toEqual({ authorization: 'Bearer s3cret', 'x-client': 'whereabouts' });
  });

  it('leaves out a secret header whose variable has gone since start-up', () => {
    const config = sourceConfig({ headers: { authorization: { env: 'FORCE_TOKEN' } } });
    expect(buildHeaders({ config, env: {} } as unknown as FetchContext)).toEqual({});
  });
});

describe('httpRequest against a local upstream', () => {
  type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;
  let handler: Handler;
  let server: http.Server;
  let base: string;
  const requests: Array<{ method: string; headers: http.IncomingHttpHeaders; body: string }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        requests.push({ method: req.method ?? '', headers: req.headers, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    requests.length = 0;
  });

  function ctx(budget: Budget = new Budget(), extra: Parameters<typeof sourceConfig>[0] = {}): FetchContext {
    return {
      config: sourceConfig({ location: `${base}/feed.json`, ...extra }),
      budget,
      baseDir: '.',
      env: { FORCE_TOKEN: 's3cret' },
      remainingMs: () => 1000,
    };
  }

  async function failure(promise: Promise<unknown>): Promise<SourceError> {
    const error = await promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }

  it('returns the body, status and content type, sending Accept and the configured headers', async () => {
    handler = (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('[{"force":"dorset"}]');
    const res = await httpRequest(
      ctx(new Budget(), {
        headers: { authorization: { env: 'FORCE_TOKEN', prefix: 'Bearer ' } },
      }),
      {
        method: 'GET',
        url: `${base}/feed.json`,
        accept: 'application/json',
      },
    );
    expect(res).toEqual({ status: 200, contentType: 'application/json', body: '[{"force":"dorset"}]' });
    expect(requests[0]?.headers).toMatchObject({
      accept: 'application/json',
      authorization: 'Bearer s3cret',
    });
  });

  it('posts a JSON body (for GraphQL sources)', async () => {
    handler = (_req, res, body) => res.writeHead(200).end(body);
    const res = await httpRequest(ctx(), {
      method: 'POST',
      url: `${base}/graphql`,
      accept: 'application/json',
      body: '{"query":"{a}"}',
    });
    expect(res.body).toBe('{"query":"{a}"}');
    expect(requests[0]).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json' } });
  });

  it('follows redirects like fetch did (a 303 continues as GET), at most MAX_REDIRECTS of them', async () => {
    handler = (req, res) => {
      if (req.url === '/graphql') return res.writeHead(303, { location: '/moved' }).end();
      if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${req.method} ${req.url}`);
    };
    const res = await httpRequest(ctx(), {
      method: 'POST',
      url: `${base}/graphql`,
      accept: 'application/json',
      body: '{"query":"{ x }"}',
    });
    expect(res.body).toBe('GET /moved');
    const loop = await failure(httpRequest(ctx(), { method: 'GET', url: `${base}/loop`, accept: '*/*' }));
    expect(loop.code).toBe('UPSTREAM_HTTP_ERROR');
    expect(loop.publicMessage).not.toContain('127.0.0.1');
    expect(requests.filter((r) => r.method === 'GET').length).toBe(1 + 1 + MAX_REDIRECTS);
  });

  it('decodes a gzip body, and counts the size limit on the decoded bytes', async () => {
    handler = (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/csv', 'content-encoding': 'gzip' })
        .end(zlib.gzipSync('force,value\ndorset,7\n'));
    const res = await httpRequest(ctx(), { method: 'GET', url: `${base}/feed.csv`, accept: 'text/csv' });
    expect(res.body).toBe('force,value\ndorset,7\n');
    expect(requests[0]?.headers['accept-encoding']).toMatch(/gzip/);
  });

  it('decodes deflate and br bodies too', async () => {
    for (const [encoding, encode] of [
      ['deflate', zlib.deflateSync],
      ['br', zlib.brotliCompressSync],
    ] as const) {
      handler = (_req, res) =>
        res
          .writeHead(200, { 'content-type': 'text/csv', 'content-encoding': encoding })
          .end(encode(Buffer.from('force,value\ndorset,7\n')));
      const res = await httpRequest(ctx(), { method: 'GET', url: `${base}/feed.csv`, accept: 'text/csv' });
      expect(res.body).toBe('force,value\ndorset,7\n');
    }
  });

  it('refuses a body over MAX_UPSTREAM_BYTES, as sent or once decoded', async () => {
    const big = Buffer.alloc(MAX_UPSTREAM_BYTES + 1, 0x20);
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(big);
    const plain = await failure(httpRequest(ctx(), { method: 'GET', url: `${base}/big`, accept: '*/*' }));
    expect(plain).toMatchObject({ code: 'UPSTREAM_INVALID_PAYLOAD' });
    expect(plain.publicMessage).toBe(`the payload is larger than ${MAX_UPSTREAM_BYTES} bytes`);
    // Text that compresses only about 2:1 (hex), so that the size limit trips, not the ratio limit.
    const hex = Buffer.from(randomBytes(Math.ceil((MAX_UPSTREAM_BYTES + 1) / 2)).toString('hex'));
    const packed = zlib.gzipSync(hex, { level: 1 });
    expect(packed.byteLength).toBeLessThan(MAX_UPSTREAM_BYTES);
    handler = (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(packed);
    const decoded = await failure(httpRequest(ctx(), { method: 'GET', url: `${base}/bomb`, accept: '*/*' }));
    expect(decoded.publicMessage).toBe(`the payload is larger than ${MAX_UPSTREAM_BYTES} bytes`);
  });

  it('stops a compression bomb by its ratio as soon as 1 MB is decoded, whatever its encoding', async () => {
    const zeros = Buffer.alloc(MAX_UPSTREAM_BYTES * 4);
    for (const [encoding, packed] of [
      ['gzip', zlib.gzipSync(zeros)],
      ['deflate', zlib.deflateSync(zeros)],
      ['br', zlib.brotliCompressSync(zeros)],
    ] as const) {
      handler = (_req, res) =>
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': encoding }).end(packed);
      const error = await failure(httpRequest(ctx(), { method: 'GET', url: `${base}/bomb`, accept: '*/*' }));
      expect(error).toMatchObject({ code: 'UPSTREAM_INVALID_PAYLOAD' });
      expect(error.publicMessage).toBe(
        `the payload expands more than ${MAX_DECOMPRESSION_RATIO} times when decompressed (a compression bomb); it was not read`,
      );
    }
    expect(UPSTREAM_BYTE_BUDGET.used).toBe(0);
  });

  it('reads a small body that compresses very well (the ratio is checked only after 1 MB)', async () => {
    const text = 'force,value\n' + 'dorset,7\n'.repeat(50_000);
    handler = (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/csv', 'content-encoding': 'gzip' }).end(zlib.gzipSync(text));
    const res = await httpRequest(ctx(), { method: 'GET', url: `${base}/feed.csv`, accept: 'text/csv' });
    expect(res.body).toBe(text);
    expect(UPSTREAM_BYTE_BUDGET.used).toBe(0);
  });

  it('turns a body cut short (the connection closed mid-body) into UPSTREAM_INVALID_PAYLOAD', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('[{"force":');
      setTimeout(() => res.destroy(), 20);
    };
    const error = await failure(httpRequest(ctx(), { method: 'GET', url: `${base}/cut`, accept: '*/*' }));
    expect(error).toMatchObject({
      code: 'UPSTREAM_INVALID_PAYLOAD',
      publicMessage: 'the payload could not be read',
    });
  });

  it('answers an error status at once, without waiting for its body to end', async () => {
    handler = (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.write('still writing');
    };
    const started = Date.now();
    const error = await failure(httpRequest(ctx(), { method: 'GET', url: `${base}/hang`, accept: '*/*' }));
    expect(error).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstreamStatus: 503 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('turns a body that stops coming into UPSTREAM_TIMEOUT when the budget runs out', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
    };
    const budget = new Budget();
    setTimeout(() => budget.abort(), 50);
    const error = await failure(
      httpRequest(ctx(budget), { method: 'GET', url: `${base}/stalled`, accept: '*/*' }),
    );
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
  });

  it('turns a 429 into UPSTREAM_RATE_LIMITED carrying Retry-After', async () => {
    handler = (_req, res) => res.writeHead(429, { 'retry-after': '2' }).end('slow down');
    const error = await failure(
      httpRequest(ctx(), { method: 'GET', url: `${base}/feed.json`, accept: '*/*' }),
    );
    expect(error).toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', retryAfterMs: 2000, retryable: true });
    expect(error.publicMessage).toBe('the source asked us to slow down (HTTP 429)');
  });

  it('turns an error status into UPSTREAM_HTTP_ERROR whose public message holds no URL and no body', async () => {
    handler = (_req, res) => res.writeHead(503).end('internal stack trace at /srv/app.js');
    const error = await failure(
      httpRequest(ctx(), { method: 'GET', url: `${base}/secret-path`, accept: '*/*' }),
    );
    expect(error).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstreamStatus: 503, retryable: true });
    expect(error.publicMessage).toBe('the source answered HTTP 503');
    expect(error.publicMessage).not.toMatch(/127\.0\.0\.1|secret-path|stack/);
  });

  it('marks a 404 as not worth retrying', async () => {
    handler = (_req, res) => res.writeHead(404).end();
    const error = await failure(httpRequest(ctx(), { method: 'GET', url: `${base}/gone`, accept: '*/*' }));
    expect(error).toMatchObject({ code: 'UPSTREAM_HTTP_ERROR', upstreamStatus: 404, retryable: false });
  });

  it('turns a refused connection into UPSTREAM_UNREACHABLE, keeping the URL out of the public message', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/feed`;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(httpRequest(ctx(), { method: 'GET', url, accept: '*/*' }));
    expect(error).toMatchObject({
      code: 'UPSTREAM_UNREACHABLE',
      publicMessage: 'the source could not be reached',
    });
    expect(error.detail).toContain(url);
  });

  it('turns an aborted request into UPSTREAM_TIMEOUT', async () => {
    handler = () => undefined; // never answers
    const budget = new Budget();
    setTimeout(() => budget.abort(), 50);
    const error = await failure(
      httpRequest(ctx(budget), { method: 'GET', url: `${base}/slow`, accept: '*/*' }),
    );
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
  });

  it('sends nothing for a budget that has already run out', async () => {
    handler = (_req, res) => res.writeHead(200).end('ok');
    const budget = new Budget();
    budget.abort();
    const error = await failure(httpRequest(ctx(budget), { method: 'GET', url: `${base}/x`, accept: '*/*' }));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(requests).toHaveLength(0);
  });

  describe('under the source policy', () => {
    function fetchUnderPolicy(extra: Parameters<typeof sourceConfig>[0]) {
      const config = sourceConfig({ location: `${base}/feed.json`, ...extra });
      const policy = createSourcePolicy(config);
      return policy.execute((budget, remainingMs) =>
        httpRequest(
          { config, budget, baseDir: '.', env: {}, remainingMs },
          { method: 'GET', url: config.location, accept: '*/*' },
        ),
      );
    }

    it('retries a 503 until the upstream recovers', async () => {
      let n = 0;
      handler = (_req, res) => (++n < 3 ? res.writeHead(503).end() : res.writeHead(200).end('ok'));
      const res = await fetchUnderPolicy({
        timeoutMs: 1000,
        retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
      });
      expect(res.body).toBe('ok');
      expect(requests).toHaveLength(3);
    });

    it('honours Retry-After: 0 and tries again', async () => {
      let n = 0;
      handler = (_req, res) =>
        ++n < 2 ? res.writeHead(429, { 'retry-after': '0' }).end() : res.writeHead(200).end('ok');
      await expect(fetchUnderPolicy({ timeoutMs: 1000 })).resolves.toMatchObject({ body: 'ok' });
      expect(requests).toHaveLength(2);
    });

    it('does not wait out a Retry-After longer than the budget', async () => {
      handler = (_req, res) => res.writeHead(429, { 'retry-after': '60' }).end();
      const error = await failure(fetchUnderPolicy({ timeoutMs: 300 }));
      expect(error.code).toBe('UPSTREAM_RATE_LIMITED');
      expect(requests).toHaveLength(1);
    });

    it('aborts an upstream that does not answer within timeoutMs', async () => {
      handler = () => undefined;
      const started = Date.now();
      const error = await failure(fetchUnderPolicy({ timeoutMs: 80 }));
      expect(error).toMatchObject({
        code: 'UPSTREAM_TIMEOUT',
        publicMessage: 'the source did not answer within 80 ms',
      });
      expect(Date.now() - started).toBeLessThan(500);
    });
  });
});
