import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

/** Runs the built CLI (npm test builds before jest runs). */
function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the whereabouts CLI', () => {
  test.each([
    [[]],
    [['serve']],
    [['simulate']],
    [['demo']],
    [['keys']],
    [['feeds', 'list']],
    [['sources', 'check']],
    [['export']],
    [['schema']],
    [['errors']],
  ])('%j --help explains itself', (args) => {
    const r = cli([...args, '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: whereabouts/);
  });

  test('sources check fetches every source once and prints a table with status, latency and figures', () => {
    const r = cli(['sources', 'check']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^source\s+kind\s+shape\s+status\s+latency_ms\s+items\s+latest_unaccounted$/);
    // 89 figures (84 headlines once merged, 5 registered counts); 481 is the newest dated headline of each
    // of the 34 forces the file names, one basis per date, undated figures left out.
    expect(lines.find((l) => l.startsWith('published-figures'))).toMatch(
      /^published-figures\s+csv\s+counts\s+OK\s+\d+\s+89\s+481$/,
    );
    expect(lines.at(-1)).toBe('7 of 7 sources OK (embedded default)');
  });

  test('sources check exits 1 and names the failure when a source cannot be reached', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-cli-'));
    const file = path.join(dir, 'sources.yaml');
    fs.writeFileSync(
      file,
      'sources:\n  - id: gone\n    kind: json\n    location: http://127.0.0.1:9/feed.json\n    title: A source that is not there\n    timeoutMs: 500\n    retry: { maxAttempts: 1 }\n    mapping: { forceId: f, asAt: d, unaccounted: n }\n',
    );
    const r = cli(['sources', 'check', '--config', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /^gone\s+json\s+counts\s+UPSTREAM_UNREACHABLE: the source could not be reached/m,
    );
    expect(r.stdout.trim().split('\n').at(-1)).toBe(`0 of 1 sources OK (${file})`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("export --format csv gives the feeds' columns, one row per force, summing to the national total", () => {
    const r = cli(['export', '--format', 'csv', '--as-at', '2018-01-17']);
    expect(r.status).toBe(0);
    const rows = parse(r.stdout, { bom: true, columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(45);
    // 393: Sky News' 20 known per-force figures (Gloucestershire's 4 joined the first 19's 389).
    expect(rows.reduce((s, row) => s + Number(row.value || 0), 0)).toBe(393);
  });

  test('export --format json carries coverage and the published totals beside the sum', () => {
    const r = cli(['export', '--format', 'json', '--as-at', '2018-01-17']);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({
      asAt: '2018-01-17',
      unaccounted: 393,
      coverage: { forces: 45, reporting: 20, withoutFigure: 25 },
    });
    expect(json.publishedTotals.map((t: { value: number }) => t.value)).toEqual([485]);
  });

  // Exit codes, the same for every command (src/cli/exit-codes.ts): 2 for usage, 78 for configuration.
  test.each([
    [['export', '--as-at', '2018-02-30'], 2, 'whereabouts: --as-at 2018-02-30 is not a real calendar day\n'],
    [
      ['export', '--as-at', '2099-01-01'],
      2,
      `whereabouts: --as-at 2099-01-01 is in the future; the latest accepted is today, ${new Date().toISOString().slice(0, 10)}\n`,
    ],
    [
      ['export', '--as-at', '17/01/2018'],
      2,
      'whereabouts: --as-at must be a day written YYYY-MM-DD; got "17/01/2018"\n',
    ],
    [['export', '--format', 'xlsx'], 2, 'whereabouts: --format must be csv or json; got "xlsx"\n'],
    [
      ['export', '--window-days', '0'],
      2,
      'whereabouts: --window-days must be a whole number from 1 to 3650; got "0"\n',
    ],
    [
      ['serve', '--config', '/no/such/gateway.yaml'],
      78,
      'whereabouts: cannot read the --config file /no/such/gateway.yaml: no such file (ENOENT)\n',
    ],
    [
      ['sources', 'check', '--config', '/no/such/gateway.yaml'],
      78,
      'whereabouts: cannot read the --config file /no/such/gateway.yaml: no such file (ENOENT)\n',
    ],
  ])('%j is refused with exit %i and a message naming the argument', (args, status, message) => {
    const r = cli(args);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status, stderr: message });
  });

  test.each([
    [['--bogus'], "error: unknown option '--bogus'"],
    [['no-such-command'], "error: unknown command 'no-such-command'"],
    [
      ['simulate', '--latency-ms', '5,x', '--out', '/tmp/unused.yaml'],
      "error: option '--latency-ms <min[,max]>' argument '5,x' is invalid. must be MIN,MAX or one number",
    ],
    [['keys', 'create', '--label', 'x'], "error: required option '--role <role>' not specified"],
  ])('%j is a usage error: exit 2', (args, message) => {
    const r = cli(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
  });

  test('--help exits 0 and lists the exit codes', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Exit codes: 0 done, 1 failed, 2 usage error, 78 configuration error.');
  });

  test('feeds list shows each approved query feed with its formats and document id', () => {
    const r = cli(['feeds', 'list']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^national-latest\n .+\n {2}\/feeds\/national-latest\.json, \/feeds\/national-latest\.csv, \/feeds\/national-latest\.xlsx\n {2}roles: analyst, dashboard, journalist, operator;/m,
    );
    // A feed that is not a list of rows has its JSON form alone.
    expect(r.stdout).toMatch(/^sources-status\n .+\n {2}\/feeds\/sources-status\.json\n/m);
    expect(r.stdout).toMatch(/document id: [0-9a-f]{64}/);
  });
});
