import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { SUPPORTED_NODE_RANGE, UnsupportedRuntimeError, assertSupportedRuntime } from '../../src/runtime';

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devEngines: { runtime: { name: string; version: string } };
  optionalDependencies: Record<string, string>;
};

describe('the supported Node range (issue 16)', () => {
  test('is package.json engines.node, and devEngines states the same range', () => {
    expect(SUPPORTED_NODE_RANGE).toBe(pkg.engines.node);
    expect(pkg.devEngines.runtime).toMatchObject({ name: 'node', version: pkg.engines.node });
  });

  test('holds the Node the suite runs on, and the pinned Node that npm scripts run on', () => {
    expect(semver.satisfies(process.versions.node, SUPPORTED_NODE_RANGE)).toBe(true);
    for (const pinned of Object.values(pkg.optionalDependencies)) {
      expect(semver.satisfies(pinned, SUPPORTED_NODE_RANGE)).toBe(true);
    }
  });

  test.each(['24.11.0', '24.22.3', '26.0.0', '26.12.1'])('accepts Node %s', (version) => {
    expect(() => assertSupportedRuntime(version)).not.toThrow();
  });

  test.each([
    ['20.20.2', 'past end of life'],
    ['22.12.0', 'ends 2027-04-30; the suite does not run on it'],
    ['24.10.0', 'before 24 became LTS'],
    ['25.9.0', 'not an LTS line'],
    ['27.0.0', 'not yet tested'],
  ])('refuses Node %s (%s), naming the supported range', (version) => {
    expect(() => assertSupportedRuntime(version)).toThrow(UnsupportedRuntimeError);
    expect(() => assertSupportedRuntime(version)).toThrow(
      `Node ${version} is not supported: Whereabouts runs on Node ^24.11.0 || ^26.0.0 (package.json engines).`,
    );
  });
});

describe('process entries on an unsupported Node', () => {
  // This process's Node, made to report an old version before the entry loads (a preload), so the test
  // needs no second Node and runs the entry's real check.
  let preload: string;
  beforeAll(() => {
    preload = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wa-runtime-')), 'old-node.js');
    fs.writeFileSync(preload, "Object.defineProperty(process.versions, 'node', { value: '20.20.2' });\n");
  });

  test.each([
    ['the gateway', path.join(ROOT, 'dist', 'index.js'), []],
    ['the CLI', path.join(ROOT, 'dist', 'cli', 'main.js'), ['--help']],
  ])('%s exits 78 with the message, before it reads config or listens', (_name, entry, args) => {
    const run = spawnSync(process.execPath, ['-r', preload, entry, ...args], {
      encoding: 'utf8',
      env: {
        ...process.env,
        PORT: '0',
        WHEREABOUTS_KEYS_FILE: path.join(path.dirname(preload), 'keys.json'),
      },
      timeout: 15_000,
    });
    expect(run.status).toBe(78);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'whereabouts: Node 20.20.2 is not supported: Whereabouts runs on Node ^24.11.0 || ^26.0.0 (package.json engines). ' +
        'Through npm (`npm start`, `npx whereabouts`) it runs on the Node that `npm ci` installs on Linux (README, "Runtime"); ' +
        'elsewhere install a supported Node.\n',
    );
    expect(fs.existsSync(path.join(path.dirname(preload), 'keys.json'))).toBe(false);
  });
});
