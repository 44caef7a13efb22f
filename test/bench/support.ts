import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/redis';

const execFileAsync = promisify(execFile);

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

// ---------------------------------------------------------------------------------------------------
// Processes a benchmark owns: tracked so that nothing outlives it (see `killOwnedChildren`)
// ---------------------------------------------------------------------------------------------------

/** Every child process started through `own` that has not exited yet. */
export const ownedChildren = new Set<ChildProcess>();

/** Tracks a child process until it exits, so that `killOwnedChildren` can reach it. */
export function own<T extends ChildProcess>(child: T): T {
  ownedChildren.add(child);
  child.once('exit', () => ownedChildren.delete(child));
  return child;
}

/** Last resort (on `exit`, or after a timeout): SIGKILL every owned child still running. */
export function killOwnedChildren(): void {
  for (const child of ownedChildren) if (!exited(child)) child.kill('SIGKILL');
}

/** Stops every owned child (SIGTERM, then SIGKILL after `graceMs`). */
export async function stopOwnedChildren(graceMs = 3000): Promise<void> {
  await Promise.all([...ownedChildren].map((c) => stopChild(c, graceMs)));
}

/**
 * A Debian `redis-server` on a free loopback port, without persistence, its files in `dir`; owned (see
 * `own`). Resolves once it answers PING.
 */
export async function startRedisServer(
  dir: string,
): Promise<{ port: number; url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = own(
    spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    ),
  );
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (e) => reject(new Error(`cannot start redis-server: ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited early (code ${code})`)));
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const pong = await Promise.race([
      execFileAsync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'PING'], { timeout: 5000 }).then(
        (r) => r.stdout.trim(),
        () => '',
      ),
      failed,
    ]);
    if (pong === 'PONG') return { port, url: `redis://127.0.0.1:${port}`, child };
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
}

/** A gateway process started by `startGatewayProcess`. */
export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly sources: number;
  readonly forces: number;
  /** Where its stdout and stderr go. */
  readonly logFile: string;
}

/**
 * Starts `node dist/index.js` (owned, see `own`) with `env` (see `gatewayEnv`), its stdout and stderr
 * written straight to `logFile` (never through this process, so that logging costs the benchmark
 * nothing), and resolves with its port once it prints its listening line.
 */
/**
 * The Node flags production runs the gateway with: those of package.json's `start` script (the
 * Dockerfile's CMD repeats them), so benchmarks measure the process as it is deployed.
 */
export function productionNodeFlags(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const m = /^node\s+(.*?)\s*dist\/index\.js$/.exec(pkg.scripts.start ?? '');
  if (!m) throw new Error('package.json start script is not "node [flags] dist/index.js"');
  return m[1] ? m[1].split(/\s+/) : [];
}

export async function startGatewayProcess(options: {
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Node arguments before the entry, e.g. ['-r', preload]; by default production's (`productionNodeFlags`). */
  nodeArgs?: readonly string[];
  /** The node binary that runs the gateway (another Node version, say); by default this process's own. */
  execPath?: string;
  /** The checkout whose `dist/index.js` runs (another build, for an A/B); by default this one. */
  root?: string;
  timeoutMs?: number;
}): Promise<GatewayProcess> {
  const root = options.root ?? path.resolve(__dirname, '..', '..');
  const entry = path.join(root, 'dist', 'index.js');
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run npm run build`);
  const fd = fs.openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = own(
      spawn(options.execPath ?? process.execPath, [...(options.nodeArgs ?? productionNodeFlags()), entry], {
        cwd: root,
        // Its archive beside its log, never in the checkout, unless the bench sets one.
        env: {
          WHEREABOUTS_ARCHIVE_FILE: `${options.logFile.replace(/\.log$/, '')}.archive.sqlite`,
          ...options.env,
        },
        stdio: ['ignore', fd, fd],
      }),
    );
  } finally {
    fs.closeSync(fd);
  }
  const tail = () => fs.readFileSync(options.logFile, 'utf8').slice(-4000);
  let spawnError: Error | null = null;
  child.once('error', (e) => (spawnError = e));
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`cannot start the gateway: ${(spawnError as Error).message}`);
    if (exited(child))
      throw new Error(
        `the gateway exited before listening (${child.signalCode ?? child.exitCode}):\n${tail()}`,
      );
    const m =
      /Whereabouts gateway on http:\/\/[^:]+:(\d+)\/graphql \([^:]*: (\d+) sources, (\d+) forces\)/.exec(
        fs.readFileSync(options.logFile, 'utf8'),
      );
    if (m)
      return {
        child,
        port: Number(m[1]),
        sources: Number(m[2]),
        forces: Number(m[3]),
        logFile: options.logFile,
      };
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`the gateway did not listen within ${options.timeoutMs ?? 30_000} ms:\n${tail()}`);
}

/**
 * Writes a results file as prettier would (`npm run lint` checks test/bench/results too); if prettier
 * cannot format it, says so through `progress` and writes it as it is.
 */
export async function writeFormatted(
  file: string,
  text: string,
  progress: (line: string) => void,
): Promise<void> {
  let out = text;
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(file)) ?? {};
    out = await prettier.format(text, { ...config, filepath: file });
  } catch (error) {
    progress(`prettier could not format ${path.basename(file)}: ${(error as Error).message}`);
  }
  fs.writeFileSync(file, out.endsWith('\n') ? out : `${out}\n`);
}

/** Newest modification time of any file under `dir` (ms). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * The gateway runs from dist/ (as `npm start` does): builds it when src/ changed since the last build,
 * with the project's Node first on PATH (npm scripts then build with it, whatever Node the machine has).
 * A fresh clone has it built by `npm ci` (prepare), so a quick run does not pay for a build. Throws when
 * the build fails.
 */
export function ensureBuilt(progress: (line: string) => void): void {
  const root = path.resolve(__dirname, '..', '..');
  const entry = path.join(root, 'dist', 'index.js');
  if (fs.existsSync(entry) && fs.statSync(entry).mtimeMs >= newestMtime(path.join(root, 'src'))) return;
  progress('src/ changed since the last build: npm run build');
  execFileSync('npm', ['run', 'build'], {
    cwd: root,
    env: { ...process.env, PATH: `${path.join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** The machine a benchmark ran on, as its results record it. */
export interface MachineFacts {
  cpuModel: string;
  cpus: number;
  totalMemoryMb: number;
  os: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
}

/** A process' resident set size in MB (VmRSS in /proc/<pid>/status); NaN when it cannot be read. */
export function rssMb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat; NaN if unreadable. */
export function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time (user + system, ms) each thread of a process has used so far, by thread name (`comm`; threads
 * of one name are added up), from /proc/<pid>/task/<tid>/stat. Says whether a cost is the event loop's
 * (`node`) or a helper's (V8's GC and compiler threads, libuv's pool).
 */
export function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '#');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
      out.set(name, (out.get(name) ?? 0) + ms);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}
