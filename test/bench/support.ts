import type { ChildProcess } from 'node:child_process';
import http from 'node:http';

/** Shared by the benchmarks and the soak: child processes, loopback HTTP, percentiles. */

/** Whether a child process has ended. */
export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL after `graceMs`: no child outlives a benchmark. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (exited(child)) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (!exited(child)) child.kill('SIGKILL');
  }, graceMs);
  await done;
  clearTimeout(timer);
}

/** One request to a gateway on 127.0.0.1, with a bearer key; resolves with status and body text. */
export function loopbackRequest(options: {
  port: number;
  method: string;
  path: string;
  token: string;
  body?: string;
  agent: http.Agent;
  timeoutMs: number;
}): Promise<{ status: number; text: string }> {
  const { body } = options;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: options.port,
        method: options.method,
        path: options.path,
        agent: options.agent,
        headers: {
          authorization: `Bearer ${options.token}`,
          ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        },
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Nearest-rank percentile of sorted values (NaN when there are none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The environment of a gateway process in a benchmark: loopback, any free port, a run's own config and keys. */
export function gatewayEnv(options: {
  configFile: string;
  redisUrl: string;
  keysFile: string;
  logLevel: string;
  extra?: NodeJS.ProcessEnv;
}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    WHEREABOUTS_CONFIG: options.configFile,
    REDIS_URL: options.redisUrl,
    LOG_LEVEL: options.logLevel,
    WHEREABOUTS_KEYS_FILE: options.keysFile,
    NODE_ENV: 'production',
    ...options.extra,
  };
}
