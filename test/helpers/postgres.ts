import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis';

const run = promisify(execFile);

/** Debian's PostgreSQL server binaries (`apt-get install postgresql`): the newest version installed. */
function serverBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error(
      'PostgreSQL server not installed: run `npm run deps:system` (apt-get install postgresql)',
    );
  return path.join(root, versions[0]!, 'bin');
}

/**
 * A real Debian PostgreSQL server on a loopback port, owned by one test file: its own cluster in a temp
 * dir (initdb), trust authentication for one user, no fsync (tests never need durability across a power
 * cut), its socket in the same dir. PostgreSQL refuses to run as root, so as root (CI) it runs as the
 * `postgres` user Debian's package creates.
 */
export class PostgresServer {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
  ) {}

  /** A connection string for a database of the server (`postgres` unless named). */
  url(database = 'postgres'): string {
    return `postgres://whereabouts@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts a fresh cluster and waits until it accepts connections. */
  static async start(): Promise<PostgresServer> {
    const bin = serverBinDir();
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `whereabouts-pg-${port}-`));
    const server = new PostgresServer(port, dir, bin);
    if (process.getuid?.() === 0) await run('chown', ['-R', 'postgres:postgres', dir]);
    await server.as(path.join(bin, 'initdb'), [
      '-D',
      path.join(dir, 'data'),
      '-U',
      'whereabouts',
      '--auth=trust',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    await server.pgCtl('start', [
      '-w',
      '-t',
      '30',
      '-l',
      path.join(dir, 'server.log'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
    ]);
    return server;
  }

  /** Creates a database (each test file or case can have its own). */
  async createDatabase(name: string): Promise<string> {
    await this.as(path.join(this.bin, 'createdb'), [
      '-h',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-U',
      'whereabouts',
      name,
    ]);
    return this.url(name);
  }

  /** Stops the server at once and removes its files. */
  async stop(): Promise<void> {
    await this.pgCtl('stop', ['-m', 'immediate', '-w']).catch(() => {});
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private pgCtl(action: string, args: readonly string[]) {
    return this.as(path.join(this.bin, 'pg_ctl'), ['-D', path.join(this.dir, 'data'), ...args, action]);
  }

  private as(command: string, args: readonly string[]) {
    const asRoot = process.getuid?.() === 0;
    return run(
      asRoot ? 'runuser' : command,
      asRoot ? ['-u', 'postgres', '--', command, ...args] : [...args],
      {
        timeout: 60_000,
      },
    );
  }
}
