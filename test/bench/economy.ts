/**
 * Upstream economy under a cold stampede: `npm run bench:economy` (not part of `npm test`).
 *
 * One Redis, the 45-force simulator (latency 50-200 ms per feed request), and 3 gateway processes
 * (`node dist/index.js`, warm-up off) sharing that Redis. 1,000 national queries are fired at once,
 * round-robin across the instances, while every cache is empty. Goal: exactly one upstream request per
 * source across all instances, and no errors. The last line is machine-readable:
 *
 *   upstream_requests=N sources=S errors=E p50_ms=X p99_ms=Y
 *
 * Each gateway is started with the preload loop-stalls.js, which reports at exit how long its event loop
 * was blocked (the Redis client's 200 ms command timeout cannot be met through a longer stall).
 *
 * Diagnostics: BENCH_QUERIES overrides the number of queries (default 1000); BENCH_GATEWAY_LOG_LEVEL
 * (default warn) sets the gateways' LOG_LEVEL; BENCH_LOG_DIR, when set, keeps each gateway's output there
 * as gateway-<n>.log. Setup progress (ports) goes to stderr; the report goes to stdout.
 *
 * Exits non-zero only when the setup fails (a missed goal is a result, not a failure). Every child
 * process is stopped on the way out, also on errors and SIGINT/SIGTERM.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ApiKeyStore } from '../../src/access/api-keys';
import { createSimulator } from '../../src/simulator';
import type { Simulator } from '../../src/simulator';
import { freePort } from '../helpers/redis';
import { exited, gatewayEnv, loopbackRequest, percentile, sleep, stopChild } from './support';

const INSTANCES = 3;
/** 1,000 per the issue; BENCH_QUERIES overrides it for diagnosis (e.g. how load changes the result). */
const QUERIES = Number(process.env.BENCH_QUERIES ?? 1000);
const LATENCY_MS: [number, number] = [50, 200];
const FORCES = 45;
const REQUEST_TIMEOUT_MS = 30_000;
const STARTUP_TIMEOUT_MS = 30_000;
/** Hard stop for the whole run: whatever happens, nothing outlives this. */
const OVERALL_TIMEOUT_MS = 180_000;
/** After the last answer, how long to wait for stray upstream requests before counting them. */
const SETTLE_MS = 500;

const NATIONAL_QUERY = '{ national { unaccounted { value } coverage { forces reporting unavailable } } }';

const ROOT = path.resolve(__dirname, '..', '..');
const GATEWAY_ENTRY = path.join(ROOT, 'dist', 'index.js');
const LOOP_STALLS = path.join(__dirname, 'loop-stalls.js');
const run = promisify(execFile);

class SetupError extends Error {}

// ---------------------------------------------------------------------------------------------------
// Processes we own, and their cleanup
// ---------------------------------------------------------------------------------------------------

const children: ChildProcess[] = [];
let redisProcess: ChildProcess | null = null;
let simulator: Simulator | null = null;
let tempDir: string | null = null;
let cleaning: Promise<void> | null = null;
/** Set on SIGINT/SIGTERM: what fails after it is the interruption, not the setup. */
let interrupted = false;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    // Gateways first (they hold Redis connections), then Redis, then the simulator.
    const gateways = children.filter((c) => c !== redisProcess);
    await Promise.all(gateways.map((c) => stopChild(c)));
    if (redisProcess) await stopChild(redisProcess);
    await simulator?.close().catch(() => undefined);
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  })();
  return cleaning;
}

// Last resort when the process exits some other way: no child may outlive the benchmark.
process.on('exit', () => {
  for (const child of children) if (!exited(child)) child.kill('SIGKILL');
  if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    process.stderr.write(`bench:economy: ${signal}, cleaning up\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------------

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 5000,
  });
  return stdout.trim();
}

async function startRedis(dir: string): Promise<number> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  redisProcess = child;
  children.push(child);
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (e) => reject(new SetupError(`cannot start redis-server: ${e.message}`)));
    child.once('exit', (code) => reject(new SetupError(`redis-server exited early (code ${code})`)));
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const pong = await Promise.race([redisCli(port, 'PING').catch(() => ''), failed]);
    if (pong === 'PONG') return port;
    await sleep(50);
  }
  throw new SetupError(`redis-server on port ${port} did not answer PING within 10 s`);
}

// ---------------------------------------------------------------------------------------------------
// Gateways
// ---------------------------------------------------------------------------------------------------

interface Gateway {
  readonly index: number;
  readonly child: ChildProcess;
  readonly port: number;
  readonly sources: number;
  readonly forces: number;
  /** The tail of its stdout and stderr, for diagnosis. */
  output(): string;
}

/** API keys of this run (a keys file in the temp dir): the queries run as an analyst, /metrics as an operator. */
const benchKeys = { analyst: '', operator: '', file: '' };

function startGateway(index: number, configFile: string, redisUrl: string): Promise<Gateway> {
  const child = spawn(process.execPath, ['-r', LOOP_STALLS, GATEWAY_ENTRY], {
    cwd: ROOT,
    env: gatewayEnv({
      configFile,
      redisUrl,
      keysFile: benchKeys.file,
      logLevel: process.env.BENCH_GATEWAY_LOG_LEVEL ?? 'warn',
      // Cold by design: nothing is fetched until the burst arrives.
      extra: { WHEREABOUTS_WARM_UP: 'off' },
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const logDir = process.env.BENCH_LOG_DIR;
  if (logDir) {
    fs.mkdirSync(logDir, { recursive: true });
    const log = fs.createWriteStream(path.join(logDir, `gateway-${index}.log`));
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
  }
  return new Promise<Gateway>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () =>
        reject(new SetupError(`gateway ${index} did not listen within ${STARTUP_TIMEOUT_MS} ms:\n${tail}`)),
      STARTUP_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const m =
        /Whereabouts gateway on http:\/\/[^:]+:(\d+)\/graphql \([^:]*: (\d+) sources, (\d+) forces\)/.exec(
          seen,
        );
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        index,
        child,
        port: Number(m[1]),
        sources: Number(m[2]),
        forces: Number(m[3]),
        output: () => tail,
      });
    };
    child.stdout!.on('data', onData);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new SetupError(`cannot start gateway ${index}: ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new SetupError(`gateway ${index} exited before listening (${signal ?? code}):\n${tail}`));
    });
  });
}

/** Waits until the gateway's Redis connection is ready (/readyz gives no reasons). */
async function waitForRedisReady(gateway: Gateway): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = '';
  while (Date.now() < deadline) {
    const res = await httpRequest(gateway.port, 'GET', '/readyz', undefined, 2000).catch((e: Error) => ({
      status: 0,
      text: e.message,
    }));
    last = `${res.status} ${res.text}`;
    if (res.status === 200) {
      const body = JSON.parse(res.text) as { reasons?: unknown[] };
      if (Array.isArray(body.reasons) && body.reasons.length === 0) return;
    }
    await sleep(50);
  }
  throw new SetupError(`gateway ${gateway.index} never reported Redis ready; last /readyz: ${last}`);
}

// ---------------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------------

/** Enough sockets for every query at once (the default agent would also allow it; this says so). */
const agent = new http.Agent({ keepAlive: false, maxSockets: QUERIES, maxTotalSockets: QUERIES });

function httpRequest(
  port: number,
  method: string,
  pathname: string,
  body: string | undefined,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  const token = pathname === '/metrics' ? benchKeys.operator : benchKeys.analyst;
  return loopbackRequest({ port, method, path: pathname, token, body, agent, timeoutMs });
}

interface QueryResult {
  readonly instance: number;
  readonly ms: number;
  /** Why this answer counts as an error, or null. */
  readonly error: string | null;
}

async function nationalQuery(gateway: Gateway, body: string): Promise<QueryResult> {
  const started = performance.now();
  let error: string | null = null;
  try {
    const res = await httpRequest(gateway.port, 'POST', '/graphql', body, REQUEST_TIMEOUT_MS);
    if (res.status !== 200) error = `HTTP ${res.status}`;
    else {
      const json = JSON.parse(res.text) as {
        errors?: Array<{ message?: string }>;
        data?: { national?: { coverage?: { forces?: number; reporting?: number; unavailable?: number } } };
      };
      const coverage = json.data?.national?.coverage;
      if (json.errors?.length) error = `GraphQL error: ${json.errors[0]?.message ?? '?'}`;
      else if (!coverage) error = 'no coverage in the answer';
      else if ((coverage.reporting ?? 0) < FORCES)
        error = `reporting ${coverage.reporting}/${coverage.forces} (unavailable ${coverage.unavailable})`;
    }
  } catch (e) {
    error = `request failed: ${(e as Error).name === 'TimeoutError' ? 'timeout' : (e as Error).message}`;
  }
  return { instance: gateway.index, ms: performance.now() - started, error };
}

// ---------------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------------

/** Setup progress goes to stderr, so that stdout is only the report. */
function progress(message: string): void {
  process.stderr.write(`bench:economy: ${message}\n`);
}

/** Sums of a Prometheus counter by one label (or '' when unlabelled), from /metrics text. */
function counterBy(text: string, name: string, label?: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{([^}]*)\})?\s+([0-9.eE+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = m[3] ?? '';
    const key = label ? (new RegExp(`${label}="([^"]*)"`).exec(labels)?.[1] ?? '') : '';
    sums.set(key, (sums.get(key) ?? 0) + Number(m[4]));
  }
  return sums;
}

function fmt(sums: Map<string, number>): string {
  if (sums.size === 0) return '-';
  return [...sums].map(([k, v]) => (k ? `${k}:${v}` : String(v))).join(' ');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

// ---------------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!Number.isInteger(QUERIES) || QUERIES < 1 || QUERIES > 10_000)
    throw new SetupError(`BENCH_QUERIES must be a whole number from 1 to 10000; got ${QUERIES}`);
  if (!fs.existsSync(GATEWAY_ENTRY)) throw new SetupError(`${GATEWAY_ENTRY} is missing: run npm run build`);
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-bench-economy-'));

  benchKeys.file = path.join(tempDir, 'keys.json');
  const keyStore = ApiKeyStore.load(benchKeys.file);
  benchKeys.analyst = keyStore.create('analyst', 'bench:economy queries').token;
  benchKeys.operator = keyStore.create('operator', 'bench:economy metrics').token;

  const redisPort = await startRedis(tempDir);
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  progress(`redis-server on 127.0.0.1:${redisPort}`);

  simulator = createSimulator({ latencyMs: LATENCY_MS });
  const { baseUrl } = await simulator.listen(0);
  const configFile = path.join(tempDir, 'gateway.yaml');
  simulator.writeGatewayConfig(configFile, baseUrl);
  // This run measures upstream economy, not rate limiting: lift the analyst limit above the burst.
  fs.appendFileSync(
    configFile,
    `access:\n  rateLimits:\n    analyst: { points: ${QUERIES * 10}, durationSeconds: 60 }\n`,
  );
  const sources = simulator.feeds.length;

  const gateways = await Promise.all(
    Array.from({ length: INSTANCES }, (_, i) => startGateway(i, configFile, redisUrl)),
  );
  await Promise.all(gateways.map(waitForRedisReady));
  progress(`simulator on ${baseUrl}; gateways on ports ${gateways.map((g) => g.port).join(', ')}`);
  for (const g of gateways) {
    if (g.sources !== sources)
      throw new SetupError(`gateway ${g.index} loaded ${g.sources} sources; the simulator has ${sources}`);
  }

  // Cold means cold: nothing fetched upstream yet (warm-up off), nothing in Redis.
  const upstreamBefore = simulator.requestCount();
  const keysBefore = Number(await redisCli(redisPort, 'DBSIZE'));

  // Start the stall measurement over (see loop-stalls.js), then let the gateways settle.
  for (const g of gateways) g.child.kill('SIGUSR2');
  await sleep(200);

  const body = JSON.stringify({ query: NATIONAL_QUERY });
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: QUERIES }, (_, i) => nationalQuery(gateways[i % INSTANCES]!, body)),
  );
  const wallMs = performance.now() - started;
  await sleep(SETTLE_MS);

  const upstream = simulator.requestCount();
  const perFeed = simulator.requestCounts();
  const metrics = await Promise.all(
    gateways.map((g) =>
      httpRequest(g.port, 'GET', '/metrics', undefined, 5000)
        .then((r) => r.text)
        .catch(() => ''),
    ),
  );

  // Redis' own view: how many report keys were written, and how long its commands took server-side.
  const keysAfter = await redisCli(redisPort, 'DBSIZE').catch(() => '?');
  const commandStats = await redisCli(redisPort, 'INFO', 'commandstats').catch(() => '');

  // Stop the gateways now: each reports its event-loop stalls as it exits.
  await Promise.all(gateways.map((g) => stopChild(g.child)));
  const stalls = gateways.map((g) => {
    const m = /loop-stalls: max_ms=(\d+) over_100ms=(\d+) over_200ms=(\d+)/.exec(g.output());
    return m ? `max ${m[1]}ms, >200ms ×${m[3]}` : '?';
  });

  // --- report ---
  const errors = results.filter((r) => r.error !== null);
  const sorted = results.map((r) => r.ms).sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);

  const out: string[] = [];
  out.push(
    `bench:economy: ${INSTANCES} gateways sharing one Redis, ${QUERIES} concurrent cold national queries, ` +
      `simulator of ${sources} sources (${FORCES} forces), feed latency ${LATENCY_MS[0]}-${LATENCY_MS[1]} ms`,
  );
  out.push(
    `before the queries: ${upstreamBefore} upstream requests, ${keysBefore} Redis keys; ` +
      `all answered in ${Math.round(wallMs)} ms`,
  );
  out.push('');
  const rows: string[][] = [
    [
      'instance',
      'queries',
      'errors',
      'p50_ms',
      'p99_ms',
      'max_ms',
      'fetches(ok/error)',
      'lock_waits',
      'redis_errors',
      'snapshots',
      'loop_stalls',
    ],
  ];
  gateways.forEach((g, i) => {
    const mine = results.filter((r) => r.instance === g.index);
    const ms = mine.map((r) => r.ms).sort((a, b) => a - b);
    const m = metrics[i] ?? '';
    rows.push([
      `#${g.index} :${g.port}`,
      String(mine.length),
      String(mine.filter((r) => r.error !== null).length),
      percentile(ms, 50).toFixed(0),
      percentile(ms, 99).toFixed(0),
      (ms[ms.length - 1] ?? Number.NaN).toFixed(0),
      fmt(counterBy(m, 'whereabouts_source_refreshes_total', 'result')),
      fmt(counterBy(m, 'whereabouts_refresh_lock_waits_total', 'result')),
      fmt(counterBy(m, 'whereabouts_redis_errors_total', 'operation')),
      fmt(counterBy(m, 'whereabouts_snapshot_total', 'result')),
      stalls[i] ?? '?',
    ]);
  });
  rows.push([
    'all',
    String(results.length),
    String(errors.length),
    p50.toFixed(0),
    p99.toFixed(0),
    (sorted[sorted.length - 1] ?? Number.NaN).toFixed(0),
    '',
    '',
    '',
    '',
    '',
  ]);
  out.push(table(rows));
  out.push('');

  const feedIds = simulator.feeds.map((f) => f.id);
  const off = feedIds.filter((id) => (perFeed[id] ?? 0) !== 1);
  out.push(
    `upstream: ${upstream} requests for ${sources} sources` +
      (off.length === 0
        ? ' (exactly one per source)'
        : `; not exactly once: ${off.map((id) => `${id}=${perFeed[id] ?? 0}`).join(', ')}`),
  );
  if (errors.length > 0) {
    const reasons = new Map<string, number>();
    for (const e of errors) reasons.set(e.error!, (reasons.get(e.error!) ?? 0) + 1);
    out.push(
      `errors by reason: ${[...reasons]
        .sort((a, b) => b[1] - a[1])
        .map(([r, n]) => `${n}× ${r}`)
        .join('; ')}`,
    );
  }
  const stats = [...commandStats.matchAll(/^cmdstat_(\w+):calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/gm)]
    .filter((m) => ['mget', 'set', 'eval', 'exists', 'publish'].includes(m[1]!))
    .map((m) => `${m[1]} ${m[2]}× ${m[3]}µs`);
  out.push(`redis after: ${keysAfter} keys; server-side time per command: ${stats.join(', ') || '?'}`);
  const goals = [
    upstream === sources ? 'upstream goal met' : `upstream goal MISSED (${upstream} ≠ ${sources})`,
    errors.length === 0 ? 'error goal met' : `error goal MISSED (${errors.length})`,
  ];
  out.push(goals.join('; '));
  out.push(
    `upstream_requests=${upstream} sources=${sources} errors=${errors.length} ` +
      `p50_ms=${Math.round(p50)} p99_ms=${Math.round(p99)}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

const overall = setTimeout(() => {
  process.stderr.write(`bench:economy: gave up after ${OVERALL_TIMEOUT_MS} ms\n`);
  void cleanup().finally(() => process.exit(1));
}, OVERALL_TIMEOUT_MS);
overall.unref();

main()
  .then(
    () => cleanup(),
    async (error: unknown) => {
      if (interrupted) return; // the signal handler cleans up and exits
      process.stderr.write(
        `bench:economy: setup failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      await cleanup();
      process.exitCode = 1;
    },
  )
  .finally(() => {
    clearTimeout(overall);
    agent.destroy();
  });
