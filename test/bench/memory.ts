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
 *
 * `node test/bench/run.js memory --warm` measures the warm bench's scenario instead (issue 22, target 4):
 * its gateway config (45 forces, figures kept warm, rate limits counted but never tripping) and each of
 * its gateway targets in turn (persisted GET, JSON feed, ad-hoc analyst POST, series, breakdown, gzip and
 * xlsx feeds), BENCH_SECONDS (default 5) each after a second of warm-up, at 50 connections. It prints
 * where the resident set goes (mem-probe.js's `breakdown`: the node binary, malloc, V8's young and old
 * generations, WASM, the rest) at idle after warm-up, at each target's peak (the probe with the highest
 * RSS, one a second during the load), at idle after all of them, and after a full GC then (what is
 * live, whatever the GC's timing); then one machine-readable line:
 *
 *   memory-warm: sources=S idle_rss_mb=I peak_rss_mb=P hwm_mb=H after_rss_mb=A <target>_cpu_us=C ...
 *
 * MEM_PROBE_MODULES=1 also lists the modules loaded at idle and at the end, by package; BENCH_TARGETS
 * (ids, comma-separated: persisted, feed_json, analyst, series, breakdown, feed_gzip, xlsx) runs only
 * those; BENCH_WRAP runs the gateway under a command (e.g. `heaptrack -o /tmp/gw`: who mallocs what).
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
import type { LoadOptions } from './load';
import {
  cpuMs as processCpuMs,
  exited,
  gatewayEnv,
  productionNodeFlags,
  rssMb,
  sleep,
  stopChild,
} from './support';
import { ANALYST_DOCUMENT, writeWarmGatewayConfig } from './warm';

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

/** The gateway's listening line: its port and how many sources and forces it serves. */
const LISTENING =
  /Whereabouts gateway on http:\/\/[^:]+:(\d+)\/graphql \([^:]*: (\d+) sources, (\d+) forces\)/;

/**
 * Starts the gateway preloaded with mem-probe.js (`command` and `args` before the node flags: a wrapper,
 * or none), its output to `logFile`; resolves with the process, its port and its number of sources.
 */
async function startProbedGateway(options: {
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
}): Promise<{ gateway: ChildProcess; port: number; sources: number }> {
  const out = fs.openSync(options.logFile, 'w');
  const gateway = spawn(options.command, [...options.args, '-r', MEM_PROBE, GATEWAY_ENTRY], {
    cwd: ROOT,
    env: options.env,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  children.push(gateway);
  const m = await waitInFile(options.logFile, LISTENING, gateway);
  return { gateway, port: Number(m[1]), sources: Number(m[2]) };
}

/** What one SIGUSR2 to mem-probe.js printed: its `mem-probe:` and `mem-probe-map:` fields, in MB. */
type Probe = Record<string, number>;

/** Reads a log file from an offset on (a gateway's log grows through a run; only the tail is new). */
function readFrom(file: string, offset: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    fs.readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** Sends SIGUSR2 to the gateway (a child, or its pid) and returns the mem-probe lines it prints (their fields, merged). */
async function probe(child: ChildProcess | number, logFile: string): Promise<Probe> {
  const offset = fs.statSync(logFile).size;
  if (typeof child === 'number') process.kill(child, 'SIGUSR2');
  else child.kill('SIGUSR2');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const text = readFrom(logFile, offset);
    const map = /mem-probe-map: .*\n/.exec(text);
    if (map && (!process.env.MEM_PROBE_SNAPSHOT_DIR || /mem-probe: snapshot/.test(text))) {
      const lines = (text.match(/mem-probe(-map)?: \w+_mb.*/g) ?? []).join(' ');
      return Object.fromEntries(
        [...lines.matchAll(/(\w+)_mb=(-?[\d.]+)/g)].map((m) => [m[1]!, Number(m[2])]),
      );
    }
    await sleep(20);
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
  // This run measures memory, not rate limiting: lift the analyst limit far above the load. The scale
  // mode's config is one JSON line (a flow mapping) after its comments: merged there, not appended.
  const rateLimits = { analyst: { points: 100_000_000, durationSeconds: 60 } };
  const text = fs.readFileSync(configFile, 'utf8');
  const json = /^\{.*\}$/m.exec(text);
  if (json) {
    const doc = JSON.parse(json[0]) as { access?: Record<string, unknown> };
    doc.access = { ...doc.access, rateLimits };
    fs.writeFileSync(
      configFile,
      text.replace(json[0], () => JSON.stringify(doc)),
    );
  } else
    fs.appendFileSync(
      configFile,
      `access:\n  rateLimits:\n    analyst: ${JSON.stringify(rateLimits.analyst)}\n`,
    );

  const logDir = process.env.BENCH_LOG_DIR ?? tempDir;
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, 'gateway.log');
  const flags = nodeFlags();
  const { gateway, port, sources } = await startProbedGateway({
    command: process.execPath,
    args: flags,
    env: gatewayEnv({ configFile, redisUrl: `redis://127.0.0.1:${redisPort}`, keysFile, logLevel: 'info' }),
    logFile,
  });
  progress(`gateway pid ${gateway.pid} on port ${port}, ${sources} sources, node flags [${flags.join(' ')}]`);

  // Warm-up fetches every source: wait for it (a few seconds more with thousands of sources).
  await sleep(IDLE_SETTLE_MS * (SOURCES === undefined ? 1 : Math.max(1, Math.ceil(SOURCES / 500))));
  const pid = gateway.pid!;
  const idleRss = procStatusMb(pid);
  const idle = await probe(gateway, logFile);
  progress(`idle: rss ${idleRss.toFixed(1)} MB, heap used ${idle.heap_used} / total ${idle.heap_total} MB`);

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
      `errors=${result.errors + result.timeouts} heap_used_mb=${after.heap_used} heap_total_mb=${after.heap_total} ` +
      `new_space_mb=${after.new_space} old_space_mb=${after.old_space}\n`,
  );
}

/** One of the warm bench's gateway targets: what autocannon repeats. */
interface WarmTarget extends Omit<LoadOptions, 'durationSeconds'> {
  readonly id: string;
}

/** The warm bench's gateway targets (test/bench/warm.ts), against a gateway at `base`. */
function warmTargets(base: string, analystKey: string, journalistKey: string): WarmTarget[] {
  const manifest = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'src', 'generated', 'persisted-documents.json'), 'utf8'),
  ) as Record<string, string>;
  const feedKey = Object.keys(manifest).find((k) => /^query NationalLatest\b/.test(manifest[k]!));
  if (!feedKey) throw new Error('no NationalLatest document in the persisted documents');
  const journalist = { authorization: `Bearer ${journalistKey}` };
  const feed = (id: string, url: string, headers: Record<string, string> = {}): WarmTarget => ({
    id,
    url: `${base}${url}`,
    headers: { ...journalist, ...headers },
  });
  return [
    feed(
      'persisted',
      `/graphql?extensions=${encodeURIComponent(
        JSON.stringify({ persistedQuery: { version: 1, sha256Hash: feedKey.replace(/^sha256:/, '') } }),
      )}`,
      { 'apollo-require-preflight': 'true' },
    ),
    feed('feed_json', '/feeds/national-latest.json'),
    {
      id: 'analyst',
      url: `${base}/graphql`,
      method: 'POST',
      headers: { authorization: `Bearer ${analystKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: ANALYST_DOCUMENT }),
    },
    feed('series', '/feeds/national-series.json'),
    feed('breakdown', '/feeds/national-breakdown.json?dimension=YEAR_WENT_MISSING'),
    feed('feed_gzip', '/feeds/national-latest.json', { 'accept-encoding': 'gzip' }),
    feed('xlsx', '/feeds/national-latest.xlsx'),
  ];
}

/** One request outside the load (setup), failing on anything but 200. */
async function fetchOk(target: WarmTarget): Promise<Buffer> {
  const res = await fetch(target.url, {
    method: target.method ?? 'GET',
    headers: target.headers ?? {},
    ...(target.body !== undefined ? { body: target.body } : {}),
  });
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200)
    throw new Error(`${target.id}: HTTP ${res.status}: ${body.toString().slice(0, 300)}`);
  return body;
}

/** The breakdown's rows, in the order printed (mem-probe-map's fields). */
const BREAKDOWN_ROWS: ReadonlyArray<readonly [string, string]> = [
  ['rss', 'RSS (sum of smaps)'],
  ['binary_text', 'node binary, code pages touched'],
  ['binary_data', 'node binary, read-only data (snapshot, ICU)'],
  ['libs', 'shared libraries, other files'],
  ['v8_new', 'V8 young generation (physical)'],
  ['v8_old', 'V8 old, large-object, trusted spaces (physical)'],
  ['v8_code_rwx', 'V8 code range (rwx mappings)'],
  ['brk_heap', 'malloc, main arena ([heap])'],
  ['malloc_arenas', 'malloc, thread arenas'],
  ['wasm', 'WebAssembly memories'],
  ['stacks', 'thread stacks'],
  ['anon_other', 'other anonymous (mmapped malloc blocks, ...)'],
  ['heap_used', 'V8 heap used (objects)'],
  ['external', 'external (Buffers, WASM memory: V8 external)'],
];

async function mainWarm(): Promise<void> {
  if (!fs.existsSync(GATEWAY_ENTRY)) throw new Error(`${GATEWAY_ENTRY} is missing: run npm run build`);
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-bench-memory-'));
  const keysFile = path.join(tempDir, 'keys.json');
  const keys = ApiKeyStore.load(keysFile);
  const analystKey = keys.create('analyst', 'bench:memory analyst').token;
  const journalistKey = keys.create('journalist', 'bench:memory journalist').token;
  const redisPort = await startRedis(tempDir);
  // As the warm bench's: no latency, figures that never drift or expire during the run.
  simulator = createSimulator({ latencyMs: [0, 0], driftIntervalMs: 86_400_000 });
  const { baseUrl } = await simulator.listen(0);
  const configFile = writeWarmGatewayConfig(simulator, tempDir, baseUrl);

  const logDir = process.env.BENCH_LOG_DIR ?? tempDir;
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, 'gateway.log');
  const flags = nodeFlags();
  const control = path.join(tempDir, 'mem-probe-control');
  // BENCH_WRAP: a command the gateway runs under (heaptrack, say), for diagnosis.
  const wrap = (process.env.BENCH_WRAP ?? '').split(/\s+/).filter(Boolean);
  const command = wrap[0] ?? process.execPath;
  const wrapArgs = wrap.length ? [...wrap.slice(1), process.execPath] : [];
  const { gateway, port, sources } = await startProbedGateway({
    command,
    args: [...wrapArgs, ...flags],
    env: {
      MEM_PROBE_CONTROL: control,
      WHEREABOUTS_ARCHIVE_FILE: path.join(tempDir, 'archive.sqlite'),
      ...gatewayEnv({ configFile, redisUrl: `redis://127.0.0.1:${redisPort}`, keysFile, logLevel: 'info' }),
    },
    logFile,
  });
  const base = `http://127.0.0.1:${port}`;
  // The node process itself, which may be a wrapper's child (BENCH_WRAP): mem-probe says which.
  const pid = Number(/mem-probe: pid=(\d+)/.exec(fs.readFileSync(logFile, 'utf8'))?.[1] ?? gateway.pid);
  progress(`gateway pid ${pid} on ${base}, ${sources} sources, node flags [${flags.join(' ')}]`);
  const all = warmTargets(base, analystKey, journalistKey);
  const analyst = all.find((t) => t.id === 'analyst')!;
  const only = process.env.BENCH_TARGETS?.split(',');
  const targets = only ? all.filter((t) => only.includes(t.id)) : all;

  // Warm: every force reporting, then each target a few times (caches, compiled queries, feeds' bytes).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = JSON.parse((await fetchOk(analyst)).toString()) as {
      data?: { national?: { coverage?: { forces?: number; reporting?: number } } };
    };
    const coverage = answer.data?.national?.coverage;
    if (coverage && coverage.reporting === coverage.forces) break;
    if (Date.now() > deadline) throw new Error(`the gateway did not warm up: ${JSON.stringify(coverage)}`);
    await sleep(100);
  }
  // The start-up's own loads (modules, warm-up) settled: the idle figure is what is left after them.
  for (let i = 0; i < 5; i++) for (const t of all.slice(0, 3)) await fetchOk(t);
  await sleep(IDLE_SETTLE_MS);
  const columns: Array<[string, Probe]> = [['idle', await probe(pid, logFile)]];
  if (process.env.MEM_PROBE_MODULES === '1')
    progress(`idle ${/mem-probe-modules: .*/.exec(fs.readFileSync(logFile, 'utf8'))?.[0] ?? ''}`);
  progress(`idle: rss ${columns[0]![1].rss} MB`);

  const cpu: Record<string, number> = {};
  let peak = columns[0]![1].rss!;
  for (const target of targets) {
    for (let i = 0; i < 5; i++) await fetchOk(target);
    let top: Probe = {};
    let maxRss = rssMb(pid);
    let loading = true;
    const sampler = setInterval(() => {
      maxRss = Math.max(maxRss, rssMb(pid));
    }, SAMPLE_MS);
    const prober = (async () => {
      while (loading) {
        await sleep(1000);
        if (!loading) break;
        const p = await probe(pid, logFile);
        if (!(p.rss! <= (top.rss ?? 0))) top = p;
      }
    })();
    const before = processCpuMs(pid);
    const result = await runLoad({ ...target, connections: CONNECTIONS, durationSeconds: seconds });
    const cpuUs = ((processCpuMs(pid) - before) * 1000) / (result.requests * (1 + 1 / seconds));
    loading = false;
    await prober;
    clearInterval(sampler);
    cpu[target.id] = cpuUs;
    peak = Math.max(peak, maxRss);
    columns.push([target.id, top]);
    progress(
      `${target.id}: ${result.rps.toFixed(0)} rps, non2xx ${result.non2xx}, cpu ${cpuUs.toFixed(0)} µs/request, ` +
        `peak rss ${maxRss.toFixed(1)} MB (probe's highest ${top.rss} MB)`,
    );
  }
  await sleep(IDLE_SETTLE_MS);
  columns.push(['after', await probe(pid, logFile)]);
  // What is live once garbage is gone: what no GC timing can take away.
  fs.writeFileSync(control, 'gc');
  columns.push(['after, full GC', await probe(pid, logFile)]);
  if (process.env.MEM_PROBE_MODULES === '1') {
    const all = fs.readFileSync(logFile, 'utf8').match(/mem-probe-modules: .*/g) ?? [];
    progress(`after ${all[all.length - 1] ?? ''}`);
  }
  const hwm = procStatusMb(pid, 'VmHWM');
  await cleanup();

  const table = [
    `| MB | ${columns.map(([name]) => name).join(' | ')} |`,
    `| --- |${columns.map(() => ' ---: |').join('')}`,
    ...BREAKDOWN_ROWS.map(
      ([key, label]) =>
        `| ${label} | ${columns.map(([, p]) => (p[key] ?? Number.NaN).toFixed(1)).join(' | ')} |`,
    ),
  ];
  process.stdout.write(`${table.join('\n')}\n\n`);
  process.stdout.write(
    `memory-warm: sources=${sources} idle_rss_mb=${columns[0]![1].rss} peak_rss_mb=${peak.toFixed(1)} ` +
      `hwm_mb=${hwm.toFixed(1)} after_rss_mb=${columns[columns.length - 1]![1].rss} ` +
      `${Object.entries(cpu)
        .map(([id, us]) => `${id}_cpu_us=${us.toFixed(0)}`)
        .join(' ')}\n`,
  );
}

(process.argv.includes('--warm') ? mainWarm() : main()).catch(async (error: unknown) => {
  process.stderr.write(`bench:memory: ${(error as Error).stack ?? String(error)}\n`);
  await cleanup();
  process.exit(1);
});
