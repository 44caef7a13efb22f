/**
 * Where a warm request's CPU goes (issue 22): `node test/bench/run.js profile [--target T] [--seconds S]`.
 *
 * Starts the warm bench's gateway (Redis, 45 simulated forces, auth, rate limits, audit log at info) with
 * V8's sampling profiler on (`--cpu-prof`), warms it, loads one target with autocannon for S seconds, stops
 * the gateway (the profile is written as it exits) and prints the self time by function and by package,
 * plus the process's CPU per request from `/proc`. The `.cpuprofile` is kept in the run's directory for
 * Chrome DevTools. Targets: `persisted` (the feed as a persisted GET), `feed` (`/feeds/national-latest.json`),
 * `analyst` (the warm bench's ad-hoc analyst POST), `national` (the scale group's analyst POST,
 * `NATIONAL_QUERY`), or any path given as `/...` (a journalist GET).
 *
 * With `--sources N`, the simulator runs in scale mode instead (N single-force counts feeds spread
 * round-robin over the 45 forces, as the scale group's `startSimulator` does, but answering at once): to see
 * what of a warm request grows with the number of sources (issue 22, target 5).
 *
 * Sampling adds its own cost (about 10 %), so this says where the time goes, not how much there is: the
 * warm bench measures that.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore } from '../../src/access/api-keys';
import { createSimulator } from '../../src/simulator';
import { NATIONAL_QUERY } from './fanout';
import { runLoad } from './load';
import {
  cpuMs,
  ensureBuilt,
  gatewayEnv,
  killOwnedChildren,
  own,
  productionNodeFlags,
  rssMb,
  sleep,
  startGatewayProcess,
  startRedisServer,
  stopChild,
  stopOwnedChildren,
  threadCpuMs,
} from './support';
import { ANALYST_DOCUMENT, writeWarmGatewayConfig } from './warm';

const ROOT = path.resolve(__dirname, '..', '..');
const MANIFEST = path.join(ROOT, 'src', 'generated', 'persisted-documents.json');

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}
interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly startTime: number;
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** CLOCK_MONOTONIC in µs: the clock V8's profile timestamps use, read here to cut out the load window. */
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** The package (or `src/...` folder, or node's internals) a frame's script belongs to. */
function ownerOf(url: string): string {
  if (url === '') return '(native / GC / idle)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 14).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return `whereabouts ${path.dirname(url.slice(dist + 6))}`;
  return url;
}

/** Self time per function and per owner, in ms, from a `.cpuprofile`. */
export function summarise(
  profile: CpuProfile,
  window: { fromUs: number; toUs: number },
): {
  total: number;
  byFunction: Array<[string, number]>;
  byOwner: Array<[string, number]>;
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const owner = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    // Start-up and warm-up are not what is asked about: only samples inside the measured load count.
    if (at < window.fromUs || at > window.toUs) return;
    const ms = delta / 1000;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') return;
    total += ms;
    const name = `${functionName || '(anonymous)'} ${url ? `${path.basename(url)}:${lineNumber + 1}` : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + ms);
    const o = functionName === '(garbage collector)' ? '(garbage collector)' : ownerOf(url);
    owner.set(o, (owner.get(o) ?? 0) + ms);
  });
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { total, byFunction: sorted(fn), byOwner: sorted(owner) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(3);
  const option = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
  };
  const target = option('target', 'persisted');
  const seconds = Number(option('seconds', '10'));
  const top = Number(option('top', '40'));
  // With --syscalls, strace counts the gateway's system calls during the load instead of sampling its JS.
  const syscalls = args.includes('--syscalls');
  // With --perf, Linux perf samples the whole process (kernel, V8's runtime and builtins, JIT code) instead.
  const perf = args.includes('--perf');
  const v8Profile = !syscalls && !perf;
  // --node-flags "a b": extra Node/V8 flags for the gateway (to try one before an A/B).
  const extraFlags = option('node-flags', '').split(' ').filter(Boolean);
  // With --r0, the same load goes to R0 (bare node:http serving the target's captured answer) instead.
  const r0 = args.includes('--r0');
  // With --r2 (analyst target only), it goes to R2 (fastify + mercurius + graphql-jit) serving the same data.
  const r2 = args.includes('--r2');
  const reference = r0 ? 'R0' : r2 ? 'R2' : null;
  // Scale mode with this many sources; none: the default mixed layout (41 feeds for 45 forces).
  const sourcesArg = option('sources', '');
  const sources = sourcesArg === '' ? undefined : Number(sourcesArg);
  if (sources !== undefined && !(Number.isInteger(sources) && sources > 0))
    throw new Error(`--sources needs a positive whole number, not "${sourcesArg}"`);
  ensureBuilt((line) => process.stderr.write(`${line}\n`));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-profile-'));
  const simulator = createSimulator({ latencyMs: [0, 0], driftIntervalMs: 86_400_000, sources });
  try {
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    const analystKey = keys.create('analyst', 'bench profile: analyst').token;
    const journalistKey = keys.create('journalist', 'bench profile: journalist').token;
    const redis = await startRedisServer(dir);
    const { baseUrl } = await simulator.listen(0);
    const configFile = writeWarmGatewayConfig(simulator, dir, baseUrl);
    const gateway = await startGatewayProcess({
      env: gatewayEnv({
        configFile,
        redisUrl: redis.url,
        keysFile: path.join(dir, 'keys.json'),
        logLevel: 'info',
      }),
      logFile: path.join(dir, 'gateway.log'),
      timeoutMs: 60_000,
      nodeArgs:
        !v8Profile || reference
          ? [...productionNodeFlags(), ...extraFlags]
          : [...productionNodeFlags(), ...extraFlags, '--cpu-prof', '--cpu-prof-dir', dir],
    });
    const w = `http://127.0.0.1:${gateway.port}`;
    const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
    const feedKey = Object.keys(manifest).find((k) => /^query NationalLatest\b/.test(manifest[k]!))!;
    const load: { url: string; method?: 'POST'; headers: Record<string, string>; body?: string } =
      target === 'analyst' || target === 'national'
        ? {
            url: `${w}/graphql`,
            method: 'POST' as const,
            headers: { authorization: `Bearer ${analystKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ query: target === 'national' ? NATIONAL_QUERY : ANALYST_DOCUMENT }),
          }
        : target === 'persisted'
          ? {
              url:
                `${w}/graphql?extensions=` +
                encodeURIComponent(
                  JSON.stringify({ persistedQuery: { version: 1, sha256Hash: feedKey.slice(7) } }),
                ),
              headers: { authorization: `Bearer ${journalistKey}`, 'apollo-require-preflight': 'true' },
            }
          : {
              url: `${w}${target === 'feed' ? '/feeds/national-latest.json' : target}`,
              headers: { authorization: `Bearer ${journalistKey}` },
            };
    // Warm: every force reporting, then the target itself a few hundred times.
    // Thousands of sources take longer to fetch the first time (the fetch concurrency cap).
    const deadline = Date.now() + 30_000 + (sources ?? 0) * 10;
    for (;;) {
      const res = await fetch(`${w}/readyz`).catch(() => null);
      if (res?.status === 200 && ((await res.json()) as { reasons: unknown[] }).reasons.length === 0) break;
      if (Date.now() > deadline) throw new Error('the gateway did not warm up in time');
      await sleep(100);
    }
    const first = await fetch(load.url, {
      method: load.method ?? 'GET',
      headers: load.headers,
      body: load.body,
    });
    if (first.status !== 200)
      throw new Error(`${target}: HTTP ${first.status}: ${(await first.text()).slice(0, 300)}`);
    let measured = gateway.child;
    if (reference) {
      const bytes = Buffer.from(await first.arrayBuffer());
      let script: string[];
      if (r2) {
        if (target !== 'analyst') throw new Error('--r2 runs the analyst document only');
        const dataFile = path.join(dir, 'r2-data.json');
        const { data } = JSON.parse(bytes.toString()) as { data: unknown };
        fs.writeFileSync(dataFile, JSON.stringify({ AnalystNationalOverview: data }));
        script = [
          'references/r2-mercurius',
          '--schema',
          path.join(ROOT, 'schema', 'schema.graphql'),
          '--data',
          dataFile,
        ];
      } else {
        const bodyFile = path.join(dir, 'r0-body.bin');
        fs.writeFileSync(bodyFile, bytes);
        fs.writeFileSync(
          path.join(dir, 'r0-headers.json'),
          JSON.stringify({ 'content-type': first.headers.get('content-type') }),
        );
        script = ['references/r0-bare', '--body', bodyFile, '--headers', path.join(dir, 'r0-headers.json')];
      }
      await stopChild(gateway.child);
      measured = own(
        spawn(
          process.execPath,
          [
            ...extraFlags,
            ...(v8Profile ? ['--cpu-prof', '--cpu-prof-dir', dir] : []),
            path.join(__dirname, 'run.js'),
            ...script,
          ],
          { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } },
        ),
      );
      const line = await new Promise<string>((resolve) =>
        measured.stdout!.once('data', (c: Buffer) => resolve(c.toString())),
      );
      const port = (JSON.parse(line) as { port: number }).port;
      load.url = r2 ? `http://127.0.0.1:${port}/graphql` : `http://127.0.0.1:${port}/`;
      if (r2) load.headers = { 'content-type': 'application/json' };
    }
    await runLoad({ ...load, durationSeconds: 2, warmupSeconds: 0 });

    const pid = measured.pid!;
    const strace = syscalls
      ? spawn('strace', ['-c', '-f', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] })
      : null;
    const perfData = path.join(dir, 'perf.data');
    const perfRecord = perf
      ? spawn('perf', ['record', '-q', '-g', '-o', perfData, '-p', String(pid)], { stdio: 'ignore' })
      : null;
    if (perfRecord) await sleep(500);
    const straceOut: Buffer[] = [];
    strace?.stderr.on('data', (chunk: Buffer) => straceOut.push(chunk));
    if (strace) await sleep(500);
    const cpuBefore = cpuMs(pid);
    const threadsBefore = threadCpuMs(pid);
    if (process.env.PROFILE_SIGNAL) process.kill(pid, process.env.PROFILE_SIGNAL as NodeJS.Signals);
    const fromUs = monotonicUs();
    const result = await runLoad({ ...load, durationSeconds: seconds, warmupSeconds: 0 });
    const toUs = monotonicUs();
    if (process.env.PROFILE_SIGNAL) {
      process.kill(pid, process.env.PROFILE_SIGNAL as NodeJS.Signals);
      await sleep(2000);
    }
    const cpu = cpuMs(pid) - cpuBefore;
    const threads = [...threadCpuMs(pid)]
      .map(([name, ms]) => [name, ms - (threadsBefore.get(name) ?? 0)] as const)
      .filter(([, ms]) => ms > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([name, ms]) => `${((ms * 1000) / result.requests).toFixed(1)} µs ${name}`)
      .join(', ');
    const rss = rssMb(pid);
    if (perfRecord) {
      const exited = new Promise((resolve) => perfRecord.once('exit', resolve));
      perfRecord.kill('SIGINT');
      await exited;
      const report = (sort: string, extra: string[] = []) =>
        execFileSync(
          'perf',
          [
            'report',
            '-i',
            perfData,
            '--no-children',
            '-g',
            'none',
            '--percent-limit',
            '0.3',
            '--sort',
            sort,
            '--stdio',
            ...extra,
          ],
          {
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
            stdio: ['ignore', 'pipe', 'ignore'],
          },
        )
          .split('\n')
          .filter((line) => /^\s+[\d.]+%/.test(line))
          .slice(0, top)
          .map((line) => {
            const share = Number(/([\d.]+)%/.exec(line)![1]) / 100;
            return `${(((cpu * 1000) / result.requests) * share).toFixed(2).padStart(8)} µs  ${line.trim()}`;
          });
      process.stdout.write(
        [
          `# perf of ${reference ? `${reference} serving ${target}'s answer` : target}: ${result.requests} requests in ${seconds} s (${Math.round(result.rps)} rps); process CPU ${((cpu * 1000) / result.requests).toFixed(1)} µs/request, shared out by perf's samples`,
          `by thread: ${threads}`,
          '',
          '## by object',
          ...report('dso'),
          '',
          '## by symbol',
          ...report('dso,sym'),
          '',
        ].join('\n'),
      );
      return;
    }
    if (strace) {
      const exited = new Promise((resolve) => strace.once('exit', resolve));
      strace.kill('SIGINT');
      await exited;
      const table = Buffer.concat(straceOut).toString();
      const rows = [...table.matchAll(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/gm)];
      process.stdout.write(
        [
          `# system calls of ${target}: ${result.requests} requests in ${seconds} s (strace on: rates are not the real ones)`,
          `by thread: ${threads}`,
          ...rows
            .map((m) => [m[2]!, Number(m[1]) / result.requests] as const)
            .sort((a, b) => b[1] - a[1])
            .map(([name, n]) => `${n.toFixed(3).padStart(8)} ${name} per request`),
          '',
        ].join('\n'),
      );
      return;
    }
    await stopChild(measured, 10_000);
    redis.child.kill();
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no .cpuprofile in ${dir}: did the gateway exit cleanly?`);
    const summary = summarise(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile, {
      fromUs,
      toUs,
    });
    const perRequest = (ms: number) => `${((ms * 1000) / result.requests).toFixed(2)} µs`;
    const out: string[] = [
      `# profile of ${reference ? `${reference} serving ${target}'s answer` : target}${sources === undefined ? '' : ` over ${sources} sources`}: ${result.requests} requests in ${seconds} s (${Math.round(result.rps)} rps, ${result.non2xx} non-2xx)`,
      `process CPU ${((cpu * 1000) / result.requests).toFixed(1)} µs/request (/proc, profiler on); RSS ${rss} MB; profile ${path.join(dir, file)}`,
      `by thread: ${threads}`,
      `sampled (not idle) ${perRequest(summary.total)} per request`,
      '',
      '## self time by owner',
      ...summary.byOwner.slice(0, 30).map(([o, ms]) => `${perRequest(ms).padStart(12)}  ${o}`),
      '',
      '## self time by function',
      ...summary.byFunction.slice(0, top).map(([f, ms]) => `${perRequest(ms).padStart(12)}  ${f}`),
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await simulator.close();
    await stopOwnedChildren();
  }
}

process.on('SIGINT', () => {
  killOwnedChildren();
  process.exit(130);
});
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  killOwnedChildren();
  process.exit(1);
});
