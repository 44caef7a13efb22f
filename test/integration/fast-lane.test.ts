import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore } from '../../src/access/api-keys';
import { loadApprovedOperations } from '../../src/access/approved-operations';
import { embeddedDefault } from '../../src/config/load';
import type { RunningGateway } from '../helpers/gateway';
import { startGateway } from '../helpers/gateway';
import { TestClock } from '../helpers/clock';
import { logSink } from '../helpers/log-sink';

/**
 * The hot path (src/http/fast-lane.ts) must answer exactly as the full path (express + Apollo) does: the
 * same statuses, headers and bodies for every kind of request, successes and refusals alike, for every
 * role. Two gateways on the same data, one with the hot path and one without, are asked the same things.
 */

const nationalLatest = loadApprovedOperations().find((op) => op.name === 'national-latest')!;
const sourcesStatus = loadApprovedOperations().find((op) => op.name === 'sources-status')!;
const pq = (sha256Hash: string) =>
  encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash } }));

/** What may differ between two gateways: request ids, dates, fetch times and what derives from them. */
function normalise(text: string): string {
  return text
    .replace(/"retrievedAt":"[^"]*"/g, '"retrievedAt":"T"')
    .replace(/"ageSeconds":\d+/g, '"ageSeconds":0')
    .replace(/"snapshot":"(HIT|BUILT)"/g, '"snapshot":"S"')
    .replace(/"tiers":\{[^}]*\}/g, '"tiers":{}');
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function ask(base: string, req: Case, token: string | undefined): Promise<Answer> {
  const sent = token ? { ...req.headers, authorization: `Bearer ${token}` } : req.headers;
  const res = await fetch(base + req.path, { method: req.method, headers: sent, body: req.body });
  const body = await res.text();
  const headers: Record<string, string> = {};
  for (const [name, value] of res.headers) {
    if (['date', 'x-request-id', 'keep-alive', 'connection', 'etag', 'last-modified'].includes(name))
      continue;
    headers[name] = value;
  }
  return { status: res.status, headers, body: normalise(body) };
}

interface Case {
  name: string;
  /** The role whose key is sent; none for an anonymous request. */
  role?: string;
  /** The status both paths must give. */
  status: number;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

describe('the hot path answers exactly as the full path does', () => {
  let dir: string;
  let keys: ApiKeyStore;
  let fast: RunningGateway;
  let full: RunningGateway;
  const logs = logSink();
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-fast-'));
    keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    for (const role of ['analyst', 'journalist', 'dashboard', 'operator'] as const)
      tokens[role] = keys.create(role, `${role} test key`).token;
    fast = await startGateway(embeddedDefault(), { apiKeys: keys, redis: null, logger: logs.logger });
    full = await startGateway(embeddedDefault(), { apiKeys: keys, redis: null, fastLane: false });
  });
  afterAll(async () => {
    await fast.close();
    await full.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Keys are made in beforeAll, after the cases are listed: each case names its role instead.
  const json = (role: string, extra: Record<string, string> = {}) => ({
    role,
    headers: { 'content-type': 'application/json', ...extra },
  });
  const cases = (): Case[] => [
    {
      name: 'analyst ad-hoc query',
      status: 200,
      method: 'POST',
      path: '/graphql',
      ...json('analyst'),
      body: JSON.stringify({
        query:
          '{ national(asAt: "2018-01-31") { unaccounted { value } forces { force { id } figure { value ageSeconds freshness } } } }',
      }),
    },
    {
      name: 'analyst named query with variables, graphql-response+json',
      status: 200,
      method: 'POST',
      path: '/graphql',
      ...json('analyst', { accept: 'application/graphql-response+json' }),
      body: JSON.stringify({
        query: 'query Q($d: Date) { national(asAt: $d) { name coverage { reporting } } }',
        variables: { d: '2018-01-31' },
        operationName: 'Q',
      }),
    },
    {
      name: 'analyst query without figures',
      status: 200,
      method: 'POST',
      path: '/graphql',
      ...json('analyst'),
      body: JSON.stringify({ query: '{ forces { id name } }' }),
    },
    {
      name: 'analyst invalid date',
      status: 400,
      method: 'POST',
      path: '/graphql',
      ...json('analyst'),
      body: JSON.stringify({ query: '{ national(asAt: "2018-02-31") { name } }' }),
    },
    {
      name: 'analyst bad variable',
      status: 400,
      method: 'POST',
      path: '/graphql',
      ...json('analyst'),
      body: JSON.stringify({
        query: 'query Q($w: Int) { national(windowDays: $w) { name } }',
        variables: { w: 'x' },
      }),
    },
    {
      name: 'analyst unknown field',
      status: 400,
      method: 'POST',
      path: '/graphql',
      ...json('analyst'),
      body: JSON.stringify({ query: '{ nope }' }),
    },
    {
      name: 'malformed JSON',
      status: 400,
      method: 'POST',
      path: '/graphql',
      ...json('analyst'),
      body: '{bad',
    },
    {
      name: 'batched request',
      status: 400,
      method: 'POST',
      path: '/graphql',
      ...json('analyst'),
      body: JSON.stringify([{ query: '{ forces { id } }' }]),
    },
    {
      name: 'analyst introspection',
      status: 200,
      method: 'POST',
      path: '/graphql',
      ...json('analyst'),
      body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
    },
    {
      name: 'journalist raw query (refused)',
      status: 403,
      method: 'POST',
      path: '/graphql',
      ...json('journalist'),
      body: JSON.stringify({ query: '{ forces { id } }' }),
    },
    {
      name: 'journalist approved operation by id over POST',
      status: 200,
      method: 'POST',
      path: '/graphql',
      ...json('journalist'),
      body: JSON.stringify({
        extensions: { persistedQuery: { version: 1, sha256Hash: nationalLatest.sha256 } },
        variables: { asAt: '2018-01-31' },
      }),
    },
    {
      name: 'journalist operation not approved for the role',
      status: 403,
      method: 'POST',
      path: '/graphql',
      ...json('journalist'),
      body: JSON.stringify({
        extensions: { persistedQuery: { version: 1, sha256Hash: sourcesStatus.sha256 } },
      }),
    },
    {
      name: 'dashboard approved operation by id over GET',
      status: 200,
      method: 'GET',
      path: `/graphql?extensions=${pq(nationalLatest.sha256)}`,
      role: 'dashboard',
      headers: { 'apollo-require-preflight': 'true' },
    },
    {
      // Its bearer header needs a CORS preflight from any browser, as Apollo's own headers do (csrf.ts).
      name: 'dashboard GET with a bearer key and no Apollo CSRF header (urql, graphql-request)',
      status: 200,
      method: 'GET',
      path: `/graphql?extensions=${pq(nationalLatest.sha256)}`,
      role: 'dashboard',
      headers: {},
    },
    {
      name: 'unknown document id',
      status: 404,
      method: 'GET',
      path: `/graphql?extensions=${pq('0'.repeat(64))}`,
      role: 'journalist',
      headers: { 'apollo-require-preflight': 'true' },
    },
    {
      name: 'no key',
      status: 401,
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ forces { id } }' }),
    },
    {
      name: 'journalist feed, JSON',
      status: 200,
      method: 'GET',
      path: '/feeds/national-latest.json?asAt=2018-01-31',
      role: 'journalist',
      headers: {},
    },
    {
      name: 'journalist feed, CSV',
      status: 200,
      method: 'GET',
      path: '/feeds/national-latest.csv?asAt=2018-01-31',
      role: 'journalist',
      headers: {},
    },
    {
      name: 'feed with an impossible date',
      status: 400,
      method: 'GET',
      path: '/feeds/national-latest.json?asAt=2018-13-01',
      role: 'journalist',
      headers: {},
    },
    {
      name: 'feed with an unknown parameter',
      status: 400,
      method: 'GET',
      path: '/feeds/national-latest.json?bogus=1',
      role: 'journalist',
      headers: {},
    },
    {
      name: 'feed not approved for the role',
      status: 403,
      method: 'GET',
      path: '/feeds/sources-status.json',
      role: 'journalist',
      headers: {},
    },
  ];

  test.each(cases().map((c) => [c.name, c] as const))('%s', async (_name, req) => {
    const token = req.role ? tokens[req.role] : undefined;
    const [a, b] = [await ask(fast.url, req, token), await ask(full.url, req, token)];
    expect(a.status).toBe(req.status);
    expect(a).toEqual(b);
  });

  test('the hot path did answer the successes it is for, and handed the rest on', () => {
    const answered = logs
      .events()
      .filter((e) => e.event === 'audit')
      .map((e) => `${e.lane} ${e.status} ${e.operation}`);
    expect(answered).toEqual(
      expect.arrayContaining([
        'fast 200 (anonymous)',
        'fast 200 Q',
        'fast 200 national-latest',
        'fast 200 feed:national-latest',
        'full 400 null',
        'full 403 null',
        'full 401 null',
      ]),
    );
    // The hot path answers successes, and the one error it must (a body that is not JSON, once read).
    expect(answered.filter((l) => l.startsWith('fast') && !/ (200|304) /.test(l))).toEqual(['fast 400 null']);
  });

  test('a repeated feed request is revalidated with its ETag (304 from the hot path)', async () => {
    const url = `${fast.url}/feeds/national-latest.json?asAt=2018-01-31`;
    const headers = { authorization: `Bearer ${tokens.journalist}` };
    const first = await fetch(url, { headers });
    const etag = first.headers.get('etag')!;
    await first.text();
    const again = await fetch(url, { headers: { ...headers, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
    // The same headers as the full path's 304 (its own request id and ETag aside), and no body length.
    const fullUrl = url.replace(fast.url, full.url);
    const fullFirst = await fetch(fullUrl, { headers });
    await fullFirst.text();
    const fromFull = await fetch(fullUrl, {
      headers: { ...headers, 'if-none-match': fullFirst.headers.get('etag')! },
    });
    expect(fromFull.status).toBe(304);
    // Last-Modified is each gateway's own newest fetch: the two instances fetched their sources at
    // different moments, a second boundary apart in some runs, so it is compared by presence only.
    const comparable = (res: Response) =>
      Object.fromEntries(
        [...res.headers].filter(
          ([name]) =>
            !['date', 'x-request-id', 'keep-alive', 'connection', 'etag', 'last-modified'].includes(name),
        ),
      );
    expect(comparable(again)).toEqual(comparable(fromFull));
    for (const res of [again, fromFull]) {
      expect(Date.parse(res.headers.get('last-modified') ?? '')).toBeLessThanOrEqual(Date.now());
    }
    expect(comparable(again)).toEqual(
      expect.objectContaining({
        vary: 'Authorization, Origin, Accept-Encoding',
        'cache-control': expect.stringMatching(/^private, /),
      }),
    );
    expect(again.headers.get('content-length')).toBeNull();
    expect(again.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('pre-serialized responses follow the clock and the data', () => {
  test('ages are at most a second behind, and a new generation is never answered from old bytes', async () => {
    const clock = new TestClock(Date.parse('2026-11-22T12:00:00Z'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-fast-'));
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    const token = keys.create('journalist', 'clock test').token;
    const gateway = await startGateway(embeddedDefault(), { apiKeys: keys, redis: null, now: clock.now });
    try {
      const ages = async () => {
        const res = await fetch(
          `${gateway.url}/graphql?extensions=${pq(nationalLatest.sha256)}&variables=${encodeURIComponent('{"asAt":"2018-01-31"}')}`,
          {
            headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
          },
        );
        const body = (await res.json()) as any;
        return body.data.national.forces
          .map((f: any) => f.figure?.ageSeconds)
          .filter((a: unknown) => a !== undefined);
      };
      const first = await ages();
      clock.advance(400);
      expect(await ages()).toEqual(first); // the same bytes, within the second
      clock.advance(1_600);
      const later = await ages();
      expect(later.length).toBe(first.length);
      expect(later.every((age: number, i: number) => age === first[i] + 2)).toBe(true);
    } finally {
      await gateway.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
