/**
 * Memory of one gateway under load: `node test/bench/run.js memory` (after `npm run build`; not part of
 * `npm test`). Issue 6's target: RSS under load at or below 150 MB with 45 sources.
 *
 * One Redis, the 45-force simulator (no latency), and one gateway (`node <flags> dist/index.js`, the flags
 * of package.json's `start` script, LOG_LEVEL=info, its output to a file), preloaded with mem-probe.js.
 * After start-up and warm-up it reports the idle RSS, then fires national queries as an analyst for
 * BENCH_SECONDS (default 10) at 50 connections with autocannon (its own process), sampling VmRSS from
 * /proc/<pid>/status every 100 ms. The last line is machine-readable:
 *
 *   memory: sources=S idle_rss_mb=I max_rss_mb=M hwm_mb=H rps=R cpu_ms_per_req=C p99_ms=P non2xx=N errors=E heap_used_mb=U heap_total_mb=T
 *
 * Diagnostics: BENCH_NODE_FLAGS (space-separated) replaces the start script's node flags; BENCH_LOG_DIR
 * keeps the gateway's output there as gateway.log (else it goes to a temp dir, removed at the end);
 * BENCH_SOURCES runs the simulator in scale mode with that many feeds; BENCH_QUERY replaces the national query; MEM_PROBE_SNAPSHOT_DIR makes the gateway write heap snapshots there (idle and after the load).
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ApiKeyStore } from '../../src/access/api-keys';
import { createSimulator } from '../../src/simulator';
import type { Simulator } from '../../src/simulator';
import { freePort } from '../helpers/redis';
import { runLoad } from './load';
import { exited, gatewayEnv, productionNodeFlags, sleep, stopChild } from './support';

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SAMPLE_MS = 100;
const IDLE_SETTLE_MS = 3000;
const STARTUP_TIMEOUT_MS = 120_000;
/** BENCH_SOURCES: the simulator's scale mode, this many single-force count feeds (issue 6: 4,500 in 400 MB). */
const SOURCES = process.env.BENCH_SOURCES ? Number(process.env.BENCH_SOURCES) : undefined;
/** BENCH_QUERY replaces it (e.g. a query the request path hands to Apollo). */
const QUERY =
  process.env.BENCH_QUERY ??
  '{ national { unaccounted { value } coverage { forces reporting unavailable } } }';

const ROOT = path.resolve(__dirname, '..', '..');
const GATEWAY_ENTRY = path.join(ROOT, 'dist', 'index.js');
const MEM_PROBE = path.join(__dirname, 'mem-probe.js');
const run = promisify(execFile);

const children: ChildProcess[] = [];
let simulator: Simulator | null = null;
let tempDir: string | null = null;

async function cleanup(): Promise<void> {
  const [redis, ...rest] = children;
  await Promise.all(rest.map((c) => stopChild(c)));
  if (redis) await stopChild(redis);
  await simulator?.close().catch(() => undefined);
  if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
}
process.on('exit', () => {
  for (const child of children) if (!exited(child)) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanup().finally(() => process.exit(130)));
}

const progress = (m: string): void => void process.stderr.write(`bench:memory: ${m}\n`);

/** The node flags of package.json's `start` script (`productionNodeFlags`), or BENCH_NODE_FLAGS. */
function nodeFlags(): string[] {
  if (process.env.BENCH_NODE_FLAGS !== undefined)
    return process.env.BENCH_NODE_FLAGS.split(/\s+/).filter(Boolean);
  return productionNodeFlags();
}

/** VmRSS (or another field) of a process, in MB, from /proc; NaN once it is gone. */
function procStatusMb(pid: number, field = 'VmRSS'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system, all threads) of a process so far, in ms, from /proc/<pid>/stat. */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function startRedis(dir: string): Promise<number> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  children.push(child);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'PING']).catch(() => ({
      stdout: '',
    }));
    if (stdout.trim() === 'PONG') return port;
    await sleep(50);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
}

/** Reads a file until `pattern` matches (the gateway's output goes to a file, not a pipe). */
async function waitInFile(file: string, pattern: RegExp, child: ChildProcess): Promise<RegExpExecArray> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const m = pattern.exec(text);
    if (m) return m;
    if (exited(child)) throw new Error(`gateway exited:\n${text.slice(-4000)}`);
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${pattern} in ${file}`);
}

/** Sends SIGUSR2 and returns the mem-probe line it prints. */
async function probe(child: ChildProcess, logFile: string): Promise<Record<string, number>> {
  const before = (fs.readFileSync(logFile, 'utf8').match(/mem-probe: rss_mb/g) ?? []).length;
  child.kill('SIGUSR2');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const lines = fs.readFileSync(logFile, 'utf8').match(/mem-probe: rss_mb.*/g) ?? [];
    if (
      lines.length > before &&
      (!process.env.MEM_PROBE_SNAPSHOT_DIR ||
        /snapshot/.test(fs.readFileSync(logFile, 'utf8').split(lines[lines.length - 1]!)[1] ?? ''))
    ) {
      return Object.fromEntries(
        [...lines[lines.length - 1]!.matchAll(/(\w+)=([\d.]+)/g)].map((m) => [m[1]!, Number(m[2])]),
      );
    }
    await sleep(50);
  }
  return {};
}

async function main(): Promise<void> {
  if (!fs.existsSync(GATEWAY_ENTRY)) throw new Error(`${GATEWAY_ENTRY} is missing: run npm run build`);
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-bench-memory-'));
  const keysFile = path.join(tempDir, 'keys.json');
  const analyst = ApiKeyStore.load(keysFile).create('analyst', 'bench:memory').token;

  const redisPort = await startRedis(tempDir);
  simulator = createSimulator(SOURCES === undefined ? {} : { sources: SOURCES });
  const { baseUrl } = await simulator.listen(0);
  const configFile = path.join(tempDir, 'gateway.yaml');
  simulator.writeGatewayConfig(configFile, baseUrl);
  // This run measures memory, not rate limiting: lift the analyst limit far above the load.
  fs.appendFileSync(
    configFile,
    `access:\n  rateLimits:\n    analyst: { points: 100000000, durationSeconds: 60 }\n`,
  );

  const logDir = process.env.BENCH_LOG_DIR ?? tempDir;
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, 'gateway.log');
  const out = fs.openSync(logFile, 'w');
  const flags = nodeFlags();
  const gateway = spawn(process.execPath, [...flags, '-r', MEM_PROBE, GATEWAY_ENTRY], {
    cwd: ROOT,
    env: gatewayEnv({ configFile, redisUrl: `redis://127.0.0.1:${redisPort}`, keysFile, logLevel: 'info' }),
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  children.push(gateway);
  const m = await waitInFile(
    logFile,
    /Whereabouts gateway on http:\/\/[^:]+:(\d+)\/graphql \([^:]*: (\d+) sources, (\d+) forces\)/,
    gateway,
  );
  const port = Number(m[1]);
  const sources = Number(m[2]);
  progress(`gateway pid ${gateway.pid} on port ${port}, ${sources} sources, node flags [${flags.join(' ')}]`);

  // Warm-up fetches every source: wait for it (a few seconds more with thousands of sources).
  await sleep(IDLE_SETTLE_MS * (SOURCES === undefined ? 1 : Math.max(1, Math.ceil(SOURCES / 500))));
  const pid = gateway.pid!;
  const idleRss = procStatusMb(pid);
  const idle = await probe(gateway, logFile);
  progress(
    `idle: rss ${idleRss.toFixed(1)} MB, heap used ${idle.heap_used_mb} / total ${idle.heap_total_mb} MB`,
  );

  let maxRss = idleRss;
  const cpuBefore = cpuMs(pid);
  const sampler = setInterval(() => {
    const rss = procStatusMb(pid);
    if (rss > maxRss) maxRss = rss;
  }, SAMPLE_MS);
  const result = await runLoad({
    url: `http://127.0.0.1:${port}/graphql`,
    method: 'POST',
    headers: { authorization: `Bearer ${analyst}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY }),
    connections: CONNECTIONS,
    durationSeconds: SECONDS,
  });
  clearInterval(sampler);
  // CPU per request is steadier than rps on a shared machine (it includes the unmeasured warm-up second).
  const cpuPerRequest = (cpuMs(pid) - cpuBefore) / (result.requests * (1 + 1 / SECONDS));
  const hwm = procStatusMb(pid, 'VmHWM');
  const after = await probe(gateway, logFile);
  await cleanup();

  process.stdout.write(
    `memory: sources=${sources} idle_rss_mb=${idleRss.toFixed(1)} max_rss_mb=${maxRss.toFixed(1)} ` +
      `hwm_mb=${hwm.toFixed(1)} rps=${result.rps.toFixed(0)} cpu_ms_per_req=${cpuPerRequest.toFixed(2)} p99_ms=${result.p99Ms} non2xx=${result.non2xx} ` +
      `errors=${result.errors + result.timeouts} heap_used_mb=${after.heap_used_mb} heap_total_mb=${after.heap_total_mb} ` +
      `new_space_mb=${after.new_space_mb} old_space_mb=${after.old_space_mb}\n`,
  );
}

main().catch(async (error: unknown) => {
  process.stderr.write(`bench:memory: ${(error as Error).stack ?? String(error)}\n`);
  await cleanup();
  process.exit(1);
});
