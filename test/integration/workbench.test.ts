/**
 * The workbench over real HTTP on 127.0.0.1 (issue 23, item 2): the page under its Content-Security-Policy
 * and `no-store`, its bundled assets under content-hashed names (a year's immutable caching, gzip when
 * asked, nothing else in the folder reachable), the list of approved operations, what a key may do
 * (`key.json`, from the access policy), and the browser's `GET /graphql` sent to the page while every API
 * client's `GET /graphql` is answered exactly as before. The bundle is built first if it is not (it is
 * after `npm run build`).
 */
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import express from 'express';
import { loadApprovedOperations } from '../../src/access/approved-operations';
import type { WorkbenchManifest } from '../../src/http/workbench/bundle';
import { HASHED_NAME, WORKBENCH_DIST_DIR, readWorkbenchManifest } from '../../src/http/workbench/bundle';
import { buildWorkbench } from '../../src/http/workbench/build';
import type { KeyAbilities, WorkbenchOperation } from '../../src/http/workbench/router';
import { IMMUTABLE, NOT_BUILT, opensWorkbench, workbenchRouter } from '../../src/http/workbench/router';
import type { KeyedGateway } from '../helpers/keyed-gateway';
import { startKeyedGateway } from '../helpers/keyed-gateway';

jest.setTimeout(60_000);

/** What Chromium sends when an address is typed in. */
const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8';

let keyed: KeyedGateway;
let url: string;
let manifest: WorkbenchManifest;

beforeAll(async () => {
  try {
    manifest = readWorkbenchManifest();
  } catch {
    manifest = (await buildWorkbench()).manifest;
  }
  keyed = await startKeyedGateway();
  url = keyed.gateway.url;
});
afterAll(() => keyed?.close());

/** A GET with node:http, which neither follows redirects nor decodes bodies: what the server sent. */
function get(
  pathAndQuery: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${pathAndQuery}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const bearer = (role: keyof KeyedGateway['tokens']) => ({ authorization: `Bearer ${keyed.tokens[role]}` });

describe('the page', () => {
  test('is HTML under the workbench CSP, with a fresh nonce each time and never cached', async () => {
    const first = await get('/workbench', { accept: BROWSER_ACCEPT });
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.headers['x-content-type-options']).toBe('nosniff');
    expect(first.headers['x-frame-options']).toBe('DENY');
    const html = first.body.toString('utf8');
    const nonce = /<meta property="csp-nonce" nonce="([A-Za-z0-9+/]{22}==)" \/>/.exec(html)?.[1];
    expect(nonce).toBeDefined();
    expect(first.headers['content-security-policy']).toBe(
      [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        `style-src-elem 'self' 'nonce-${nonce}'`,
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
    );
    const second = (await get('/workbench')).body.toString('utf8');
    expect(/nonce="([^"]+)"/.exec(second)?.[1]).not.toBe(nonce);
    // `/workbench/` is the same page.
    expect((await get('/workbench/')).status).toBe(200);
  });

  test('loads its hashed script and stylesheet from here, and nothing from any other origin', async () => {
    const html = (await get('/workbench')).body.toString('utf8');
    expect(html).toContain(`<script src="/workbench/assets/${manifest.script}" defer></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="/workbench/assets/${manifest.stylesheet}" />`);
    expect(html).not.toMatch(/(https?:)?\/\/[a-z]/i);
    expect(html).not.toMatch(/style="|<style|\son[a-z]+="/);
    // One script, and it is ours: nothing inline.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toMatch(/<script src="[^"]+" defer><\/script>/);
  });
});

describe('the assets', () => {
  test('every file the manifest lists has a hashed name that resolves, is cached for a year and is the built bytes', async () => {
    const names = Object.keys(manifest.files);
    // The script, the stylesheet, three workers and the fonts.
    expect(names).toEqual(
      expect.arrayContaining([manifest.script, manifest.stylesheet, ...Object.values(manifest.workers)]),
    );
    expect(Object.keys(manifest.workers).sort()).toEqual(['editor', 'graphql', 'json']);
    for (const name of names) {
      expect(name).toMatch(HASHED_NAME);
      const res = await get(`/workbench/assets/${name}`);
      const built = fs.readFileSync(path.join(WORKBENCH_DIST_DIR, name));
      expect([name, res.status]).toEqual([name, 200]);
      expect([name, res.headers['content-type']]).toEqual([name, manifest.files[name]!.contentType]);
      expect(res.headers['cache-control']).toBe(IMMUTABLE);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      // Without Accept-Encoding: the bytes as built.
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.body.equals(built)).toBe(true);
    }
    expect(manifest.files[manifest.script]!.contentType).toBe('text/javascript; charset=utf-8');
    expect(manifest.files[manifest.stylesheet]!.contentType).toBe('text/css; charset=utf-8');
  });

  test('a client that accepts gzip gets the script gzipped, the same bytes once decoded', async () => {
    const res = await get(`/workbench/assets/${manifest.script}`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(res.body.length).toBe(manifest.files[manifest.script]!.gzipBytes);
    expect(
      zlib.gunzipSync(res.body).equals(fs.readFileSync(path.join(WORKBENCH_DIST_DIR, manifest.script))),
    ).toBe(true);
    // A font compressed already has no gzip form: sent as it is.
    const font = Object.keys(manifest.files).find((n) => n.endsWith('.woff2'))!;
    const fontRes = await get(`/workbench/assets/${font}`, { 'accept-encoding': 'gzip' });
    expect(fontRes.headers['content-encoding']).toBeUndefined();
    expect(fontRes.headers['content-type']).toBe('font/woff2');
  });

  test('the stylesheet loads fonts from here only: no data: font, no @import, no other origin', async () => {
    const css = (await get(`/workbench/assets/${manifest.stylesheet}`)).body.toString('utf8');
    expect(css).not.toMatch(/@import/);
    expect(css).not.toMatch(/url\((["']?)data:font/);
    expect(css).not.toMatch(/url\((["']?)(https?:)?\/\//);
    const urls = [...css.matchAll(/url\((["']?)\.\/([^"')]+)\1\)/g)].map((m) => m[2]!);
    expect(urls.length).toBeGreaterThan(0);
    for (const name of urls) expect([name, manifest.files[name] !== undefined]).toEqual([name, true]);
  });

  test.each([
    ['an unknown hashed name', '/workbench/assets/workbench.0000000000000000.js'],
    ['the manifest', '/workbench/assets/manifest.json'],
    ['a gzip form by its own name', `/workbench/assets/PLACEHOLDER.gz`],
    ['a climb out of the folder', '/workbench/assets/..%2fmanifest.json'],
    ['a climb to the package', '/workbench/assets/..%2f..%2fpackage.json'],
    ['a file beside the folder', '/workbench/manifest.json'],
  ])('%s is not found', async (_what, target) => {
    const res = await get(target.replace('PLACEHOLDER', manifest.script));
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  });
});

describe('what the page reads', () => {
  test('operations.json lists every approved operation with its document id, text and variables', async () => {
    const res = await get('/workbench/operations.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const { operations } = JSON.parse(res.body.toString('utf8')) as { operations: WorkbenchOperation[] };
    const approved = loadApprovedOperations();
    expect(operations.map((op) => [op.name, op.sha256, op.document])).toEqual(
      approved.map((op) => [op.name, op.sha256, op.document]),
    );
    const latest = operations.find((op) => op.name === 'national-latest')!;
    expect(latest).toMatchObject({
      operationName: 'NationalLatest',
      kind: 'query',
      variables: [
        { name: 'asAt', type: 'Date', required: false },
        { name: 'windowDays', type: 'Int', required: false },
      ],
    });
    expect(operations.find((op) => op.name === 'figures-changed')!.kind).toBe('subscription');
  });

  test('key.json says what a key may do, as the access policy says; without a valid key it is 401', async () => {
    const read = async (headers: Record<string, string>) => {
      const res = await get('/workbench/key.json', headers);
      return { status: res.status, body: JSON.parse(res.body.toString('utf8')) as KeyAbilities };
    };
    const everything = loadApprovedOperations().map((op) => op.name);
    expect(await read(bearer('analyst'))).toEqual({
      status: 200,
      body: { role: 'analyst', ownQueries: true, introspection: true, operations: everything },
    });
    expect(await read(bearer('journalist'))).toEqual({
      status: 200,
      body: {
        role: 'journalist',
        ownQueries: false,
        introspection: false,
        operations: everything.filter((name) => name !== 'sources-status'),
      },
    });
    expect((await read(bearer('dashboard'))).body).toMatchObject({
      ownQueries: false,
      operations: everything,
    });
    expect((await read(bearer('operator'))).body).toMatchObject({ ownQueries: true, introspection: true });
    const none = await get('/workbench/key.json');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect((await get('/workbench/key.json', { authorization: 'Bearer wa_000000000000_nope' })).status).toBe(
      401,
    );
  });
});

describe('GET /graphql', () => {
  test('a browser opening it is sent to the workbench (303), with or without a key', async () => {
    for (const headers of [{ accept: BROWSER_ACCEPT }, { accept: BROWSER_ACCEPT, ...bearer('analyst') }]) {
      const res = await get('/graphql', headers);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/workbench');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.vary).toMatch(/accept/i);
    }
    expect((await get('/graphql?', { accept: 'text/html' })).status).toBe(303);
  });

  // The answers the API gave before the workbench existed (each the route's own: 401 without a key,
  // Apollo's 400 for a GET that asks nothing, 406 for an Accept it cannot meet).
  test.each([
    ['no key and no Accept', {}, '/graphql', 401],
    ['no key, Accept */*', { accept: '*/*' }, '/graphql', 401],
    ['no key, Accept application/json', { accept: 'application/json' }, '/graphql', 401],
    [
      'a key, Accept application/json, no query',
      { accept: 'application/json', analyst: '' },
      '/graphql',
      400,
    ],
    ['a key, Accept */*, no query', { accept: '*/*', analyst: '' }, '/graphql', 400],
    [
      'a key, a query and the preflight header',
      { accept: 'application/graphql-response+json', analyst: '', 'apollo-require-preflight': 'true' },
      `/graphql?query=${encodeURIComponent('{ __typename }')}`,
      200,
    ],
    [
      'a browser-like Accept with a query string',
      { accept: BROWSER_ACCEPT, analyst: '', 'apollo-require-preflight': 'true' },
      `/graphql?query=${encodeURIComponent('{ __typename }')}`,
      200,
    ],
    [
      'a browser-like Accept with a query string, without a key',
      { accept: BROWSER_ACCEPT },
      `/graphql?query=${encodeURIComponent('{ __typename }')}`,
      401,
    ],
    [
      'Accept text/html only with a query string',
      { accept: 'text/html', analyst: '' },
      `/graphql?query=${encodeURIComponent('{ __typename }')}`,
      406,
    ],
  ] as const)(
    'an API client (%s) gets the API answer, never a redirect',
    async (_what, given, target, status) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(given)) {
        if (name === 'analyst') Object.assign(headers, bearer('analyst'));
        else headers[name] = value;
      }
      const res = await get(target, headers);
      expect(res.status).toBe(status);
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['content-type']).toMatch(/^application\/(graphql-response\+)?json; charset=utf-8$/);
      if (status === 200)
        expect(JSON.parse(res.body.toString('utf8'))).toEqual({ data: { __typename: 'Query' } });
    },
  );

  test('POST and HEAD are the API’s whatever they accept', async () => {
    const post = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { accept: BROWSER_ACCEPT, 'content-type': 'application/json', ...bearer('analyst') },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.status).toBe(200);
    expect(await post.json()).toEqual({ data: { __typename: 'Query' } });
    const head = await get('/graphql', { accept: BROWSER_ACCEPT }, 'HEAD');
    expect(head.status).toBe(401);
  });

  test('opensWorkbench: only a GET of /graphql itself that prefers HTML', () => {
    const req = (method: string, reqUrl: string, accept?: string) =>
      ({ method, url: reqUrl, headers: accept === undefined ? {} : { accept } }) as http.IncomingMessage;
    expect(opensWorkbench(req('GET', '/graphql', BROWSER_ACCEPT))).toBe(true);
    expect(opensWorkbench(req('GET', '/graphql', 'text/html'))).toBe(true);
    expect(opensWorkbench(req('GET', '/graphql', 'application/json, text/html'))).toBe(false);
    expect(opensWorkbench(req('GET', '/graphql', 'text/html;q=0.5, application/json'))).toBe(false);
    expect(opensWorkbench(req('GET', '/graphql', '*/*'))).toBe(false);
    expect(opensWorkbench(req('GET', '/graphql'))).toBe(false);
    expect(opensWorkbench(req('GET', '/graphql?query=%7B__typename%7D', BROWSER_ACCEPT))).toBe(false);
    expect(opensWorkbench(req('POST', '/graphql', BROWSER_ACCEPT))).toBe(false);
    expect(opensWorkbench(req('HEAD', '/graphql', BROWSER_ACCEPT))).toBe(false);
  });
});

test('a server whose workbench is not built says so (503), without a path, and tells its log', async () => {
  const told: string[] = [];
  const app = express();
  // The gate is asked only by key.json, which this test does not request.
  app.use(
    workbenchRouter(
      {
        gate: null as never,
        dir: path.join(WORKBENCH_DIST_DIR, 'no-such-folder'),
        onNotBuilt: (e) => told.push(e.message),
      },
      [],
    ),
  );
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/workbench`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      errors: [{ message: NOT_BUILT, extensions: { code: 'SERVICE_UNAVAILABLE' } }],
    });
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/no-such-folder.*run npm run build/);
  } finally {
    server.close();
  }
});
