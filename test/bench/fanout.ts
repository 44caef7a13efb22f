/**
 * What the cold and scale groups of `npm run bench` share (test/bench/cold.ts, test/bench/scale.ts): a
 * run's temp dir, keys and Redis; a gateway process over the N-source simulator, as in production (API
 * keys, limits, rate limiting counted in Redis, Redis L2), with warm-up off; a national query timed from
 * the client; and making a running gateway cold again (FLUSHALL, then every instance told over pub/sub to
 * drop its L1 copies, the same message a webhook refresh sends).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { ApiKeyStore } from '../../src/access/api-keys';
import type { FeedRequest, Simulator } from '../../src/simulator';
import { createSimulator, gatewayConfigYaml } from '../../src/simulator';
import { keys } from '../../src/store/keys';
import type { GatewayProcess } from './support';
import {
  gatewayEnv,
  loopbackRequest,
  sleep,
  startGatewayProcess,
  startRedisServer,
  stopChild,
} from './support';

/** Latency range of every simulated source in the cold and scale groups (issue 6). */
export const LATENCY_MS: readonly [number, number] = [50, 200];
/** Far above anything the load reaches: rate limiting runs (counted in Redis) but never trips. */
const RATE_LIMIT_POINTS = 10_000_000;

/**
 * A national query an analyst might send: the total, its coverage and each force's outcome (so a hung
 * source's force can be checked in the answer). Its cost does not depend on the number of sources.
 */
export const NATIONAL_QUERY = `query BenchNational {
  national {
    unaccounted { value }
    coverage { forces reporting unavailable stale withoutFigure }
    forces { outcome force { id } reason { code } }
  }
}`;

export interface NationalAnswer {
  readonly status: number;
  readonly ms: number;
  readonly reporting: number | null;
  readonly unavailable: number | null;
  readonly outcomes: ReadonlyMap<string, string>;
  /** `extensions.cacheStatus.sources` of the answer: how many sources were fresh, stale, unavailable. */
  readonly sources: { fresh?: number; stale?: number; unavailable?: number } | null;
  /** Why the answer is not a usable national summary, or null. */
  readonly error: string | null;
}

/** One run's temp dir, analyst key and Redis (started and owned; `close` stops it). */
export interface FanoutRun {
  readonly dir: string;
  readonly keysFile: string;
  readonly analystKey: string;
  readonly redisUrl: string;
  readonly redisPort: number;
  /** A client of the run's Redis, for FLUSHALL and invalidation messages. */
  readonly redis: Redis;
  close(): Promise<void>;
}

export async function startFanoutRun(name: string): Promise<FanoutRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `whereabouts-bench-${name}-`));
  const keysFile = path.join(dir, 'keys.json');
  const analystKey = ApiKeyStore.load(keysFile).create('analyst', `bench ${name}`).token;
  let server: Awaited<ReturnType<typeof startRedisServer>> | null = null;
  try {
    server = await startRedisServer(dir);
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    await redis.connect();
    const child = server.child;
    return {
      dir,
      keysFile,
      analystKey,
      redisUrl: server.url,
      redisPort: server.port,
      redis,
      async close() {
        redis.disconnect();
        await stopChild(child);
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (server) await stopChild(server.child);
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A listening simulator of `sources` single-force counts feeds at 50-200 ms, closed by the caller. */
export async function startSimulator(sources: number): Promise<{ simulator: Simulator; baseUrl: string }> {
  const simulator = createSimulator({ sources, latencyMs: LATENCY_MS });
  const { baseUrl } = await simulator.listen(0);
  return { simulator, baseUrl };
}

/**
 * Writes the gateway config for the simulator (every source SIMULATED) and starts a gateway on it, as in
 * production but for the analyst rate limit (lifted above the load) and warm-up (off: cold by design).
 * Resolves once it listens and its Redis connection is ready.
 */
export async function startFanoutGateway(
  run: FanoutRun,
  simulator: Simulator,
  baseUrl: string,
  options: {
    label: string;
    ttlSeconds?: number;
    concurrency?: number;
    nodeArgs?: readonly string[];
    /** The node binary (see `startGatewayProcess`); by default this process's own. */
    execPath?: string;
  },
): Promise<GatewayProcess> {
  const configFile = path.join(run.dir, `gateway-${options.label}.yaml`);
  const document = simulator.gatewayConfig(baseUrl, {
    ttlSeconds: options.ttlSeconds ?? 600,
    staleForSeconds: 600,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  });
  const access = { rateLimits: { analyst: { points: RATE_LIMIT_POINTS, durationSeconds: 60 } } };
  fs.writeFileSync(configFile, gatewayConfigYaml({ ...document, access }, baseUrl));
  const gateway = await startGatewayProcess({
    env: gatewayEnv({
      configFile,
      redisUrl: run.redisUrl,
      keysFile: run.keysFile,
      logLevel: 'warn',
      extra: { WHEREABOUTS_WARM_UP: 'off' },
    }),
    logFile: path.join(run.dir, `gateway-${options.label}.log`),
    timeoutMs: 60_000,
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
    ...(options.execPath ? { execPath: options.execPath } : {}),
  });
  try {
    if (gateway.sources !== simulator.feeds.length)
      throw new Error(
        `the gateway loaded ${gateway.sources} sources; the simulator has ${simulator.feeds.length}`,
      );
    await waitForReady(gateway.port);
    // The HTTP, auth, rate-limit and GraphQL paths run once, without touching any source.
    for (let i = 0; i < 3; i++) await post(gateway.port, run.analystKey, '{ __typename }', 10_000);
  } catch (error) {
    await stopChild(gateway.child);
    throw error;
  }
  return gateway;
}

/** No keep-alive: nothing is left open between groups (a loopback connect costs well under 1 ms). */
const agent = new http.Agent({ keepAlive: false });

function post(port: number, token: string, query: string, timeoutMs: number) {
  return loopbackRequest({
    port,
    method: 'POST',
    path: '/graphql',
    token,
    body: JSON.stringify({ query }),
    agent,
    timeoutMs,
  });
}

/** Waits until /readyz says ready with no reasons (Redis connected). */
async function waitForReady(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const res = await loopbackRequest({
      port,
      method: 'GET',
      path: '/readyz',
      token: '',
      agent,
      timeoutMs: 2000,
    }).catch((e: Error) => ({ status: 0, text: e.message }));
    last = `${res.status} ${res.text}`;
    if (res.status === 200) {
      const body = JSON.parse(res.text) as { reasons?: unknown[] };
      if (Array.isArray(body.reasons) && body.reasons.length === 0) return;
    }
    await sleep(50);
  }
  throw new Error(`the gateway never reported ready; last /readyz: ${last}`);
}

/** Sends `NATIONAL_QUERY` as the analyst and times it from the client. */
export async function nationalQuery(
  port: number,
  token: string,
  timeoutMs = 60_000,
): Promise<NationalAnswer> {
  const started = performance.now();
  const res = await post(port, token, NATIONAL_QUERY, timeoutMs).catch((e: Error) => ({
    status: 0,
    text: e.name === 'TimeoutError' ? 'timeout' : e.message,
  }));
  const ms = performance.now() - started;
  const outcomes = new Map<string, string>();
  if (res.status !== 200)
    return {
      status: res.status,
      ms,
      reporting: null,
      unavailable: null,
      outcomes,
      sources: null,
      error: `HTTP ${res.status}: ${res.text.slice(0, 200)}`,
    };
  const json = JSON.parse(res.text) as {
    errors?: Array<{ message?: string }>;
    extensions?: { cacheStatus?: { sources?: { fresh?: number; stale?: number; unavailable?: number } } };
    data?: {
      national?: {
        coverage?: { reporting?: number; unavailable?: number };
        forces?: Array<{ outcome: string; force: { id: string } }>;
      };
    };
  };
  for (const f of json.data?.national?.forces ?? []) outcomes.set(f.force.id, f.outcome);
  const coverage = json.data?.national?.coverage;
  return {
    status: res.status,
    ms,
    reporting: coverage?.reporting ?? null,
    unavailable: coverage?.unavailable ?? null,
    outcomes,
    sources: json.extensions?.cacheStatus?.sources ?? null,
    error: json.errors?.length
      ? `GraphQL error: ${json.errors[0]?.message ?? '?'}`
      : coverage
        ? null
        : 'no coverage in the answer',
  };
}

/**
 * Makes a running gateway cold again: FLUSHALL empties L2, then one pub/sub `invalidate` message per
 * source (what a webhook refresh on another instance sends) makes the gateway drop its L1 copy and its
 * precomputed snapshot. Waits until the messages have been delivered.
 */
export async function makeCold(run: FanoutRun, sourceIds: readonly string[]): Promise<void> {
  // The last answer does not wait for the L2 writes, announcements and unlocks of the fetches behind it:
  // let them land first, or they would refill L2 after the FLUSHALL.
  await sleep(150);
  await run.redis.flushall();
  const pipeline = run.redis.pipeline();
  for (const sourceId of sourceIds) {
    pipeline.publish(
      keys.invalidationChannel,
      JSON.stringify({ sourceId, kind: 'invalidate', from: 'bench-cold' }),
    );
  }
  const results = await pipeline.exec();
  const receivers = results?.map(([, n]) => Number(n)) ?? [];
  if (receivers.some((n) => n < 1)) throw new Error('an invalidation message reached no gateway');
  // Delivered to the subscriber; give its event loop a moment to act on them.
  await sleep(Math.min(500, 20 + sourceIds.length / 20));
}

/** The slowest answered feed request, and the mean, of a request log. */
export function latencyOf(log: readonly FeedRequest[]): {
  slowestMs: number;
  meanMs: number;
  answered: number;
} {
  const done = log.map((r) => r.durationMs).filter((d): d is number => d !== null);
  return {
    slowestMs: done.length ? Math.max(...done) : Number.NaN,
    meanMs: done.length ? done.reduce((a, b) => a + b, 0) / done.length : Number.NaN,
    answered: done.length,
  };
}

export const round = (n: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};
