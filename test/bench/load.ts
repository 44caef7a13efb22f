import { spawn } from 'node:child_process';
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
        });
      } catch {
        reject(new Error(`autocannon printed no JSON report: ${text.slice(0, 200)}`));
      }
    });
  });
}
