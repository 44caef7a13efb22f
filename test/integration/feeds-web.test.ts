import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { ApiKeyStore } from '../../src/access/api-keys';
import { embeddedDefault } from '../../src/config/load';
import type { RunningGateway } from '../helpers/gateway';
import { startGateway } from '../helpers/gateway';

/**
 * Feeds as the web expects them (issue 21, item 3): CORS for `access.corsOrigins` on the preflight and on
 * the response, gzip and brotli by Accept-Encoding, and `If-Modified-Since` answered with 304, with the hot
 * path and without.
 */
const NEWSROOM = 'https://newsroom.example';
const FEED = '/feeds/national-latest.json?asAt=2018-01-31';

describe('feeds on the web', () => {
  let gateway: RunningGateway;
  let token: string;

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-feeds-web-'));
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    token = keys.create('journalist', 'journalist test key').token;
    const config = embeddedDefault();
    gateway = await startGateway(
      { ...config, access: { ...config.access, corsOrigins: [NEWSROOM] } },
      { apiKeys: keys, redis: null },
    );
  });
  afterAll(() => gateway.close());

  const get = (headers: Record<string, string> = {}) =>
    fetch(gateway.url + FEED, { headers: { authorization: `Bearer ${token}`, ...headers } });

  test('a preflight from an allowed origin is answered with the methods and headers a page needs', async () => {
    const res = await fetch(gateway.url + FEED, {
      method: 'OPTIONS',
      headers: {
        origin: NEWSROOM,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization, if-none-match',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(NEWSROOM);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET');
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  test('a GET from an allowed origin carries the CORS headers and exposes the caching ones', async () => {
    const res = await get({ origin: NEWSROOM });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(NEWSROOM);
    expect(res.headers.get('access-control-expose-headers')).toBe('etag,last-modified,x-request-id');
    expect(res.headers.get('vary')).toBe('Authorization, Origin, Accept-Encoding');
  });

  test('another origin gets no CORS header (the browser then hides the answer)', async () => {
    const res = await get({ origin: 'https://elsewhere.example' });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('If-Modified-Since at or after Last-Modified is 304; before it, 200; If-None-Match decides when present', async () => {
    const first = await get();
    const lastModified = first.headers.get('last-modified')!;
    await first.text();
    const since = (ms: number) => new Date(Date.parse(lastModified) + ms).toUTCString();

    const same = await get({ 'if-modified-since': lastModified });
    expect(same.status).toBe(304);
    expect(same.headers.get('etag')).toBe(first.headers.get('etag'));
    expect((await get({ 'if-modified-since': since(60_000) })).status).toBe(304);
    const older = await get({ 'if-modified-since': since(-1000) });
    expect(older.status).toBe(200);
    await older.text();
    const unreadable = await get({ 'if-modified-since': 'yesterday' });
    expect(unreadable.status).toBe(200);
    await unreadable.text();
    // A mismatched ETag wins over a date that alone would give 304 (RFC 9110).
    const both = await get({ 'if-none-match': '"other"', 'if-modified-since': lastModified });
    expect(both.status).toBe(200);
    await both.text();
  });

  /** A GET whose body comes back as sent (fetch would decode it), with the client's own Accept-Encoding. */
  const raw = (headers: Record<string, string>) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      http
        .get(gateway.url + FEED, { headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        })
        .on('error', reject);
    });

  test.each([
    ['br', 'gzip, deflate, br', (b: Buffer) => zlib.brotliDecompressSync(b)],
    ['gzip', 'gzip', (b: Buffer) => zlib.gunzipSync(b)],
    ['gzip', 'br;q=0, gzip', (b: Buffer) => zlib.gunzipSync(b)],
    ['br', 'gzip;q=0.5, br;q=0.9', (b: Buffer) => zlib.brotliDecompressSync(b)],
  ])(
    'Accept-Encoding gives %s for "%s": the same bytes, smaller, with their own ETag',
    async (coding, accept, decode) => {
      const plain = await raw({});
      expect(plain.headers['content-encoding']).toBeUndefined();
      const coded = await raw({ 'accept-encoding': accept });
      expect(coded.status).toBe(200);
      expect(coded.headers['content-encoding']).toBe(coding);
      expect(coded.headers['content-type']).toBe(plain.headers['content-type']);
      expect(Number(coded.headers['content-length'])).toBe(coded.body.length);
      expect(coded.body.length).toBeLessThan(plain.body.length / 3);
      expect(decode(coded.body).equals(plain.body)).toBe(true);
      expect(coded.headers.etag).toBe(`${plain.headers.etag!.slice(0, -1)}-${coding}"`);
      expect(coded.headers.vary).toContain('Accept-Encoding');
    },
  );

  test('nothing acceptable but identity, or an unknown coding only, gets the body as it is', async () => {
    const plain = await raw({});
    for (const accept of ['identity', 'compress, zstd', 'br;q=0, gzip;q=0', '']) {
      const res = await raw({ 'accept-encoding': accept });
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.body.equals(plain.body)).toBe(true);
      expect(res.headers.etag).toBe(plain.headers.etag);
    }
  });

  test("a 304 answers any of the body's ETags, whichever coding the client cached, and carries none", async () => {
    const plain = await raw({});
    const gz = await raw({ 'accept-encoding': 'gzip' });
    const crossed = await raw({ 'accept-encoding': 'br', 'if-none-match': gz.headers.etag! });
    expect(crossed.status).toBe(304);
    expect(crossed.body.length).toBe(0);
    expect(crossed.headers['content-encoding']).toBeUndefined();
    expect(crossed.headers.etag).toBe(`${plain.headers.etag!.slice(0, -1)}-br"`);
    expect(
      (await raw({ 'accept-encoding': 'gzip', 'if-none-match': `W/${plain.headers.etag!}` })).status,
    ).toBe(304);
    expect((await raw({ 'if-none-match': `${plain.headers.etag!.slice(0, -1)}-zstd"` })).status).toBe(200);
  });

  test('a refusal is not compressed', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http
        .get(
          gateway.url + '/feeds/national-latest.json?nope=1',
          {
            headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'br, gzip' },
          },
          resolve,
        )
        .on('error', reject),
    );
    res.resume();
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-encoding']).toBeUndefined();
  });
});
