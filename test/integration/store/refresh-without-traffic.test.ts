/**
 * Refresh without traffic (issue 19, item 6): each source is refreshed when its TTL runs out whether or
 * not anyone asks, by one instance of a fleet, through the refresh lock. Real parts throughout: a real
 * redis-server, gateways on 127.0.0.1, the simulator's feeds over HTTP, a graphql-ws client.
 *
 * The gateways here run on the real clock, as the schedule's timers do; the simulator's own clock is held
 * an hour behind and still, so its figures change only when a test moves it (`driftUntilChanged`).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from 'graphql-ws';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { GatewayConfigOptions } from '../../../src/simulator';
import type { RunningGateway } from '../../helpers/gateway';
import { startGateway } from '../../helpers/gateway';
import type { Backend, World } from './world';
import {
  TEST_SOURCES,
  driftUntilChanged,
  entryOf,
  eventually,
  flushAll,
  national,
  singleServer,
  sleep,
  sourceOf,
  world,
} from './world';

const HOUR_MS = 3_600_000;

/** A world on `redis` whose gateways run on the real clock and refresh without traffic. */
async function idleWorld(
  redis: Backend['target'] | null,
  gateway: GatewayConfigOptions,
  instances: number,
): Promise<World> {
  const w = await world({
    redis,
    instances: 0,
    gateway: { ...TEST_SOURCES, refreshWithoutTraffic: true, ...gateway },
  });
  // Figures dated an hour ago (never after the gateway's fetch), within any national window.
  w.clock.advance(Date.now() - HOUR_MS - w.clock.now());
  for (let i = 0; i < instances; i += 1) await w.start({ now: Date.now });
  return w;
}

/** A single-force JSON feed of headline counts, and its force. */
function singleForceFeed(w: World): { id: string; force: string } {
  const feed = w.sim.feeds.find((f) => f.kind === 'json' && f.shape === 'counts' && f.forces.length === 1)!;
  return { id: feed.id, force: feed.forces[0]! };
}

/** This instance's count of scheduled refreshes with `result`. */
async function scheduled(gateway: RunningGateway, result: 'ok' | 'not-due' | 'error'): Promise<number> {
  const { values } = await gateway.app.metrics.scheduledRefreshes.get();
  return values.find((v) => v.labels.result === result)?.value ?? 0;
}

/** The headline figure for `forceId` in the report `gateway` holds for `sourceId`, and when it was fetched. */
async function held(gateway: RunningGateway, sourceId: string, forceId: string) {
  const { service } = gateway.app;
  const [lookup] = await service.store.reports.lookupMany(
    [sourceId],
    () => service.reader.timing(sourceId),
    Date.now(),
  );
  const figure = lookup?.entry?.report.figures.find(
    (f) => f.forceId === forceId && f.measure === 'UNACCOUNTED',
  );
  return { value: figure?.value, retrievedAt: lookup?.entry?.retrievedAt };
}

/** Request times (performance.now(), this process) of one feed since the simulator's counts were reset. */
function requestTimes(w: World, feedId: string): number[] {
  return w.sim
    .requestLog()
    .filter((r) => r.feedId === feedId)
    .map((r) => r.receivedAt);
}

describe('refresh without traffic', () => {
  let backend: Backend;
  let w: World | undefined;
  const clients: Client[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeAll(async () => {
    backend = await singleServer();
    process.on('unhandledRejection', onRejection);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await backend?.stop();
  });
  beforeEach(async () => {
    rejections.length = 0;
    await flushAll(backend);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
    await w?.close();
    w = undefined;
    expect(rejections).toEqual([]);
  });

  test('a graphql-ws subscriber with no other traffic receives a simulated change within its TTL plus a second', async () => {
    const ttlMs = 2000;
    w = await idleWorld(backend.target, { ttlSeconds: ttlMs / 1000 }, 1);
    const gateway = w.instances[0]!;
    // As the entry point does at start (WHEREABOUTS_WARM_UP): every source is read once, and kept fresh.
    await gateway.app.service.warmUp();
    expect(gateway.app.service.schedule!.armed()).toBe(w.config.sources.length);
    const { id: sourceId, force } = singleForceFeed(w);

    const events: Array<{ sourceId: string; changedAt: string; at: number }> = [];
    const client = createClient({
      url: gateway.graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    clients.push(client);
    client.subscribe<{ figuresChanged: { sourceId: string; changedAt: string } }>(
      {
        query: `subscription Mine($forceIds: [ID!]) { figuresChanged(forceIds: $forceIds) { sourceId changedAt } }`,
        variables: { forceIds: [force] },
      },
      {
        next: ({ data }) => data && events.push({ ...data.figuresChanged, at: performance.now() }),
        error: (error) => events.push({ sourceId: 'error', changedAt: String(error), at: 0 }),
        complete: () => undefined,
      },
    );
    await eventually(async () => gateway.app.live!.changes.size === 1, 'the subscription to open', 2000);

    const before = (await held(gateway, sourceId, force)).value;
    const drifted = driftUntilChanged(w.sim, force);
    expect(drifted).not.toBe(before);
    const changedAt = performance.now();

    // The first event announcing a report that holds the new figure, with nobody querying.
    const carrying = await eventually(
      async () => {
        const now = await held(gateway, sourceId, force);
        if (now.value !== drifted) return undefined;
        return events.find(
          (e) => e.sourceId === sourceId && e.changedAt === new Date(now.retrievedAt!).toISOString(),
        );
      },
      'an event announcing the new figure',
      ttlMs + 2000,
      10,
    );
    expect(events.filter((e) => e.sourceId !== sourceId)).toEqual([]);
    expect(carrying.at - changedAt).toBeLessThan(ttlMs + 1000);
    expect(await scheduled(gateway, 'ok')).toBeGreaterThan(0);

    // A query now finds the new figure fresh in this instance's memory: the refresh had fetched it.
    const { data, cacheStatus } = await national(gateway);
    expect(entryOf(data, force).figure).toMatchObject({ value: drifted, freshness: 'FRESH' });
    expect(cacheStatus.tiers.UPSTREAM).toBe(0);
  }, 20_000);

  test('two idle instances sharing one Redis fetch each source once per TTL between them, not once each', async () => {
    const ttlMs = 2000;
    w = await idleWorld(backend.target, { ttlSeconds: ttlMs / 1000 }, 2);
    const [a, b] = w.instances as [RunningGateway, RunningGateway];
    await a.app.service.warmUp();
    await b.app.service.warmUp(); // from L2: B fetched nothing
    const sources = w.config.sources.length;
    expect(w.sim.requestCount()).toBe(sources);
    expect(a.app.service.schedule!.armed()).toBe(sources);
    expect(b.app.service.schedule!.armed()).toBe(sources);

    w.sim.resetCounts();
    const windowMs = 3 * ttlMs;
    await sleep(windowMs);
    // Each source came due three times (each refresh lands in the last tenth of the TTL: 3 or 4 in the
    // window, and 2 if its phase straddles the window's ends); both instances fetching would make 6 or more.
    const counts = w.sim.requestCounts();
    for (const [feedId, n] of Object.entries(counts)) {
      expect({ feedId, n, ok: n >= 2 && n <= 4 }).toEqual({ feedId, n, ok: true });
    }
    const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
    expect(total).toBeLessThanOrEqual(4 * sources);
    expect((await scheduled(a, 'ok')) + (await scheduled(b, 'ok'))).toBeGreaterThanOrEqual(2 * sources);
    // Every source was kept on both: neither needs an upstream request to answer.
    for (const g of [a, b]) {
      const { cacheStatus } = await national(g);
      expect(cacheStatus.sources.unavailable).toBe(0);
      expect(cacheStatus.tiers.UPSTREAM).toBe(0);
    }
  }, 20_000);

  test('app.stop() stops every timer: no upstream request after it, and no unhandled rejection', async () => {
    const ttlMs = 1000;
    w = await idleWorld(backend.target, { ttlSeconds: ttlMs / 1000 }, 1);
    const gateway = w.instances[0]!;
    await gateway.app.service.warmUp();
    const sources = w.config.sources.length;
    // The timers are running: every source has been refreshed by them at least once.
    await eventually(
      async () => (await scheduled(gateway, 'ok')) >= sources,
      'a round of scheduled refreshes',
      ttlMs + 2000,
      50,
    );
    await gateway.close(); // app.stop(), then the HTTP server
    expect(gateway.app.service.schedule!.armed()).toBe(0);
    // A fetch the schedule had started before stop() may still be answered; after that, nothing.
    await sleep(200);
    w.sim.resetCounts();
    await sleep(3 * ttlMs);
    expect(w.sim.requestCount()).toBe(0);
  }, 20_000);

  test('a failing source is retried with growing waits, keeps its last good report, and holds up no other source; it recovers within a TTL', async () => {
    const ttlMs = 3000;
    const halfOpenAfterMs = 300;
    w = await idleWorld(
      backend.target,
      {
        ttlSeconds: ttlMs / 1000,
        breaker: { consecutiveFailures: 1000, halfOpenAfterMs },
      },
      1,
    );
    const gateway = w.instances[0]!;
    await gateway.app.service.warmUp();
    const { id: failing, force } = singleForceFeed(w);
    const goodReport = await held(gateway, failing, force);
    const others = w.config.sources.map((s) => s.id).filter((id) => id !== failing);

    w.sim.setFault(failing, { mode: 'http500' });
    w.sim.resetCounts();
    const started = performance.now();
    // First attempt when its TTL runs out, then retries after ~300, ~600, ~1200 ms (each 75-100 % of it).
    await eventually(
      async () => requestTimes(w!, failing).length >= 4,
      'four attempts at the failing source',
      ttlMs + 4000,
      20,
    );
    const times = requestTimes(w, failing).slice(0, 4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Each wait is at least 75 % of a backoff that doubles: not a fixed retry rate (a fixed 300 ms rate
    // would fail the third). Lower bounds only: a busy machine adds to a wait, never takes from it, so
    // no ratio between waits is asserted (a CI run once saw the first wait at 927 ms, the third at 999).
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(0.75 * halfOpenAfterMs * 2 ** i - 5));
    expect(await scheduled(gateway, 'error')).toBeGreaterThanOrEqual(3);

    // The others kept their own schedule meanwhile: each was refreshed since the fault began.
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThan(ttlMs); // long enough that every source came due at least once
    const counts = w.sim.requestCounts();
    for (const id of others) expect({ id, refreshed: counts[id]! >= 1 }).toEqual({ id, refreshed: true });

    // The last good report is still held, and served STALE with why once its TTL is past.
    expect(await held(gateway, failing, force)).toEqual(goodReport);
    await eventually(
      async () => Date.now() - goodReport.retrievedAt! >= ttlMs,
      'the failing source to pass its TTL',
      ttlMs,
    );
    const { data } = await national(gateway);
    expect(entryOf(data, force).figure).toMatchObject({ value: goodReport.value, freshness: 'STALE' });
    expect(sourceOf(data, failing).error.code).toBe('UPSTREAM_HTTP_ERROR');

    // Healed: the schedule (waits never longer than the TTL) fetches it again within one TTL, unasked.
    w.sim.setFault(failing, null);
    const healed = performance.now();
    await eventually(
      async () => {
        const now = await held(gateway, failing, force);
        return now.retrievedAt! > goodReport.retrievedAt! && now.retrievedAt! >= Date.now() - ttlMs;
      },
      'a fresh report of the healed source',
      ttlMs + 1000,
      20,
    );
    expect(performance.now() - healed).toBeLessThan(ttlMs + 1000);
  }, 30_000);

  test('per source and globally it can be turned off: such sources are fetched only when read', async () => {
    const ttlMs = 1000;
    w = await idleWorld(backend.target, { ttlSeconds: ttlMs / 1000 }, 0);
    const { id: onDemand } = singleForceFeed(w);
    // One source fetched on demand only; the rest as by default.
    const perSource = {
      ...w.config,
      sources: w.config.sources.map((s) => (s.id === onDemand ? { ...s, refreshWithoutTraffic: false } : s)),
    };
    const none = { ...w.config, upstream: { ...w.config.upstream, refreshWithoutTraffic: false } };
    const some = await startGateway(perSource, { now: Date.now, redis: null, env: {} });
    const off = await startGateway(none, { now: Date.now, redis: null, env: {} });
    let someClosed = false;
    try {
      await some.app.service.warmUp();
      expect(some.app.service.schedule!.armed()).toBe(w.config.sources.length - 1);
      w.sim.resetCounts();
      await sleep(2.5 * ttlMs);
      const counts = w.sim.requestCounts();
      expect(counts[onDemand]).toBe(0);
      expect(Object.values(counts).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);

      expect(off.app.service.schedule).toBeNull();
      await off.app.service.warmUp();
      await some.close();
      someClosed = true;
      await sleep(200); // a fetch `some` had started before it stopped may still be answered
      w.sim.resetCounts();
      await sleep(2.5 * ttlMs);
      expect(w.sim.requestCount()).toBe(0);
    } finally {
      if (!someClosed) await some.close();
      await off.close();
    }
  }, 20_000);
});

describe('refresh without traffic in a process of its own', () => {
  const FIGURE_SERVICE = path.join(__dirname, '../../../dist/store/figure-service.js');

  test('armed timers never keep the process alive: it exits as soon as its work is done', async () => {
    if (!fs.existsSync(FIGURE_SERVICE)) {
      throw new Error(
        `${FIGURE_SERVICE} is missing: this test runs the built service; run \`npm run build\` first`,
      );
    }
    // The bundled sources with a one-minute TTL: after the warm-up each has a timer armed for ~a minute.
    const script = `
      require('reflect-metadata');
      const { embeddedDefault } = require('./dist/config/load');
      const { FigureService } = require('./dist/store/figure-service');
      const config = embeddedDefault();
      const service = new FigureService({
        ...config,
        sources: config.sources.map((s) => ({ ...s, ttlSeconds: 60 })),
      });
      service.warmUp().then(() => process.stdout.write(String(service.schedule.armed())));
    `;
    const child = spawn(process.execPath, ['-e', script], {
      cwd: path.join(__dirname, '../../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const started = performance.now();
    const code = await new Promise<number | null>((resolve) => {
      const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('exit', (exitCode) => {
        clearTimeout(guard);
        resolve(exitCode);
      });
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(Number(stdout)).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 20_000);
});
