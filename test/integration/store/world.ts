/**
 * Shared set-up of the store tests: a real redis-server (or a real 3-master cluster) spawned by the
 * test file, a simulator and any number of gateway instances sharing one hand-moved clock and one Redis.
 */
import Redis, { Cluster } from 'ioredis';
import type { AppDeps } from '../../../src/app';
import type { Role } from '../../../src/access/caller';
import type { GatewayConfig } from '../../../src/config/load';
import { buildConfig } from '../../../src/config/load';
import type { GatewayConfigOptions, Simulator, SimulatorOptions } from '../../../src/simulator';
import { createSimulator } from '../../../src/simulator';
import type { RedisTarget } from '../../../src/store/redis-connection';
import { TestClock } from '../../helpers/clock';
import type { GqlResponse, RunningGateway } from '../../helpers/gateway';
import { gql, startGateway } from '../../helpers/gateway';
import { eventually as waitUntil } from '../../helpers/eventually';
import { RedisCluster, RedisServer } from '../../helpers/redis';

/** Longest a single request may take in a fault drill: a hang guard, not a speed claim. */
export const HANG_GUARD_MS = 1000;

/** A Redis deployment the gateway can be pointed at: one server or a 3-master cluster. */
export interface Backend {
  readonly name: string;
  readonly target: RedisTarget;
  /** Every server process (one, or the cluster's masters). */
  readonly nodes: readonly RedisServer[];
  /** A client that routes like the gateway's (a Cluster client for the cluster). */
  client(): Redis | Cluster;
  stop(): Promise<void>;
}

export async function singleServer(): Promise<Backend> {
  const server = await RedisServer.start();
  return {
    name: 'a single redis-server',
    target: { url: server.url },
    nodes: [server],
    client: () => new Redis(server.url, { lazyConnect: false, maxRetriesPerRequest: 1 }),
    stop: () => server.stop(),
  };
}

export async function cluster(): Promise<Backend> {
  const c = await RedisCluster.start();
  const clusterNodes = c.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  return {
    name: 'a real 3-master Redis Cluster',
    target: { clusterNodes },
    nodes: c.nodes,
    client: () => new Cluster(clusterNodes, { redisOptions: { maxRetriesPerRequest: 1 } }),
    stop: () => c.stop(),
  };
}

/** FLUSHALL on every node (a cluster master only flushes its own slots). */
export async function flushAll(backend: Backend): Promise<void> {
  await Promise.all(backend.nodes.map((n) => n.command('FLUSHALL')));
}

/** Every string key and its value, node by node (SCAN + GET on each server). */
export async function dumpAll(
  backend: Backend,
): Promise<Array<{ node: number; key: string; value: string }>> {
  const out: Array<{ node: number; key: string; value: string }> = [];
  for (const node of backend.nodes) {
    const r = new Redis({ host: '127.0.0.1', port: node.port, maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, batch] = await r.scan(cursor, 'COUNT', 1000);
        cursor = next;
        for (const key of batch) {
          const type = await r.type(key);
          out.push({ node: node.port, key, value: type === 'string' ? ((await r.get(key)) ?? '') : type });
        }
      } while (cursor !== '0');
    } finally {
      r.disconnect();
    }
  }
  return out;
}

/** A caller resolver that takes the role from the `x-test-role` header (analyst by default). */
export const ROLE_HEADER = 'x-test-role';
export const roleFromHeader: NonNullable<AppDeps['resolveCaller']> = async (headers) => {
  const role = (headers[ROLE_HEADER] as Role | undefined) ?? 'analyst';
  return { keyId: `test-${role}`, role, via: 'api-key' };
};

/** A simulator and gateway instances sharing one clock and one Redis. */
export interface World {
  readonly clock: TestClock;
  readonly sim: Simulator;
  readonly config: GatewayConfig;
  readonly instances: RunningGateway[];
  /** Starts one more instance (fresh L1) on the same Redis, config and clock. */
  start(deps?: AppDeps): Promise<RunningGateway>;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Redis target, or null for none. */
  readonly redis: RedisTarget | null;
  /** How many instances to start at once. @default 1 */
  readonly instances?: number;
  readonly gateway?: GatewayConfigOptions;
  readonly simulator?: Omit<SimulatorOptions, 'now'>;
  readonly env?: NodeJS.ProcessEnv;
  /** Rate limits per role (`access.rateLimits`), e.g. lifted for a drill that queries as fast as it can. */
  readonly rateLimits?: Record<string, { points: number; durationSeconds: number }>;
  /** Per-source timeouts (ms), e.g. a short one for the source a test makes hang. */
  readonly timeouts?: Readonly<Record<string, number>>;
}

/**
 * Source settings of these tests: one attempt (exact request counts), a breaker that stays out of the way,
 * and no refresh without traffic: these tests move a hand clock past TTLs and count upstream requests
 * exactly, and the schedule's timers run on real time, so one could fire between a move and a count.
 * `refresh-without-traffic.test.ts` tests the schedule, on the real clock.
 */
export const TEST_SOURCES: GatewayConfigOptions = {
  refreshWithoutTraffic: false,
  ttlSeconds: 30,
  staleForSeconds: 300,
  timeoutMs: 2000,
  retry: { maxAttempts: 1 },
  breaker: { consecutiveFailures: 1000, halfOpenAfterMs: 100 },
};

export async function world(options: WorldOptions): Promise<World> {
  const clock = new TestClock();
  const sim = createSimulator({ ...options.simulator, now: clock.now });
  const { baseUrl } = await sim.listen(0);
  const document = sim.gatewayConfig(baseUrl, { ...TEST_SOURCES, ...options.gateway });
  for (const source of document.sources ?? []) {
    const timeoutMs = options.timeouts?.[source.id];
    if (timeoutMs !== undefined) source.timeoutMs = timeoutMs;
  }
  const config = buildConfig(
    options.rateLimits
      ? { ...document, access: { ...document.access, rateLimits: options.rateLimits } }
      : document,
    { baseDir: process.cwd(), origin: 'simulator' },
  );
  const instances: RunningGateway[] = [];
  const start = async (deps: AppDeps = {}) => {
    const gateway = await startGateway(config, {
      now: clock.now,
      redis: options.redis,
      env: options.env ?? {},
      resolveCaller: roleFromHeader,
      ...deps,
    });
    instances.push(gateway);
    return gateway;
  };
  for (let i = 0; i < (options.instances ?? 1); i += 1) await start();
  return {
    clock,
    sim,
    config,
    instances,
    start,
    close: async () => {
      await Promise.allSettled(instances.map((g) => g.close()));
      await sim.close();
    },
  };
}

/** The national query the store tests read: every force's figure and freshness, and each source. */
export const NATIONAL = `{
  national {
    unaccounted { value }
    coverage { forces reporting unavailable stale withoutFigure }
    forces { force { id } outcome stale figure { value status freshness reason { code } } }
  }
  sources { id state freshness error { code } }
}`;

export interface CacheStatus {
  snapshot: 'HIT' | 'BUILT';
  sources: { fresh: number; stale: number; unavailable: number };
  tiers: { L1: number; L2: number; UPSTREAM: number };
}

export interface Timed<T> {
  readonly res: GqlResponse<T>;
  readonly ms: number;
}

/** One national query, timed; never throws on a bad answer (drills collect and assert afterwards). */
export async function timedNational(gateway: RunningGateway): Promise<Timed<any>> {
  const started = performance.now();
  const res = await gql(gateway.graphqlUrl, NATIONAL);
  return { res, ms: performance.now() - started };
}

/** A national query that must succeed; returns its data and cache status. */
export async function national(gateway: RunningGateway): Promise<{ data: any; cacheStatus: CacheStatus }> {
  const { res } = await timedNational(gateway);
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  return {
    data: res.body.data,
    cacheStatus: (res.body as { extensions?: { cacheStatus: CacheStatus } }).extensions!.cacheStatus,
  };
}

/** A force's entry in a national answer. */
export function entryOf(data: any, forceId: string): any {
  return data.national.forces.find((e: { force: { id: string } }) => e.force.id === forceId);
}

export function sourceOf(data: any, id: string): any {
  return data.sources.find((s: { id: string }) => s.id === id);
}

/** What the simulator's headline feed serves for a force now. */
export function expectedOf(sim: Simulator, forceId: string): number {
  const f = sim.expected().forces.find((e) => e.forceId === forceId);
  if (!f) throw new Error(`no expected figure for ${forceId}`);
  return f.unaccounted;
}

/** Moves the simulator's own clock (not the gateway's) until a force's headline changes; returns it. */
export function driftUntilChanged(sim: Simulator, forceId: string): number {
  const before = expectedOf(sim, forceId);
  for (let i = 0; i < 50; i += 1) {
    sim.advance(sim.driftIntervalMs);
    const now = expectedOf(sim, forceId);
    if (now !== before) return now;
  }
  throw new Error(`${forceId} never drifted`);
}

/** Sum of a metric's samples in /metrics, over every label combination containing `labels` if given. */
export async function metricSum(gateway: RunningGateway, name: string, labels = ''): Promise<number> {
  const text = await (
    await fetch(`${gateway.url}/metrics`, { headers: { [ROLE_HEADER]: 'operator' } })
  ).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels && !line.slice(0, line.lastIndexOf(' ')).includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** `/readyz` as a client sees it. */
export async function readyz(gateway: RunningGateway): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gateway.url}/readyz`);
  return { status: res.status, body: await res.json() };
}

/** Polls `check` until it returns a truthy value, or fails the test after `timeoutMs` (`waitUntil`, shorter defaults). */
export function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 1000,
  everyMs = 20,
): Promise<T> {
  return waitUntil(check, what, timeoutMs, everyMs);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
