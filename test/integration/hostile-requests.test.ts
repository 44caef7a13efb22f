import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { ApiKeyStore } from '../../src/access/api-keys';
import { loadApprovedOperations } from '../../src/access/approved-operations';
import { embeddedDefault } from '../../src/config/load';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from '../../src/http/json-guard';
import { createHttpServer, serverTimeoutsFromEnv } from '../../src/http/server';
import type { RunningGateway } from '../helpers/gateway';
import { startGateway } from '../helpers/gateway';
import { logSink } from '../helpers/log-sink';

/**
 * Issue 18, requests: JSON nested too deep on every transport, a malformed persisted-query id, the
 * server's timeouts and body limit against real sockets, and `publishedTotals` without a scope.
 */

const ROLES = ['analyst', 'journalist', 'dashboard', 'operator'] as const;
const nationalLatest = loadApprovedOperations().find((op) => op.name === 'national-latest')!;
/** The JSON error shape every refusal has. */
interface ErrorBody {
  errors: { message: string; extensions: { code: string } }[];
}

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('exceedsJsonDepth', () => {
  test.each([
    ['{}', 1, false],
    ['{"a":[{"b":[]}]}', 4, false],
    ['{"a":[{"b":[]}]}', 3, true],
    ['"[[[[[[[[[[["', 1, false], // brackets inside a string are text
    ['"\\"[[[["', 1, false], // an escaped quote does not end the string
    ['{"a":"\\\\"}[[', 1, true], // an escaped backslash does
    ['not json at all', 1, false],
  ])('%s with at most %i levels: %s', (text, max, expected) => {
    expect(exceedsJsonDepth(text, max)).toBe(expected);
    expect(exceedsJsonDepth(Buffer.from(text), max)).toBe(expected);
  });

  test('is iterative: a million levels are measured without a stack', () => {
    expect(exceedsJsonDepth(nested(1_000_000))).toBe(true);
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH + 1))).toBe(true);
  });
});

describe('hostile requests', () => {
  let gateway: RunningGateway;
  const tokens: Record<string, string> = {};
  const logs = logSink();

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-hostile-'));
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    for (const role of ROLES) tokens[role] = keys.create(role, `${role} test key`).token;
    gateway = await startGateway(embeddedDefault(), {
      apiKeys: keys,
      redis: null,
      logger: logs.logger,
    });
  });
  afterAll(() => gateway.close());

  const post = (role: string, body: string) =>
    fetch(gateway.graphqlUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
      body,
    });

  test.each(ROLES)(
    'variables nested 5,000 deep in a POST body: 400 JSON_TOO_DEEP for %s, raw or approved document',
    async (role) => {
      const deep = nested(5000);
      for (const body of [
        `{"query":"{ __typename }","variables":{"unused":${deep}}}`,
        `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"${nationalLatest.id}"}},"variables":{"x":${deep}}}`,
      ]) {
        const res = await post(role, body);
        expect(res.status).toBe(400);
        expect(await res.json()).toEqual({
          errors: [
            {
              message: `the request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; at most ${MAX_JSON_DEPTH} are accepted`,
              extensions: { code: 'JSON_TOO_DEEP' },
            },
          ],
        });
      }
    },
  );

  test.each(['variables', 'extensions'])(
    'a GET whose %s parameter nests too deep: 400 JSON_TOO_DEEP',
    async (name) => {
      const params = new URLSearchParams({
        extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: nationalLatest.id } }),
      });
      params.set(name, `{"x":${nested(MAX_JSON_DEPTH + 1)}}`);
      for (const role of ROLES) {
        const res = await fetch(`${gateway.graphqlUrl}?${params}`, {
          headers: { authorization: `Bearer ${tokens[role]}` },
        });
        expect({ role, status: res.status }).toEqual({ role, status: 400 });
        expect(((await res.json()) as ErrorBody).errors[0]).toEqual({
          message: `the ${name} parameter nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; at most ${MAX_JSON_DEPTH} are accepted`,
          extensions: { code: 'JSON_TOO_DEEP' },
        });
      }
    },
  );

  test('nesting within the limit is still served', async () => {
    const res = await post('analyst', `{"query":"{ __typename }","variables":{"unused":${nested(20)}}}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ data: { __typename: 'Query' } });
  });

  test.each([5, null, ['sha256:x'], { id: 'x' }])(
    'a persisted-query id that is not a string (%j): 400 BAD_REQUEST for every role, POST and GET',
    async (hash) => {
      const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } });
      for (const role of ROLES) {
        const answers = [
          await post(role, `{"extensions":${extensions}}`),
          await fetch(`${gateway.graphqlUrl}?extensions=${encodeURIComponent(extensions)}`, {
            headers: { authorization: `Bearer ${tokens[role]}` },
          }),
        ];
        for (const res of answers) {
          expect({ role, status: res.status }).toEqual({ role, status: 400 });
          const body = (await res.json()) as ErrorBody;
          expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
          expect(body.errors[0]!.message).toMatch(/sha256Hash is the document id as a string/);
        }
      }
    },
  );

  test('publishedTotals without a scope lists every published total (it answered [] before)', async () => {
    const res = await post(
      'analyst',
      '{"query":"{ all: publishedTotals { scope value } uk: publishedTotals(scope: \\"UK\\") { value } }"}',
    );
    const { data } = (await res.json()) as {
      data: { all: { scope: string; value: number }[]; uk: { value: number }[] };
    };
    expect(data.all.length).toBeGreaterThan(0);
    expect(data.all.length).toBeGreaterThanOrEqual(data.uk.length);
    expect(data.all).toEqual(expect.arrayContaining([expect.objectContaining({ scope: 'UK', value: 485 })]));
  });

  test('a WebSocket message nested too deep closes the socket with 4400 before graphql-ws reads it', async () => {
    const socket = new WebSocket(gateway.graphqlUrl.replace('http', 'ws'), 'graphql-transport-ws', {
      headers: { authorization: `Bearer ${tokens.analyst}` },
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<[number, string]>((resolve) =>
      socket.once('close', (code, reason) => resolve([code, String(reason)])),
    );
    socket.send(`{"type":"connection_init","payload":${nested(5000)}}`);
    expect(await closed).toEqual([
      4400,
      `the message nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; at most ${MAX_JSON_DEPTH} are accepted`,
    ]);
  });

  test('none of the above was logged as an internal error', () => {
    expect(logs.events().filter((e) => e.level >= 50)).toEqual([]);
  });
});

/** Opens a raw socket to `url`'s host and port. */
function connect(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends until it closes the connection, and how long that took (ms). */
function readUntilClosed(socket: net.Socket): Promise<{ text: string; ms: number }> {
  const started = Date.now();
  let text = '';
  socket.on('data', (chunk) => (text += String(chunk)));
  return new Promise((resolve) => socket.once('close', () => resolve({ text, ms: Date.now() - started })));
}

describe('slow and oversized clients, on real sockets', () => {
  let gateway: RunningGateway;
  let token: string;

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-slow-'));
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    token = keys.create('analyst', 'analyst test key').token;
    // Short timeouts so the test is quick; the defaults are 10 s for headers and 15 s for a request.
    const server = createHttpServer({
      headersTimeoutMs: 600,
      requestTimeoutMs: 1200,
      keepAliveTimeoutMs: 500,
    });
    gateway = await startGateway(embeddedDefault(), { apiKeys: keys, redis: null }, server);
  });
  afterAll(() => gateway.close());

  const head = (extra = '') =>
    `POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n${extra}`;

  test('headers sent a byte at a time (slowloris) are cut with 408 JSON after the headers timeout', async () => {
    const socket = await connect(gateway.url);
    const answer = readUntilClosed(socket);
    const line = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ';
    let i = 0;
    const drip = setInterval(() => socket.writable && socket.write(line[i++ % line.length]!), 100);
    const { text, ms } = await answer;
    clearInterval(drip);
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(text).toContain('"code":"REQUEST_TIMEOUT"');
    expect(ms).toBeGreaterThanOrEqual(500);
    expect(ms).toBeLessThan(5000);
  });

  test('a chunked body that stalls after its first chunk is cut with 408 after the request timeout', async () => {
    const socket = await connect(gateway.url);
    const answer = readUntilClosed(socket);
    socket.write(`${head('Transfer-Encoding: chunked\r\n')}\r\n5\r\n{"que\r\n`);
    const { text, ms } = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toContain('"code":"REQUEST_TIMEOUT"');
    expect(ms).toBeLessThan(5000);
  });

  test('a chunked body that passes the limit and never ends gets 413 at once, and the connection closes', async () => {
    const socket = await connect(gateway.url);
    const answer = readUntilClosed(socket);
    const chunk = `{"query":"${'a'.repeat(70_000)}`;
    socket.write(`${head('Transfer-Encoding: chunked\r\n')}\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const { text, ms } = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).toContain('"code":"PAYLOAD_TOO_LARGE"');
    expect(ms).toBeLessThan(600); // well before the request timeout
  });

  test('a declared Content-Length over the limit gets 413 before the body is sent', async () => {
    const socket = await connect(gateway.url);
    const answer = readUntilClosed(socket);
    socket.write(`${head('Content-Length: 100000000\r\n')}\r\n{`);
    const { text, ms } = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(ms).toBeLessThan(600);
  });

  test('a request line and headers over 16 KiB get 431 JSON', async () => {
    const res = await fetch(`${gateway.url}/feeds/national-latest.json?asAt=${'x'.repeat(20_000)}`);
    expect(res.status).toBe(431);
    expect(await res.json()).toEqual({
      errors: [
        {
          message: 'the request line and headers are larger than 16384 bytes',
          extensions: { code: 'HEADERS_TOO_LARGE' },
        },
      ],
    });
  });
});

describe('serverTimeoutsFromEnv', () => {
  test('defaults, and each variable read as whole milliseconds', () => {
    expect(serverTimeoutsFromEnv({})).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 15_000,
      keepAliveTimeoutMs: 5_000,
    });
    expect(
      serverTimeoutsFromEnv({
        WHEREABOUTS_HEADERS_TIMEOUT_MS: '2000',
        WHEREABOUTS_REQUEST_TIMEOUT_MS: '4000',
        WHEREABOUTS_KEEP_ALIVE_TIMEOUT_MS: '61000',
      }),
    ).toEqual({ headersTimeoutMs: 2000, requestTimeoutMs: 4000, keepAliveTimeoutMs: 61_000 });
  });

  test.each([
    [
      { WHEREABOUTS_HEADERS_TIMEOUT_MS: '1.5' },
      'WHEREABOUTS_HEADERS_TIMEOUT_MS must be a whole number of milliseconds above 0; got "1.5"',
    ],
    [
      { WHEREABOUTS_REQUEST_TIMEOUT_MS: '0' },
      'WHEREABOUTS_REQUEST_TIMEOUT_MS must be a whole number of milliseconds above 0; got "0"',
    ],
    [
      { WHEREABOUTS_KEEP_ALIVE_TIMEOUT_MS: '5s' },
      'WHEREABOUTS_KEEP_ALIVE_TIMEOUT_MS must be a whole number of milliseconds above 0; got "5s"',
    ],
    [
      { WHEREABOUTS_HEADERS_TIMEOUT_MS: '20000' },
      'WHEREABOUTS_HEADERS_TIMEOUT_MS (20000) must not be above WHEREABOUTS_REQUEST_TIMEOUT_MS (15000)',
    ],
  ])('refuses %j', (env, message) => {
    expect(() => serverTimeoutsFromEnv(env)).toThrow(message);
  });
});
