/**
 * Issue 18, item 2: 40 sources at once send oversize bodies and gzip / brotli bombs to a gateway process
 * (`node dist/index.js`, built by `npm test` before jest). Every source reports UPSTREAM_INVALID_PAYLOAD,
 * and the process's peak RSS (VmHWM, read from /proc in the child, so this test's own heap, which holds
 * the bombs, does not count) stays under `RSS_BOUND_BYTES`.
 *
 * The bound, 352 MB: the gateway at rest (about 140 MB, measured) + the shared byte budget (64 MiB) +
 * what the budget does not hold but the process does for a while: failed fetches' chunks until the GC
 * collects them (V8 collects external memory about every 64 MB of growth), undici's socket buffers and
 * allocator slack, with room for a loaded CI machine. Measured on a 2-core machine: 279-283 MB. Before
 * the budget and the streaming decoder, the same drill took the RSS to about 1 GB, and 40 brotli bombs
 * alone (each decoder filling a 16 MiB window) to 786 MB.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { ApiKeyStore } from '../../src/access/api-keys';
import { MAX_UPSTREAM_BYTES } from '../../src/sources/http';

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'dist', 'index.js');
const SOURCES = 40;
const RSS_BOUND_BYTES = 352 * 1024 * 1024;

jest.setTimeout(60_000);

/** The four bodies, by source index modulo 4. */
const BODIES = (() => {
  const oversize = Buffer.alloc(MAX_UPSTREAM_BYTES + 1024 * 1024, 0x20); // 21 MB of JSON whitespace
  const zeros = Buffer.alloc(256 * 1024 * 1024); // 256 MB decoded, a few hundred KB sent
  // Compresses only about 2:1, so that the ratio check does not stop it: the size limits must.
  const hex = Buffer.from(randomBytes(Math.ceil(oversize.byteLength / 2)).toString('hex'));
  return [
    { encoding: 'identity', body: oversize },
    { encoding: 'gzip', body: zlib.gzipSync(zeros, { level: 9 }) },
    {
      encoding: 'br',
      // The largest standard window (16 MiB), so that each decoder may grow its ring buffer that far.
      body: zlib.brotliCompressSync(zeros, {
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4, [zlib.constants.BROTLI_PARAM_LGWIN]: 24 },
      }),
    },
    { encoding: 'gzip', body: zlib.gzipSync(hex, { level: 1 }) },
  ] as const;
})();

let dir: string;
let upstream: http.Server;
let child: ChildProcess | undefined;
let token: string;

beforeAll(async () => {
  if (!fs.existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` first`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-memory-'));
  token = ApiKeyStore.load(path.join(dir, 'keys.json')).create('analyst', 'memory test').token;
  upstream = http.createServer((req, res) => {
    const i = Number(/\/s\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
    const { encoding, body } = BODIES[i % BODIES.length]!;
    res.on('error', () => undefined); // the gateway hangs up once it has seen enough
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(encoding === 'identity' ? {} : { 'content-encoding': encoding }),
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Peak resident set of a process, from /proc (kB in the file). */
function peakRss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)![1]) * 1024;
}

async function graphql<T>(port: number, query: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(30_000),
  });
  return ((await res.json()) as { data: T }).data;
}

it('rejects every oversize and bomb body of 40 sources at once, within a bounded RSS', async () => {
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const sources = Array.from({ length: SOURCES }, (_, i) => ({
    id: `abusive-${i}`,
    kind: 'json',
    location: `${base}/s/${i}`,
    title: `Abusive source ${i}`,
    forces: ['dorset'],
    timeoutMs: 20_000,
    retry: { maxAttempts: 1 },
    mapping: { forceId: 'force', asAt: 'date', unaccounted: 'value' },
  }));
  const configFile = path.join(dir, 'gateway.yaml');
  fs.writeFileSync(configFile, JSON.stringify({ sources }));
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.REDIS_URL;
  delete env.REDIS_CLUSTER_NODES;
  child = spawn(process.execPath, [ENTRY], {
    cwd: ROOT,
    env: {
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      WHEREABOUTS_CONFIG: configFile,
      WHEREABOUTS_KEYS_FILE: path.join(dir, 'keys.json'),
      WHEREABOUTS_ARCHIVE_FILE: path.join(dir, 'archive.sqlite'),
      WHEREABOUTS_WARM_UP: 'off', // the national query below starts all 40 fetches at once
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 20_000;
  let port = 0;
  while (!port) {
    port = Number(/Whereabouts gateway on http:\/\/[^:/]+:(\d+)\/graphql/.exec(out)?.[1] ?? 0);
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`the gateway did not start:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const atRest = peakRss(child.pid!);

  await graphql(port, '{ national(asAt: "2018-01-17") { unaccounted { value } } }');
  const { sources: status } = await graphql<{
    sources: Array<{ id: string; error: { code: string; message: string } | null }>;
  }>(port, '{ sources { id error { code message } } }');
  const peak = peakRss(child.pid!);
  process.stdout.write(
    `upstream-memory: VmHWM at rest ${(atRest / 2 ** 20).toFixed(0)} MB, after 40 abusive sources ${(peak / 2 ** 20).toFixed(0)} MB (bound ${RSS_BOUND_BYTES / 2 ** 20} MB)\n`,
  );

  expect(status).toHaveLength(SOURCES);
  for (const source of status) expect(source.error?.code).toBe('UPSTREAM_INVALID_PAYLOAD');
  const messages = new Set(status.map((s) => s.error!.message.replace(/\d+/g, 'N')));
  // Each limit is met by some source: the per-fetch size, the ratio and (likely) the shared budget.
  expect([...messages].join('\n')).toMatch(/expands more than N times when decompressed/);
  expect([...messages].join('\n')).toMatch(/the payload is larger than N bytes|source payloads at once/);
  expect(peak).toBeLessThan(RSS_BOUND_BYTES);
});
