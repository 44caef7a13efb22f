import { execFile, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

/** One load run's outcome, as autocannon measured it from its own process. */
export interface LoadResult {
  /** Mean requests per second over the run (2xx and 304 only; anything else is counted in `non2xx`). */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly durationSeconds: number;
  /** Requests answered during the warm-up (not in `requests`): CPU read over the whole run divides by both. */
  readonly warmupRequests: number;
}

/** What to fire, at how many connections, for how long. */
export interface LoadOptions {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** @default 50 */
  readonly connections?: number;
  readonly durationSeconds: number;
  /** Seconds of unmeasured warm-up at the same connection count, in the same autocannon run. @default 1 */
  readonly warmupSeconds?: number;
}

const AUTOCANNON = path.join(path.dirname(require.resolve('autocannon/package.json')), 'autocannon.js');

/**
 * Runs autocannon in a separate Node process (so the load generator never shares an event loop with the
 * server under test) and parses its `--json` report. Rejects when autocannon fails to run at all; a run
 * with errors or non-2xx answers resolves, and says so in the result.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const args = [
    AUTOCANNON,
    '--json',
    '--no-progress',
    '-c',
    String(options.connections ?? 50),
    '-d',
    String(options.durationSeconds),
    '-m',
    options.method ?? 'GET',
    '-t',
    '10',
  ];
  const warmup = options.warmupSeconds ?? 1;
  if (warmup > 0) args.push('-W', '[', '-c', String(options.connections ?? 50), '-d', String(warmup), ']');
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}=${value}`);
  if (options.body !== undefined) args.push('-b', options.body);
  args.push(options.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('exit', (code) => {
      const text = Buffer.concat(out).toString();
      if (code !== 0) {
        reject(new Error(`autocannon exited ${code}: ${Buffer.concat(err).toString().slice(0, 500)}`));
        return;
      }
      try {
        // With a warm-up, autocannon prints the warm-up's report first: the measured run's is the last line.
        const lines = text.trim().split('\n');
        const warmupReport =
          lines.length > 1 ? (JSON.parse(lines[0]!) as { requests: { total: number } }) : null;
        const report = JSON.parse(lines[lines.length - 1]!) as {
          requests: { average: number; total: number };
          latency: { p50: number; p99: number };
          non2xx: number;
          errors: number;
          timeouts: number;
          duration: number;
          '2xx': number;
        };
        resolve({
          rps: report.requests.average,
          p50Ms: report.latency.p50,
          p99Ms: report.latency.p99,
          requests: report.requests.total,
          non2xx: report.non2xx,
          errors: report.errors,
          timeouts: report.timeouts,
          durationSeconds: report.duration,
          warmupRequests: warmupReport?.requests.total ?? 0,
        });
      } catch {
        reject(new Error(`autocannon printed no JSON report: ${text.slice(0, 200)}`));
      }
    });
  });
}

/** What one open-loop run measured (`open-loop.lua`); latencies in ms. */
export interface OpenLoadReport {
  readonly requests: number;
  readonly seconds: number;
  /** Answers per second (any status). */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Answers other than 2xx or 3xx. */
  readonly non2xx: number;
  /** Connect, read and write errors and timeouts. */
  readonly errors: number;
}

export interface OpenLoadOptions {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The request rate aimed at: each connection thinks connections / rate seconds on average. */
  readonly rate: number;
  /** @default 50 */
  readonly connections?: number;
  readonly durationSeconds: number;
}

const OPEN_LOOP_SCRIPT = path.join(__dirname, 'open-loop.lua');

/** Whether `wrk` (Debian's package) is installed: the open-loop rows need it. */
export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

/**
 * A load at about a set rate, for latency (autocannon's closed loop gives at saturation only
 * connections ÷ rps): wrk, a C generator on its own thread, with `open-loop.lua`'s random think time
 * per connection. Latency is from the request's write to its answer's end, so a stall in the server
 * shows in every connection sending during it.
 */
export function runOpenLoad(options: OpenLoadOptions): Promise<OpenLoadReport> {
  const connections = options.connections ?? 50;
  // The think time that brings `connections` to `rate`, less about a millisecond of answer.
  const thinkMs = Math.max(0, (connections * 1000) / options.rate - 1);
  const args = [
    '-t',
    '1',
    '-c',
    String(connections),
    '-d',
    `${options.durationSeconds}s`,
    '--timeout',
    '10s',
  ];
  args.push('-s', OPEN_LOOP_SCRIPT);
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  args.push(options.url, '--', thinkMs.toFixed(2));
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (options.durationSeconds + 30) * 1000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`wrk failed: ${(stderr || error.message).slice(0, 500)}`));
        return;
      }
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      try {
        resolve(JSON.parse(line ?? '') as OpenLoadReport);
      } catch {
        reject(new Error(`wrk printed no JSON report: ${stdout.slice(0, 200)}`));
      }
    });
  });
}
