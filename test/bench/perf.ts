/**
 * `npm run bench` (issue 6; not part of `npm test`): warm, cold and scale scenario groups, each as ratios
 * to references measured in the same run where the issue asks for one.
 *
 *   npm run bench                         # full run: writes test/bench/results/latest.{json,md} and README
 *   npm run bench -- --quick              # within 60 s: writes test/bench/results/quick.{json,md} only
 *   npm run bench -- --only warm,cold     # some groups (repeatable); writes results/partial.{json,md}
 *
 * Progress goes to stderr; the last line on stdout is always
 *
 *   feed_vs_R0=A feed_vs_R2=B analyst_vs_R1=C analyst_vs_R2=D feed_cpu_vs_R0=E analyst_cpu_vs_R2=F rss_mb=G
 *
 * (E and F are ratios of the servers' CPU time per request, read from /proc over each round; G is the
 * gateway's peak RSS over the warm targets)
 * (`n/a` for each when the warm group did not run). Exits 1 when a group failed to run (a missed target is
 * a result, not a failure); such a run writes results/partial.{json,md}, never latest.* or the README.
 * Every child process is stopped on the way out, also on errors, SIGINT/SIGTERM and the hard timeout.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MachineFacts } from './support';
import { ensureBuilt, killOwnedChildren, stopOwnedChildren, writeFormatted } from './support';
import type { ScenarioOptions, ScenarioResult } from './types';
import type { WarmRatios } from './warm';
import { runWarm } from './warm';

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS_DIR = path.join(__dirname, 'results');
const README = path.join(ROOT, 'README.md');
const MARK_START = '<!-- bench:start -->';
const MARK_END = '<!-- bench:end -->';
const GROUPS = ['warm', 'cold', 'scale'] as const;
type Group = (typeof GROUPS)[number];

/** Hard stop for the whole run, whatever happens (BENCH_TIMEOUT_SECONDS overrides). */
function overallTimeoutMs(quick: boolean): number {
  const env = Number(process.env.BENCH_TIMEOUT_SECONDS);
  return Number.isFinite(env) && env > 0 ? env * 1000 : quick ? 110_000 : 1_200_000;
}

const t0 = performance.now();
function progress(line: string): void {
  process.stderr.write(`bench [${((performance.now() - t0) / 1000).toFixed(1)} s]: ${line}\n`);
}

// ---------------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------------

function parseArgs(argv: readonly string[]): { quick: boolean; groups: Group[] } {
  let quick = false;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      if (!value) throw new UsageError('--only needs a group: warm, cold or scale');
      only.push(
        ...value
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean),
      );
    } else throw new UsageError(`unknown argument "${arg}"`);
  }
  const unknown = only.filter((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknown.length)
    throw new UsageError(`unknown group(s) ${unknown.join(', ')}; groups: ${GROUPS.join(', ')}`);
  return { quick, groups: only.length ? GROUPS.filter((g) => only.includes(g)) : [...GROUPS] };
}

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------------

type GroupRunner = (opts: ScenarioOptions) => Promise<ScenarioResult[]>;

/** cold.ts and scale.ts are optional: a group whose file does not exist yet is skipped, and says so. */
function loadGroup(group: 'cold' | 'scale'): GroupRunner | string {
  const file = path.join(__dirname, `${group}.ts`);
  if (!fs.existsSync(file)) return `test/bench/${group}.ts does not exist yet`;
  const exportName = group === 'cold' ? 'runCold' : 'runScale';
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional module, loaded only if present
  const mod = require(file) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== 'function') return `test/bench/${group}.ts does not export ${exportName}`;
  return fn as GroupRunner;
}

function skippedRow(section: string, why: string): ScenarioResult {
  return {
    section,
    name: `${section} group skipped: ${why}`,
    value: Number.NaN,
    unit: '',
    detail: { skipped: why },
  };
}

function failedRow(section: string, error: unknown): ScenarioResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    section,
    name: `${section} group failed: ${message.split('\n')[0]!.slice(0, 300)}`,
    value: Number.NaN,
    unit: '',
    pass: false,
    detail: { error: message.slice(0, 4000) },
  };
}

// ---------------------------------------------------------------------------------------------------
// Versions and machine
// ---------------------------------------------------------------------------------------------------

function packageVersion(name: string): string {
  try {
    const file = path.join(ROOT, 'node_modules', ...name.split('/'), 'package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

function environment(quick: boolean, startedAt: Date): Record<string, unknown> {
  let redis = '?';
  try {
    redis =
      /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5000 }))?.[1] ??
      '?';
  } catch {
    // stays '?'
  }
  const cpus = os.cpus();
  return {
    date: startedAt.toISOString(),
    quick,
    versions: {
      node: process.versions.node,
      '@apollo/server': packageVersion('@apollo/server'),
      graphql: packageVersion('graphql'),
      mercurius: packageVersion('mercurius'),
      fastify: packageVersion('fastify'),
      'graphql-jit': packageVersion('graphql-jit'),
      autocannon: packageVersion('autocannon'),
      ioredis: packageVersion('ioredis'),
      'redis-server': redis,
    },
    machine: {
      cpuModel: cpus[0]?.model ?? '?',
      cpus: cpus.length,
      totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
      os: `${os.type()} ${os.release()}`,
      arch: os.arch(),
      loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------

function ratiosLine(ratios: WarmRatios | null): string {
  const f = (n: number | undefined) => (ratios && Number.isFinite(n) ? n!.toFixed(2) : 'n/a');
  return (
    `feed_vs_R0=${f(ratios?.feed_vs_R0)} feed_vs_R2=${f(ratios?.feed_vs_R2)} ` +
    `analyst_vs_R1=${f(ratios?.analyst_vs_R1)} analyst_vs_R2=${f(ratios?.analyst_vs_R2)} ` +
    `feed_cpu_vs_R0=${f(ratios?.feed_cpu_vs_R0)} analyst_cpu_vs_R2=${f(ratios?.analyst_cpu_vs_R2)} ` +
    `rss_mb=${ratios && Number.isFinite(ratios.rss_mb) ? String(ratios.rss_mb) : 'n/a'}`
  );
}

function formatValue(r: ScenarioResult): string {
  if (!Number.isFinite(r.value)) return r.detail && 'skipped' in r.detail ? 'skipped' : '–';
  if (r.unit.startsWith('x ')) return r.value.toFixed(2);
  return Number.isInteger(r.value)
    ? r.value.toLocaleString('en-GB')
    : String(Math.round(r.value * 100) / 100);
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function markdown(
  results: readonly ScenarioResult[],
  ratios: WarmRatios | null,
  env: Record<string, unknown>,
): string {
  const v = env.versions as Record<string, string>;
  const m = env.machine as MachineFacts;
  const out: string[] = [];
  out.push(
    `Measured ${String(env.date).slice(0, 16).replace('T', ' ')} UTC${env.quick ? ' (--quick)' : ''} on ` +
      `${m.cpus} × ${m.cpuModel}, ${Math.round(m.totalMemoryMb / 1024)} GB, ${m.os}; Node ${v.node}, ` +
      `@apollo/server ${v['@apollo/server']}, graphql ${v.graphql}, mercurius ${v.mercurius}, fastify ${v.fastify}, ` +
      `graphql-jit ${v['graphql-jit']}, autocannon ${v.autocannon}, ioredis ${v.ioredis}, redis-server ${v['redis-server']}. ` +
      `Load average (1 min) ${m.loadAverageAtStart[0]} at start, ${m.loadAverageAtEnd?.[0] ?? '?'} at end.`,
  );
  const sections = [...new Set(results.map((r) => r.section))];
  for (const section of sections) {
    out.push(
      '',
      `**${section}**`,
      '',
      '| name | value | unit | target | pass |',
      '| --- | ---: | --- | --- | :---: |',
    );
    for (const r of results.filter((x) => x.section === section)) {
      const pass = r.pass === undefined ? '' : r.pass ? '✓' : '✗';
      out.push(
        `| ${cell(r.name)} | ${formatValue(r)} | ${cell(r.unit)} | ${cell(r.target ?? '')} | ${pass} |`,
      );
    }
  }
  out.push('', `\`${ratiosLine(ratios)}\``);
  return `${out.join('\n')}\n`;
}

/** Replaces what lies between the bench markers in README.md, adding a Performance section if absent. */
function updateReadme(table: string): void {
  const text = fs.readFileSync(README, 'utf8');
  const block = `${MARK_START}\n${table}${MARK_END}`;
  let next: string;
  const start = text.indexOf(MARK_START);
  const end = text.indexOf(MARK_END);
  if (start >= 0 && end > start) {
    next = text.slice(0, start) + block + text.slice(end + MARK_END.length);
  } else {
    const section = [
      '### Performance',
      '',
      '`npm run bench` (not part of `npm test`; `-- --quick` for a run within 60 s, `-- --only warm|cold|scale`)',
      'starts references beside Whereabouts on the same data and documents and reports each target as a ratio',
      'to them from the same run: R0 bare `node:http` returning pre-serialized bytes (the ceiling), R1 plain',
      'Apollo Server 5 standalone, R2 mercurius with graphql-jit. Whereabouts runs as in production (Redis,',
      'auth, limits and rate limiting on, info logs). Each server and the load generator (autocannon) is its',
      'own process; targets run one after another at 50 connections in an order reversed every round. Results',
      'go to `test/bench/results/latest.{md,json}` (full runs only) and below:',
      '',
      block,
      '',
    ].join('\n');
    const anchor = text.indexOf('\n### Container and Kubernetes');
    next =
      anchor >= 0
        ? `${text.slice(0, anchor + 1)}${section}\n${text.slice(anchor + 1)}`
        : `${text.trimEnd()}\n\n${section}`;
  }
  fs.writeFileSync(README, next);
}

// ---------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------

/**
 * Our direct children, by /proc (ppid = this process): whatever a group started, tracked with `own` or
 * not (autocannon, references, gateways, redis-server), so that the hard timeout and signals reach it.
 */
function directChildren(): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function signalChildren(signal: NodeJS.Signals): void {
  for (const pid of directChildren()) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Stops every child: owned ones gracefully, then any other direct child (SIGTERM, SIGKILL after 1 s). */
async function stopEverything(): Promise<void> {
  await stopOwnedChildren(1000);
  if (directChildren().length === 0) return;
  signalChildren('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  signalChildren('SIGKILL');
}

let interrupted = false;
process.on('exit', () => {
  killOwnedChildren();
  signalChildren('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    progress(`${signal}: stopping every child process`);
    void stopEverything().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  let args: { quick: boolean; groups: Group[] };
  try {
    args = parseArgs(process.argv.slice(3));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    progress(`${error.message}\nusage: npm run bench -- [--quick] [--only warm|cold|scale ...]`);
    return 64;
  }
  const { quick, groups } = args;
  ensureBuilt(progress);
  const startedAt = new Date();
  const env = environment(quick, startedAt);
  const opts: ScenarioOptions = { quick, log: progress };
  progress(`${quick ? 'quick' : 'full'} run of ${groups.join(', ')}`);

  const timeoutMs = overallTimeoutMs(quick);
  const timer = setTimeout(() => {
    progress(`gave up after ${timeoutMs / 1000} s (hard timeout)`);
    process.stdout.write(`${ratiosLine(null)}\n`);
    void stopEverything().finally(() => process.exit(1));
  }, timeoutMs);
  timer.unref();

  const results: ScenarioResult[] = [];
  let ratios: WarmRatios | null = null;
  let failed = false;
  const durations: Record<string, number> = {};
  for (const group of groups) {
    const t0 = performance.now();
    try {
      if (group === 'warm') {
        const warm = await runWarm(opts);
        results.push(...warm.results);
        ratios = warm.ratios;
      } else {
        const runner = loadGroup(group);
        if (typeof runner === 'string') {
          progress(`${group}: skipped (${runner})`);
          results.push(skippedRow(group, runner));
        } else results.push(...(await runner(opts)));
      }
    } catch (error) {
      if (interrupted) return 130;
      failed = true;
      progress(`${group} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      results.push(failedRow(group, error));
    } finally {
      await stopEverything(); // nothing a group started may run into the next one
    }
    durations[group] = Math.round((performance.now() - t0) / 100) / 10;
    progress(`${group} took ${durations[group]} s`);
  }
  clearTimeout(timer);

  (env.machine as Record<string, unknown>).loadAverageAtEnd = os
    .loadavg()
    .map((l) => Math.round(l * 100) / 100);
  const md = markdown(results, ratios, env);
  const json = {
    ...env,
    groups,
    durationsSeconds: durations,
    ratios,
    results: results.map((r) => ({ ...r, value: Number.isFinite(r.value) ? r.value : null })),
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  // Only a full run of every group, none failing, is what latest.* (committed) and the README show.
  const complete = !quick && !failed && groups.length === GROUPS.length;
  const base = quick ? 'quick' : complete ? 'latest' : 'partial';
  await writeFormatted(path.join(RESULTS_DIR, `${base}.json`), JSON.stringify(json, null, 2), progress);
  await writeFormatted(path.join(RESULTS_DIR, `${base}.md`), md, progress);
  if (complete) updateReadme(md);
  progress(`wrote test/bench/results/${base}.json and ${base}.md${complete ? ' and README.md' : ''}`);
  process.stderr.write(`\n${md}\n`);
  process.stdout.write(`${ratiosLine(ratios)}\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await stopEverything();
    process.stdout.write(`${ratiosLine(null)}\n`);
    process.exitCode = 1;
  },
);
