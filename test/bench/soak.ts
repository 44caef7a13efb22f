/**
 * Soak: `npm run soak -- --minutes N` (not part of `npm test`; default 1 minute).
 *
 * One Redis, the 45-force simulator (latency 5-30 ms) and 2 gateway processes (`node dist/index.js`)
 * sharing that Redis, under steady load (8 concurrent national query loops, round-robin) while faults
 * run together: every 10 s one simulator feed gets a fault (slow, hang, http500, http429, malformed,
 * flaky; the previous one is cleared), and every 15 s Redis is killed and restarted on the same port.
 *
 * An error is an answer other than HTTP 200, a body with `errors`, or no answer within 5 s. Every 30 s
 * a line reports the period: requests, errors, p99 and each gateway's RSS. The last line is
 * machine-readable (RSS is the largest gateway's, in MB):
 *
 *   soak minutes=N requests=R errors=E p99_ms=X rss_mb_start=A rss_mb_end=B rss_mb_max=C
 *
 * Exits non-zero only when the setup fails. Every child process is stopped on the way out.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore } from '../../src/access/api-keys';
import { createSimulator } from '../../src/simulator';
import type { FaultInput, Simulator } from '../../src/simulator';
import { RedisServer } from '../helpers/redis';
import { exited, gatewayEnv, loopbackRequest, percentile, sleep, stopChild } from './support';

const INSTANCES = 2;
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 5000;
const REPORT_EVERY_MS = 30_000;
const FAULT_EVERY_MS = 10_000;
const REDIS_RESTART_EVERY_MS = 15_000;
const FAULTS: readonly FaultInput[] = [
  { mode: 'slow', delayMs: 3000 },
  { mode: 'hang' },
  { mode: 'http500' },
  { mode: 'http429', retryAfterSeconds: 1 },
  { mode: 'malformed' },
  { mode: 'flaky', failures: 3 },
];
const NATIONAL_QUERY = '{ national { unaccounted { value } coverage { forces reporting unavailable } } }';

const ROOT = path.resolve(__dirname, '..', '..');
const GATEWAY_ENTRY = path.join(ROOT, 'dist', 'index.js');

function parseMinutes(argv: readonly string[]): number {
  const i = argv.indexOf('--minutes');
  const raw = i >= 0 ? argv[i + 1] : (argv.find((a) => a.startsWith('--minutes='))?.slice(10) ?? '1');
  const minutes = Number(raw);
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) {
    process.stderr.write(`soak: --minutes must be a number above 0 (at most 1440); got "${raw}"\n`);
    process.exit(64);
  }
  return minutes;
}

const MINUTES = parseMinutes(process.argv.slice(3));

// ---------------------------------------------------------------------------------------------------
// Processes we own, and their cleanup
// ---------------------------------------------------------------------------------------------------

const gateways: Array<{ index: number; child: ChildProcess; port: number; tail: () => string }> = [];
let redis: RedisServer | null = null;
let simulator: Simulator | null = null;
let tempDir: string | null = null;
let cleaning: Promise<void> | null = null;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all(gateways.map((g) => stopChild(g.child)));
    await redis?.stop().catch(() => undefined);
    await simulator?.close().catch(() => undefined);
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  })();
  return cleaning;
}

process.on('exit', () => {
  for (const g of gateways) if (!exited(g.child)) g.child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`soak: ${signal}, cleaning up\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------------
// Gateways and HTTP
// ---------------------------------------------------------------------------------------------------

const keys = { analyst: '', file: '' };

function startGateway(index: number, configFile: string, redisUrl: string): Promise<(typeof gateways)[0]> {
  const child = spawn(process.execPath, [GATEWAY_ENTRY], {
    cwd: ROOT,
    env: gatewayEnv({
      configFile,
      redisUrl,
      keysFile: keys.file,
      logLevel: process.env.SOAK_GATEWAY_LOG_LEVEL ?? 'error',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString('utf8')).slice(-8192));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway ${index} did not listen:\n${tail}`)), 30_000);
    const onData = () => {
      const m = /Whereabouts gateway on http:\/\/[^:]+:(\d+)\/graphql/.exec(tail);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      const g = { index, child, port: Number(m[1]), tail: () => tail };
      gateways.push(g);
      resolve(g);
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gateway ${index} exited (${signal ?? code}):\n${tail}`));
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function query(port: number, body: string): Promise<{ status: number; text: string }> {
  return loopbackRequest({
    port,
    method: 'POST',
    path: '/graphql',
    token: keys.analyst,
    body,
    agent,
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
}

/** Resident set size of a process in MB, from /proc (0 when unreadable). */
function rssMb(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------------
// The soak
// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!fs.existsSync(GATEWAY_ENTRY)) throw new Error(`${GATEWAY_ENTRY} is missing: run npm run build`);
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-soak-'));
  keys.file = path.join(tempDir, 'keys.json');
  keys.analyst = ApiKeyStore.load(keys.file).create('analyst', 'soak queries').token;

  redis = await RedisServer.start();
  simulator = createSimulator({ latencyMs: [5, 30] });
  const { baseUrl } = await simulator.listen(0);
  const configFile = path.join(tempDir, 'gateway.yaml');
  // A short ttl, so refreshes (and their faults) happen all the time; rate limits out of the way.
  simulator.writeGatewayConfig(configFile, baseUrl, { ttlSeconds: 5, staleForSeconds: 600 });
  fs.appendFileSync(
    configFile,
    `access:\n  rateLimits:\n    analyst: { points: 1000000, durationSeconds: 60 }\n`,
  );
  for (let i = 0; i < INSTANCES; i += 1) await startGateway(i, configFile, redis.url);
  process.stderr.write(
    `soak: ${MINUTES} min, redis :${redis.port}, simulator ${baseUrl}, gateways :${gateways.map((g) => g.port).join(', :')}\n`,
  );
  const body = JSON.stringify({ query: NATIONAL_QUERY });
  // Warm up (each instance fetches every source once) before the baseline.
  for (const g of gateways) await query(g.port, body).catch(() => undefined);
  await sleep(1000);

  const rssNow = () => gateways.map((g) => rssMb(g.child.pid));
  const rssStart = Math.max(...rssNow());
  let rssMax = rssStart;

  let total = 0;
  let errors = 0;
  const allMs: number[] = [];
  let period: { requests: number; errors: number; ms: number[]; examples: string[] } = {
    requests: 0,
    errors: 0,
    ms: [],
    examples: [],
  };
  const started = performance.now();
  const endAt = started + MINUTES * 60_000;
  let stop = false;
  let next = 0;

  const loop = async () => {
    while (!stop) {
      const g = gateways[next++ % gateways.length]!;
      const t = performance.now();
      let error: string | null = null;
      try {
        const res = await query(g.port, body);
        if (res.status !== 200) error = `HTTP ${res.status}: ${res.text.slice(0, 120)}`;
        else if ((JSON.parse(res.text) as { errors?: unknown[] }).errors?.length)
          error = `errors: ${res.text.slice(0, 120)}`;
      } catch (e) {
        error = `request failed: ${(e as Error).name === 'TimeoutError' ? 'timeout' : (e as Error).message}`;
      }
      const ms = performance.now() - t;
      total += 1;
      allMs.push(ms);
      period.requests += 1;
      period.ms.push(ms);
      if (error) {
        errors += 1;
        period.errors += 1;
        if (period.examples.length < 3) period.examples.push(`#${g.index} ${error}`);
      }
    }
  };

  const chaos = async () => {
    let lastFault: string | null = null;
    let faultAt = started + FAULT_EVERY_MS;
    let redisAt = started + REDIS_RESTART_EVERY_MS;
    let f = 0;
    while (!stop) {
      const now = performance.now();
      if (now >= faultAt) {
        if (lastFault) simulator!.setFault(lastFault, null);
        const feeds = simulator!.feeds;
        lastFault = feeds[Math.floor(Math.random() * feeds.length)]!.id;
        const fault = FAULTS[f++ % FAULTS.length]!;
        simulator!.setFault(lastFault, fault);
        process.stderr.write(`soak: fault ${fault.mode} on ${lastFault}\n`);
        faultAt += FAULT_EVERY_MS;
      }
      if (now >= redisAt) {
        process.stderr.write('soak: redis kill + restart\n');
        await redis!.kill();
        await sleep(500);
        await redis!.restart();
        redisAt += REDIS_RESTART_EVERY_MS;
      }
      await sleep(100);
    }
    if (lastFault) simulator!.setFault(lastFault, null);
  };

  const reporter = async () => {
    let reportAt = started + REPORT_EVERY_MS;
    while (!stop) {
      await sleep(Math.max(0, Math.min(reportAt, endAt) - performance.now()));
      const rss = rssNow();
      rssMax = Math.max(rssMax, ...rss);
      if (performance.now() < reportAt - 5) continue; // woke for the end, not a report
      const p99 = percentile(
        [...period.ms].sort((a, b) => a - b),
        99,
      );
      process.stdout.write(
        `soak t=${Math.round((performance.now() - started) / 1000)}s requests=${period.requests} ` +
          `errors=${period.errors} p99_ms=${p99.toFixed(0)} rss_mb=${rss.map((r) => r.toFixed(0)).join(',')}` +
          (period.examples.length ? ` e.g. ${period.examples.join(' | ')}` : '') +
          '\n',
      );
      period = { requests: 0, errors: 0, ms: [], examples: [] };
      reportAt += REPORT_EVERY_MS;
    }
  };

  const workers = Array.from({ length: CONCURRENCY }, () => loop());
  const side = [chaos(), reporter()];
  await sleep(endAt - performance.now());
  stop = true;
  await Promise.all([...workers, ...side]);

  const rssEnd = Math.max(...rssNow());
  rssMax = Math.max(rssMax, rssEnd);
  const dead = gateways.filter((g) => exited(g.child));
  for (const g of dead) process.stderr.write(`soak: gateway ${g.index} died:\n${g.tail()}\n`);
  const p99 = percentile(
    allMs.sort((a, b) => a - b),
    99,
  );
  process.stdout.write(
    `soak minutes=${MINUTES} requests=${total} errors=${errors} p99_ms=${p99.toFixed(0)} ` +
      `rss_mb_start=${rssStart.toFixed(0)} rss_mb_end=${rssEnd.toFixed(0)} rss_mb_max=${rssMax.toFixed(0)}\n`,
  );
}

main()
  .then(() => cleanup())
  .then(
    () => process.exit(0),
    async (error: unknown) => {
      process.stderr.write(`soak: setup failed: ${(error as Error).stack ?? String(error)}\n`);
      await cleanup().catch(() => undefined);
      process.exit(1);
    },
  );
