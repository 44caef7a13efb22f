import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore } from '../../src/access/api-keys';
import { embeddedDefault } from '../../src/config/load';
import type { RunningGateway } from '../helpers/gateway';
import { startGateway } from '../helpers/gateway';

/**
 * Feeds as the web expects them (issue 21, item 3, in part): CORS for `access.corsOrigins` on the preflight
 * and on the response, and `If-Modified-Since` answered with 304, with the hot path and without.
 */
const NEWSROOM = 'https://newsroom.example';
const FEED = '/feeds/national-latest.json?asAt=2018-01-31';

describe.each([
  ['with the hot path', true],
  ['through the full path only', false],
])('feeds on the web, %s', (_name, fastLane) => {
  let gateway: RunningGateway;
  let token: string;

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-feeds-web-'));
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    token = keys.create('journalist', 'journalist test key').token;
    const config = embeddedDefault();
    gateway = await startGateway(
      { ...config, access: { ...config.access, corsOrigins: [NEWSROOM] } },
      { apiKeys: keys, redis: null, fastLane },
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
    expect(res.headers.get('vary')).toBe('Authorization, Origin');
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
});
