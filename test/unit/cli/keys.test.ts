import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { ApiKeyStore } from '../../../src/access/api-keys';
import { ROLES } from '../../../src/access/caller';
import { buildCli } from '../../../src/cli/main';

let dir: string;
let file: string;
const savedEnv = process.env.WHEREABOUTS_KEYS_FILE;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-keys-cli-'));
  file = path.join(dir, 'keys.json');
  process.env.WHEREABOUTS_KEYS_FILE = file;
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  if (savedEnv === undefined) delete process.env.WHEREABOUTS_KEYS_FILE;
  else process.env.WHEREABOUTS_KEYS_FILE = savedEnv;
  jest.restoreAllMocks();
});

interface Run {
  readonly stdout: string;
  readonly stderr: string;
  /** 0, or the exit code commander would have exited with. */
  readonly exitCode: number;
}

/** Makes every command throw instead of exiting, and sends commander's own output to the buffers. */
function capture(command: Command, out: string[], err: string[]): void {
  command.exitOverride();
  command.configureOutput({ writeOut: (s) => void out.push(s), writeErr: (s) => void err.push(s) });
  for (const sub of command.commands) capture(sub, out, err);
}

/** Runs `whereabouts ...args` in process, capturing stdout and stderr. */
async function run(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const program = buildCli();
  capture(program, out, err);
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  let exitCode = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) exitCode = error.exitCode;
    else {
      // What src/cli/main.ts does with any other error.
      err.push(`whereabouts: ${(error as Error).message}\n`);
      exitCode = 1;
    }
  } finally {
    jest.restoreAllMocks();
  }
  return { stdout: out.join(''), stderr: err.join(''), exitCode };
}

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1] ?? '';
}

describe('whereabouts keys create', () => {
  it.each(ROLES)('prints a %s key alone on the last line, and it verifies', async (role) => {
    const result = await run('keys', 'create', '--role', role, '--label', `the ${role}`);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    const token = lastLine(result.stdout);
    expect(token).toMatch(/^wa_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(result.stdout.split('\n').length).toBeGreaterThan(2); // an explanation first
    expect(result.stdout).toContain('only time');
    const caller = ApiKeyStore.load(file).verify(`Bearer ${token}`);
    expect(caller).toEqual({ keyId: token.slice(3, 15), role, via: 'api-key' });
    expect(fs.readFileSync(file, 'utf8')).not.toContain(token);
  });

  it('writes to --file rather than WHEREABOUTS_KEYS_FILE', async () => {
    const other = path.join(dir, 'sub', 'other.json');
    const result = await run('keys', 'create', '--role', 'analyst', '--label', 'x', '--file', other);
    expect(result.exitCode).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
    expect(ApiKeyStore.load(other).verify(`Bearer ${lastLine(result.stdout)}`)).not.toBeNull();
  });

  it('exits 2, listing the roles, for an unknown role', async () => {
    const result = await run('keys', 'create', '--role', 'admin', '--label', 'x');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('role must be one of analyst, dashboard, journalist, operator');
    expect(result.stdout).toBe('');
    expect(fs.existsSync(file)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(81)],
    ['with a new line', 'a\nb'],
  ])('exits 2 for a label %s', async (_name, label) => {
    const result = await run('keys', 'create', '--role', 'analyst', '--label', label);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/label must be/);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('requires --role and --label', async () => {
    expect((await run('keys', 'create', '--label', 'x')).exitCode).not.toBe(0);
    expect((await run('keys', 'create', '--role', 'analyst')).exitCode).not.toBe(0);
  });
});

describe('whereabouts keys list', () => {
  it('prints a table of id, role, label, created and revoked, with no hash or key', async () => {
    const a = await run('keys', 'create', '--role', 'analyst', '--label', 'research desk');
    const b = await run('keys', 'create', '--role', 'operator', '--label', 'ops');
    const tokenB = lastLine(b.stdout);
    await run('keys', 'revoke', tokenB.slice(3, 15));

    const result = await run('keys', 'list');
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+ROLE\s+LABEL\s+CREATED\s+REVOKED$/);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${lastLine(a.stdout).slice(3, 15)}\\s+analyst\\s+research desk\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+-$`,
      ),
    );
    expect(lines[2]).toMatch(
      new RegExp(`^${tokenB.slice(3, 15)}\\s+operator\\s+ops\\s+\\S+\\s+\\d{4}-\\d\\d-\\d\\dT\\S+$`),
    );
    expect(result.stdout).not.toMatch(/[0-9a-f]{64}/);
    expect(result.stdout).not.toContain('wa_');
    expect(result.stdout).not.toMatch(/hash/i);
  });

  it('says so when there are no keys', async () => {
    const result = await run('keys', 'list');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`no keys in ${file}\n`);
  });
});

describe('whereabouts keys revoke', () => {
  it('revokes a key so that it no longer verifies', async () => {
    const token = lastLine((await run('keys', 'create', '--role', 'journalist', '--label', 'x')).stdout);
    const id = token.slice(3, 15);
    const result = await run('keys', 'revoke', id);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`revoked key ${id}\n`);
    expect(ApiKeyStore.load(file).verify(`Bearer ${token}`)).toBeNull();
    const again = await run('keys', 'revoke', id);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('already revoked');
  });

  it('exits 1 with "no such key" for an unknown id', async () => {
    await run('keys', 'create', '--role', 'analyst', '--label', 'x');
    const result = await run('keys', 'revoke', '0123456789ab');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe('whereabouts: no such key: "0123456789ab"\n');
    expect(result.stdout).toBe('');
  });
});

it('exits 1 naming the file and field when the keys file is invalid', async () => {
  fs.writeFileSync(file, JSON.stringify({ version: 1, keys: [{ id: 'nope' }] }));
  const result = await run('keys', 'list');
  expect(result.exitCode).toBe(1);
  expect(result.stderr).toContain(`invalid keys file ${file}`);
  expect(result.stderr).toContain('keys[0].id');
});

describe('whereabouts keys --help', () => {
  it.each([[['keys']], [['keys', 'create']], [['keys', 'list']], [['keys', 'revoke']]])(
    '%j --help describes the command and the keys file',
    async (words) => {
      const result = await run(...words, '--help');
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain(`Usage: whereabouts ${words.join(' ')}`);
      expect(result.stdout).toContain('WHEREABOUTS_KEYS_FILE');
    },
  );
});
