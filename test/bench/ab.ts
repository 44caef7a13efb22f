/**
 * A/B of two builds of the gateway in one run on one machine: `node test/bench/run.js ab --a <git ref>
 * [--b <git ref>] [--rounds 3] [--seconds 5] [--targets feed,feed-br,...] [--sources N] [--name label]`.
 *
 * `--a-flags '<node flags>'` and `--b-flags` run that side's gateway with those Node flags instead of the
 * start script's (the same build on both sides: an A/B of V8 or runtime flags).
 *
 * Each side is a build of its own (`--a`/`--b` a commit, checked out as a git worktree under the system's
 * temporary folder and built there, with this checkout's node_modules when its lockfile is the same and
 * with its own (`npm ci`) when not; `worktree`, the default for `--b`,
 * is this checkout as it is; `dir:<path>` another checkout as it is, built there). Both gateways run side by side on one Redis and one simulator (45 forces,
 * warm; with `--sources N`, N single-force count feeds spread over them, the scale group's layout, to
 * compare what a warm request costs with many sources), with the warm bench's settings: auth, limits and rate limiting on, LOG_LEVEL=info to a file.
 *
 * Every round runs each target against both sides, one after the other, in an order that alternates
 * (A then B, then B then A), so slow drift on this shared 2-core machine lands on both. Each round starts
 * a fresh pair of gateway processes (see `startPair`). Per run it records
 * autocannon's throughput and the gateway's own CPU per request (utime + stime from /proc/<pid>/stat over
 * the measured window, divided by the requests answered), which noise from other processes moves far
 * less than throughput; and the gateway's peak RSS. The report gives medians over the rounds and B/A.
 * Written to test/bench/results/ab-<name>.{md,json}.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { ApiKeyStore } from '../../src/access/api-keys';
import { createSimulator } from '../../src/simulator';
import { runLoad } from './load';
import type { LoadResult } from './load';
import {
  cpuMs,
  ensureBuilt,
  gatewayEnv,
  killOwnedChildren,
  rssMb,
  sleep,
  startGatewayProcess,
  startRedisServer,
  stopOwnedChildren,
  writeFormatted,
} from './support';
import type { GatewayProcess } from './support';
import { NATIONAL_QUERY } from './fanout';
import { ANALYST_DOCUMENT, writeWarmGatewayConfig } from './warm';

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS = path.join(__dirname, 'results');
const FORCES = 45;
const CONNECTIONS = 50;
const TTL_SECONDS = 86_400;
const FEED_PATH = '/feeds/national-latest.json';
const FEED_OPERATION = 'NationalLatest';

/** What a target sends, given the keys and the feed document's hash. */
interface TargetSpec {
  readonly what: string;
  request(ctx: { journalist: string; analyst: string; feedHash: string }): {
    path: string;
    method: 'GET' | 'POST';
    headers: Record<string, string>;
    body?: string;
  };
}

/** A journalist's GET of `path` (a feed), with any extra headers. */
const journalistGet = (what: string, path: string, extra: Record<string, string> = {}): TargetSpec => ({
  what,
  request: ({ journalist }) => ({
    path,
    method: 'GET',
    headers: { authorization: `Bearer ${journalist}`, ...extra },
  }),
});

/** An analyst's POST of `query` to /graphql, with any extra headers. */
const analystPost = (what: string, query: string, extra: Record<string, string> = {}): TargetSpec => ({
  what,
  request: ({ analyst }) => ({
    path: '/graphql',
    method: 'POST',
    headers: { authorization: `Bearer ${analyst}`, 'content-type': 'application/json', ...extra },
    body: JSON.stringify({ query }),
  }),
});

/** Run afresh: a repeated document is otherwise answered from the bytes its first run built. */
const FRESH = { 'cache-control': 'no-cache' };

const TARGETS: Readonly<Record<string, TargetSpec>> = {
  feed: journalistGet('feed JSON, no Accept-Encoding', FEED_PATH),
  'feed-br': journalistGet('feed JSON, Accept-Encoding: gzip, deflate, br (a browser)', FEED_PATH, {
    'accept-encoding': 'gzip, deflate, br',
  }),
  'feed-gzip': journalistGet('feed JSON, Accept-Encoding: gzip', FEED_PATH, { 'accept-encoding': 'gzip' }),
  breakdown: journalistGet(
    'breakdown feed JSON (the audited table, built once per generation)',
    '/feeds/national-breakdown.json?dimension=YEAR_WENT_MISSING',
  ),
  xlsx: journalistGet('xlsx feed (the workbook, built once per generation)', '/feeds/national-latest.xlsx'),
  persisted: {
    what: 'persisted GET /graphql (journalist)',
    request: ({ journalist, feedHash }) => ({
      path:
        '/graphql?extensions=' +
        encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: feedHash } })),
      method: 'GET',
      headers: { authorization: `Bearer ${journalist}`, 'apollo-require-preflight': 'true' },
    }),
  },
  analyst: analystPost('analyst POST /graphql (ad-hoc document)', ANALYST_DOCUMENT),
  'analyst-fresh': analystPost(
    'analyst POST /graphql (ad-hoc document), run afresh each time (Cache-Control: no-cache)',
    ANALYST_DOCUMENT,
    FRESH,
  ),
  // Run afresh, as the scale group runs it.
  national: analystPost("analyst POST /graphql (the scale group's national query)", NATIONAL_QUERY, FRESH),
};

interface Args {
  a: string;
  b: string;
  rounds: number;
  seconds: number;
  targets: string[];
  name: string;
  /** Drive each build's request handler in its own process, without sockets (`inproc-child.js`). */
  inproc: boolean;
  /** Scale mode: this many single-force count feeds; null for the default mixed layout (41 feeds). */
  sources: number | null;
  /** Node flags of each side's gateway (`--a-flags`, `--b-flags`); by default the start script's. */
  flags: Record<'A' | 'B', string[] | null>;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    a: '',
    b: 'worktree',
    rounds: 3,
    seconds: 5,
    targets: ['feed', 'feed-br', 'persisted', 'analyst'],
    name: 'latest',
    inproc: false,
    sources: null,
    flags: { A: null, B: null },
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--inproc') {
      args.inproc = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--a') args.a = value;
    else if (flag === '--b') args.b = value;
    else if (flag === '--rounds') args.rounds = Number(value);
    else if (flag === '--seconds') args.seconds = Number(value);
    else if (flag === '--targets') args.targets = value.split(',');
    else if (flag === '--name') args.name = value;
    else if (flag === '--sources') args.sources = Number(value);
    else if (flag === '--a-flags') args.flags.A = value.split(/\s+/).filter(Boolean);
    else if (flag === '--b-flags') args.flags.B = value.split(/\s+/).filter(Boolean);
    else throw new Error(`unknown option ${flag}`);
  }
  if (!args.a) throw new Error('--a <git ref> is required');
  if (!Number.isInteger(args.rounds) || args.rounds < 1) throw new Error('--rounds must be a whole number');
  if (!(args.seconds > 0)) throw new Error('--seconds must be positive');
  if (!/^[a-z0-9-]+$/.test(args.name)) throw new Error('--name: lower-case letters, digits and dashes');
  for (const t of args.targets) if (!TARGETS[t]) throw new Error(`unknown target ${t}`);
  if (args.sources !== null && !(Number.isInteger(args.sources) && args.sources > 0))
    throw new Error('--sources must be a positive whole number');
  if (args.sources !== null && args.inproc) throw new Error('--sources is not supported with --inproc');
  return args;
}

/** A side's checkout, built: this one, or a git worktree of `ref` sharing this checkout's node_modules. */
function buildSide(ref: string, log: (line: string) => void): { root: string; label: string } {
  if (ref.startsWith('dir:')) {
    // Another checkout as it is (a worktree holding uncommitted work of its own), built there.
    const dir = path.resolve(ref.slice('dir:'.length));
    if (!fs.existsSync(path.join(dir, 'package.json'))) throw new Error(`${ref}: no package.json there`);
    const modules = path.join(dir, 'node_modules');
    if (!fs.existsSync(modules)) fs.symlinkSync(path.join(ROOT, 'node_modules'), modules, 'dir');
    log(`building ${dir}`);
    execFileSync('npm', ['run', 'build'], {
      cwd: dir,
      env: { ...process.env, PATH: `${path.join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return { root: dir, label: `checkout ${dir}` };
  }
  if (ref === 'worktree') {
    ensureBuilt(log);
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', 'src'], { cwd: ROOT }).toString().trim();
    return { root: ROOT, label: `working tree (${head}${dirty ? ' + uncommitted src' : ''})` };
  }
  const sha = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: ROOT })
    .toString()
    .trim();
  const dir = path.join(os.tmpdir(), 'whereabouts-ab', sha.slice(0, 12));
  if (!fs.existsSync(path.join(dir, 'package.json'))) {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    execFileSync('git', ['worktree', 'add', '--detach', '--force', dir, sha], { cwd: ROOT, stdio: 'ignore' });
  }
  const modules = path.join(dir, 'node_modules');
  const lockDiffers =
    execFileSync('git', ['diff', '--name-only', sha, '--', 'package-lock.json'], { cwd: ROOT })
      .toString()
      .trim() !== '';
  if (!fs.existsSync(modules)) {
    if (lockDiffers) {
      // Its own dependencies, from its own lockfile (npm's cache has them): this checkout's may lack one
      // that build needs, or have one of another major.
      log(`${ref}: package-lock.json differs from this checkout's: npm ci there`);
      execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
        cwd: dir,
        env: { ...process.env, PATH: `${path.join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    } else fs.symlinkSync(path.join(ROOT, 'node_modules'), modules, 'dir');
  }
  if (!fs.existsSync(path.join(dir, 'dist', 'index.js'))) {
    log(`building ${ref} (${sha.slice(0, 12)}) in ${dir}`);
    execFileSync('npm', ['run', 'build'], {
      cwd: dir,
      env: { ...process.env, PATH: `${path.join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return { root: dir, label: `${ref} (${sha.slice(0, 12)})` };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function get(
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: body === undefined ? 'GET' : 'POST', headers, signal: AbortSignal.timeout(10_000) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Waits until the gateway reports every simulated force (so both sides measure the same warm state). */
async function waitWarm(base: string, analyst: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await get(
      `${base}/graphql`,
      { authorization: `Bearer ${analyst}`, 'content-type': 'application/json' },
      JSON.stringify({ query: '{ national { coverage { reporting } } }' }),
    ).catch(() => null);
    const reporting = res?.status === 200 ? JSON.parse(res.text)?.data?.national?.coverage?.reporting : -1;
    if (reporting >= FORCES) return;
    if (Date.now() > deadline)
      throw new Error(`${base} did not warm up within 60 s (reporting ${reporting})`);
    await sleep(200);
  }
}

interface Run extends LoadResult {
  readonly cpuUsPerRequest: number;
  readonly rssMaxMb: number;
}

async function measure(
  gateway: GatewayProcess,
  url: string,
  spec: ReturnType<TargetSpec['request']>,
  seconds: number,
): Promise<Run> {
  const pid = gateway.child.pid!;
  const load = {
    url,
    method: spec.method,
    headers: spec.headers,
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    connections: CONNECTIONS,
  };
  await runLoad({ ...load, durationSeconds: 1, warmupSeconds: 0 });
  let rssMaxMb = rssMb(pid);
  const sampler = setInterval(() => (rssMaxMb = Math.max(rssMaxMb, rssMb(pid))), 250);
  const before = cpuMs(pid) / 1000;
  try {
    const result = await runLoad({ ...load, durationSeconds: seconds, warmupSeconds: 0 });
    const cpu = cpuMs(pid) / 1000 - before;
    if (result.non2xx || result.errors)
      throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return { ...result, cpuUsPerRequest: (cpu * 1e6) / Math.max(1, result.requests), rssMaxMb };
  } finally {
    clearInterval(sampler);
  }
}

async function main(): Promise<void> {
  const log = (line: string) => process.stderr.write(`ab: ${line}\n`);
  const args = parseArgs(process.argv.slice(3));
  const sides = { A: buildSide(args.a, log), B: buildSide(args.b, log) };
  if (args.inproc) {
    if (args.flags.A || args.flags.B) throw new Error('--a-flags and --b-flags need the socket A/B');
    return inprocess(args, sides, log);
  }
  for (const side of ['A', 'B'] as const) {
    const flags = args.flags[side];
    if (flags)
      sides[side] = { ...sides[side], label: `${sides[side].label}, node flags [${flags.join(' ')}]` };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-bench-ab-'));
  const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
  const ctx = {
    analyst: keys.create('analyst', 'bench ab: analyst').token,
    journalist: keys.create('journalist', 'bench ab: journalist').token,
    feedHash: '',
  };
  ctx.feedHash = feedHashOf();

  const simulator = createSimulator({
    latencyMs: [0, 0],
    driftIntervalMs: TTL_SECONDS * 1000,
    ...(args.sources !== null ? { sources: args.sources } : {}),
  });
  try {
    const { baseUrl } = await simulator.listen(0);
    const configFile = writeWarmGatewayConfig(simulator, dir, baseUrl);
    /**
     * Starts one gateway per side, each with a Redis of its own, so each fetches every source itself
     * (sharing one, the side started second found the figures in Redis and skipped the fan-out).
     */
    const startPair = async (round: number): Promise<Record<'A' | 'B', GatewayProcess>> => {
      const pair = {} as Record<'A' | 'B', GatewayProcess>;
      for (const side of ['A', 'B'] as const) {
        const redis = await startRedisServer(dir);
        const nodeArgs = args.flags[side];
        pair[side] = await startGatewayProcess({
          root: sides[side].root,
          ...(nodeArgs ? { nodeArgs } : {}),
          env: gatewayEnv({
            configFile,
            redisUrl: redis.url,
            keysFile: path.join(dir, 'keys.json'),
            logLevel: 'info',
          }),
          logFile: path.join(dir, `gateway-${side}-${round}.log`),
          // Thousands of sources take a while to load.
          timeoutMs: 60_000,
        });
      }
      for (const side of ['A', 'B'] as const) {
        await waitWarm(`http://127.0.0.1:${pair[side].port}`, ctx.analyst);
        log(`round ${round + 1}: ${side} ${sides[side].label} on :${pair[side].port}`);
      }
      return pair;
    };
    const runs: Record<string, Run[]> = {};
    for (let round = 0; round < args.rounds; round++) {
      // Fresh processes every round: two processes of one build differed by up to a third in CPU per
      // request and by 100 MB in RSS for the whole of their lives (an A/A run), so one pair per run would
      // measure which process got lucky. A median over rounds of fresh pairs measures the build.
      const gateways = await startPair(round);
      for (const target of args.targets) {
        const order: Array<'A' | 'B'> =
          (round + args.targets.indexOf(target)) % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
        for (const side of order) {
          const spec = TARGETS[target]!.request(ctx);
          const run = await measure(
            gateways[side],
            `http://127.0.0.1:${gateways[side].port}${spec.path}`,
            spec,
            args.seconds,
          );
          (runs[`${side}|${target}`] ??= []).push(run);
          log(
            `round ${round + 1} ${target} ${side}: ${Math.round(run.rps)} rps, ${run.cpuUsPerRequest.toFixed(1)} µs CPU/request, RSS ${Math.round(run.rssMaxMb)} MB`,
          );
        }
      }
      await stopOwnedChildren();
    }
    const summary = args.targets.map((target) => {
      const of = (side: 'A' | 'B') => {
        const r = runs[`${side}|${target}`]!;
        return {
          rps: median(r.map((x) => x.rps)),
          cpuUs: median(r.map((x) => x.cpuUsPerRequest)),
          rssMaxMb: Math.max(...r.map((x) => x.rssMaxMb)),
          rpsRounds: r.map((x) => Math.round(x.rps)),
          cpuRounds: r.map((x) => Number(x.cpuUsPerRequest.toFixed(1))),
        };
      };
      return { target, what: TARGETS[target]!.what, A: of('A'), B: of('B') };
    });
    const pct = (b: number, a: number) => `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)} %`;
    const lines = [
      `# A/B: ${args.name}`,
      '',
      `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.versions.node}, by \`node test/bench/run.js ab --a ${args.a} --b ${args.b}${(['A', 'B'] as const).map((side) => (args.flags[side] ? ` --${side.toLowerCase()}-flags '${args.flags[side]!.join(' ')}'` : '')).join('')} --rounds ${args.rounds} --seconds ${args.seconds} --targets ${args.targets.join(',')}${args.sources !== null ? ` --sources ${args.sources}` : ''} --name ${args.name}\`.`,
      '',
      `- A: ${sides.A.label}`,
      `- B: ${sides.B.label}`,
      `- ${FORCES} simulated forces${args.sources !== null ? ` served by ${args.sources} single-force sources` : ''}, warm; ${CONNECTIONS} connections; ${args.rounds} rounds of ${args.seconds} s per target and side, alternating A/B order; medians.`,
      '',
      '| target | A rps | B rps | B vs A | A CPU µs/req | B CPU µs/req | B vs A | A RSS max MB | B RSS max MB |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...summary.map(
        (s) =>
          `| ${s.what} | ${Math.round(s.A.rps)} | ${Math.round(s.B.rps)} | ${pct(s.B.rps, s.A.rps)} | ${s.A.cpuUs.toFixed(1)} | ${s.B.cpuUs.toFixed(1)} | ${pct(s.B.cpuUs, s.A.cpuUs)} | ${Math.round(s.A.rssMaxMb)} | ${Math.round(s.B.rssMaxMb)} |`,
      ),
      '',
      'Per round (rps; CPU µs/request):',
      '',
      ...summary.map(
        (s) =>
          `- ${s.target}: A ${s.A.rpsRounds.join(', ')}; ${s.A.cpuRounds.join(', ')} — B ${s.B.rpsRounds.join(', ')}; ${s.B.cpuRounds.join(', ')}`,
      ),
    ];
    const feedA = summary.find((s) => s.target === 'feed')?.A;
    const coded = summary.filter((s) => s.target === 'feed-br' || s.target === 'feed-gzip');
    if (feedA && coded.length) {
      lines.push(
        '',
        "Compressed feeds on B against A's uncompressed feed (the same request without Accept-Encoding):",
        '',
      );
      for (const s of coded)
        lines.push(
          `- ${s.target}: throughput ${pct(s.B.rps, feedA.rps)}, CPU per request ${pct(s.B.cpuUs, feedA.cpuUs)}`,
        );
    }
    fs.mkdirSync(RESULTS, { recursive: true });
    // Formatted as the repository's prettier config wants, so `npm run lint` passes on committed results.
    await writeFormatted(path.join(RESULTS, `ab-${args.name}.md`), `${lines.join('\n')}\n`, log);
    await writeFormatted(
      path.join(RESULTS, `ab-${args.name}.json`),
      JSON.stringify({ args, sides, summary }),
      log,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stopOwnedChildren();
    await simulator.close();
  }
}

/**
 * The in-process A/B (`--inproc`): each round starts a fresh pair of processes, one per build, each of which
 * builds the app on the bundled figures (no Redis, no network) and drives its request handler
 * with node's own request and response objects over a socket that drops what is written
 * (`inproc-child.js`), measuring the process's CPU per request with `process.cpuUsage`. No load generator
 * and no kernel network stack share the cores, so this measures the gateway's own code per request far
 * more steadily than over sockets on this machine. Both processes stay alive through the round and take
 * turns in short batches, so a ratio is taken between batches a second apart rather than between processes
 * minutes apart (which on this VM differed by up to 20 % through steal alone). Targets: persisted GET, the feed, and the analyst's document by POST.
 */
async function inprocess(
  args: Args,
  sides: Record<'A' | 'B', { root: string; label: string }>,
  log: (line: string) => void,
): Promise<void> {
  const targets = [
    {
      name: 'persisted',
      role: 'journalist',
      method: 'GET',
      path: TARGETS.persisted!.request({ journalist: '', analyst: '', feedHash: feedHashOf() }).path,
      headers: { 'apollo-require-preflight': 'true' },
    },
    { name: 'feed', role: 'journalist', method: 'GET', path: FEED_PATH, headers: {} },
    {
      name: 'analyst',
      role: 'analyst',
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: ANALYST_DOCUMENT }),
    },
  ];
  const child = path.join(__dirname, 'inproc-child.js');
  // Per target: the batch ratios B/A of each round (paired in time), and each side's batch figures.
  const results: Record<string, { ratios: number[][]; A: number[]; B: number[] }> = {};
  for (const t of targets) results[t.name] = { ratios: [], A: [], B: [] };
  for (let round = 0; round < args.rounds; round++) {
    // Start order alternates too; then both rest, so that neither is still compiling its warm-up's hot
    // functions on V8's background threads (whose CPU counts as the process's) while the other is measured.
    const first: 'A' | 'B' = round % 2 === 0 ? 'A' : 'B';
    const second: 'A' | 'B' = first === 'A' ? 'B' : 'A';
    const started = await InprocChild.start(child, sides[first].root, targets);
    const pair = {
      [first]: started,
      [second]: await InprocChild.start(child, sides[second].root, targets),
    } as Record<'A' | 'B', InprocChild>;
    await new Promise((resolve) => setTimeout(resolve, INPROC_REST_MS));
    try {
      for (const t of targets) {
        const ratios: number[] = [];
        for (let batch = 0; batch < INPROC_BATCHES; batch++) {
          // Alternate which side goes first, so neither always follows the other's garbage collection.
          const order: Array<'A' | 'B'> = (round + batch) % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
          const us: Partial<Record<'A' | 'B', number>> = {};
          for (const side of order) us[side] = await pair[side].run(t.name, INPROC_BATCH_REQUESTS);
          results[t.name]!.A.push(us.A!);
          results[t.name]!.B.push(us.B!);
          ratios.push(us.B! / us.A!);
        }
        results[t.name]!.ratios.push(ratios);
        log(
          `round ${round + 1} ${t.name}: B/A median ${median(ratios).toFixed(3)} over ${ratios.length} batch pairs`,
        );
      }
    } finally {
      pair.A.stop();
      pair.B.stop();
    }
  }
  const pct = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)} %`;
  const lines = [
    `# A/B in process: ${args.name}`,
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.versions.node}, by \`node test/bench/run.js ab --inproc --a ${args.a} --b ${args.b} --rounds ${args.rounds} --name ${args.name}\`.`,
    '',
    `- A: ${sides.A.label}`,
    `- B: ${sides.B.label}`,
    `- ${args.rounds} rounds, each a fresh pair of processes (one per build, both alive), ${INPROC_WARM_REQUESTS.toLocaleString('en-GB')} requests of warm-up per target, then ${INPROC_BATCHES} batches per side of ${INPROC_BATCH_REQUESTS.toLocaleString('en-GB')} requests, A and B alternating batch by batch.`,
    "- **Round ratio:** the median of B/A over a round's adjacent batch pairs, so drift in the machine falls on both sides. **Across rounds:** the median of round ratios; the spread between rounds is the luck of a process (layout, JIT), which only more rounds average out.",
    '',
    '| target | A CPU µs/req | B CPU µs/req | B vs A (median round) | rounds B higher | round ratios |',
    '|---|---:|---:|---:|---:|---|',
    ...Object.entries(results).map(([name, r]) => {
      const roundRatios = r.ratios.map((xs) => median(xs));
      const higher = roundRatios.filter((x) => x > 1).length;
      return `| ${name} | ${median(r.A).toFixed(2)} | ${median(r.B).toFixed(2)} | ${pct(median(roundRatios))} | ${higher} of ${roundRatios.length} | ${roundRatios.map((x) => x.toFixed(3)).join(', ')} |`;
    }),
  ];
  fs.mkdirSync(RESULTS, { recursive: true });
  await writeFormatted(path.join(RESULTS, `ab-${args.name}.md`), `${lines.join('\n')}\n`, log);
  process.stdout.write(`${lines.join('\n')}\n`);
}

const INPROC_WARM_REQUESTS = 3_000;
const INPROC_BATCHES = 20;
const INPROC_REST_MS = 2_000;
const INPROC_BATCH_REQUESTS = 2_000;

/** One build's handler in a child process (`inproc-child.js`), driven a batch at a time over stdin. */
class InprocChild {
  private readonly lines: AsyncIterator<string>;

  private constructor(private readonly process: ChildProcess) {
    this.lines = readline.createInterface({ input: process.stdout! })[Symbol.asyncIterator]();
  }

  static async start(script: string, root: string, targets: readonly object[]): Promise<InprocChild> {
    const proc = spawn(
      process.execPath,
      [script, root, JSON.stringify(targets), String(INPROC_WARM_REQUESTS)],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const child = new InprocChild(proc);
    const first = await child.next();
    if (first !== 'ready') throw new Error(`${root}: the child said ${first}`);
    return child;
  }

  /** Drive n requests of a target; the CPU µs per request they took. */
  async run(target: string, n: number): Promise<number> {
    this.process.stdin!.write(`${target} ${n}\n`);
    const us = Number(await this.next());
    if (!Number.isFinite(us)) throw new Error(`the child gave no figure for ${target}`);
    return us;
  }

  stop(): void {
    this.process.stdin!.end('quit\n');
  }

  private async next(): Promise<string> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error('the child ended early');
    return value;
  }
}

/** The NationalLatest document's id in the trusted-documents manifest. */
function feedHashOf(): string {
  const manifest = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'src', 'generated', 'persisted-documents.json'), 'utf8'),
  ) as Record<string, string>;
  const key = Object.keys(manifest).find((k) => new RegExp(`^query ${FEED_OPERATION}\\b`).test(manifest[k]!));
  if (!key) throw new Error(`no ${FEED_OPERATION} in the manifest`);
  return key.replace(/^sha256:/, '');
}

process.on('exit', killOwnedChildren);
main().catch((error: unknown) => {
  process.stderr.write(`ab: ${(error as Error).message}\n`);
  killOwnedChildren();
  process.exit(1);
});
