import { Writable } from 'node:stream';
import pino from 'pino';
import { buildConfig } from '../../src/config/load';
import type { FaultInput, FeedDefinition, Simulator } from '../../src/simulator';
import { PII_CANARIES, createSimulator } from '../../src/simulator';
import type { GatewayConfigOptions } from '../../src/simulator';
import { TestClock } from '../helpers/clock';
import type { RunningGateway } from '../helpers/gateway';
import { gql, startGateway } from '../helpers/gateway';

const NATIONAL = `{
  national {
    unaccounted { value }
    coverage { forces reporting unavailable withoutFigure stale missing { force { id } outcome reason { code message } } }
    forces { force { id } outcome stale figure { value status freshness reason { code message } provenance { simulated sourceId } } }
  }
  sources { id state freshness error { code message } breaker }
}`;

interface World {
  sim: Simulator;
  gateway: RunningGateway;
  clock: TestClock;
  logs: string[];
  close(): Promise<void>;
}

/** A simulator and a gateway reading it, sharing one hand-moved clock; logs captured for scanning. */
async function world(options: GatewayConfigOptions = {}): Promise<World> {
  const clock = new TestClock();
  const sim = createSimulator({ now: clock.now });
  const { baseUrl } = await sim.listen(0);
  const config = buildConfig(
    sim.gatewayConfig(baseUrl, {
      // Generous, so that a loaded CI machine does not time out healthy feeds; fault tests set their own.
      timeoutMs: 1500,
      retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20 },
      ...options,
    }),
    { baseDir: process.cwd(), origin: 'simulator' },
  );
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const gateway = await startGateway(config, { now: clock.now, logger: pino({ level: 'debug' }, sink) });
  return {
    sim,
    gateway,
    clock,
    logs,
    close: async () => {
      await gateway.close();
      await sim.close();
    },
  };
}

/** A single-force feed serving the headline count, of the given kind. */
function headlineFeed(
  sim: Simulator,
  kind: FeedDefinition['kind'],
  shape: FeedDefinition['shape'] = 'counts',
): FeedDefinition {
  const feed = sim.feeds.find((f) => f.kind === kind && f.shape === shape && f.forces.length === 1);
  if (!feed) throw new Error(`no single-force ${kind} ${shape} feed in the simulator layout`);
  return feed;
}

async function national(w: World) {
  const res = await gql(w.gateway.graphqlUrl, NATIONAL);
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  // No internal address and no upstream body ever reaches a client.
  expect(res.text).not.toContain('127.0.0.1');
  expect(res.text).not.toContain('/feeds/');
  return { ...res.body.data!, text: res.text } as any;
}

function entryOf(data: any, forceId: string) {
  return data.national.forces.find((e: { force: { id: string } }) => e.force.id === forceId);
}

function sourceOf(data: any, id: string) {
  return data.sources.find((s: { id: string }) => s.id === id);
}

async function withFault(w: World, feed: FeedDefinition, fault: FaultInput) {
  w.sim.setFault(feed.id, fault);
  w.sim.resetCounts();
  return national(w);
}

describe('upstream sources failing (CATALOGUE: Upstream sources)', () => {
  let w: World;
  afterEach(() => w?.close());

  test("with every feed healthy, the sum is exactly the simulator's and all 45 forces report, labelled simulated", async () => {
    w = await world();
    const data = await national(w);
    expect(data.national.coverage).toMatchObject({
      forces: 45,
      reporting: 45,
      unavailable: 0,
      withoutFigure: 0,
      stale: 0,
    });
    expect(data.national.unaccounted.value).toBe(w.sim.expected().unaccounted);
    expect(data.national.forces.every((e: any) => e.figure.provenance.simulated === true)).toBe(true);
  });

  test('1. a source that never answers is aborted at its timeout; its force is UNAVAILABLE and the query still answers', async () => {
    w = await world({ timeoutMs: 400 });
    const feed = headlineFeed(w.sim, 'json');
    const forceId = feed.forces[0]!;
    const data = await withFault(w, feed, { mode: 'hang' });
    expect(entryOf(data, forceId)).toMatchObject({
      outcome: 'UNAVAILABLE',
      figure: {
        status: 'UNAVAILABLE',
        value: null,
        reason: { code: 'UPSTREAM_TIMEOUT', message: 'the source did not answer within 400 ms' },
      },
    });
    expect(data.national.coverage).toMatchObject({ forces: 45, reporting: 44, unavailable: 1 });
    expect(data.national.unaccounted.value).toBe(
      w.sim.expected().unaccounted - w.sim.expected().forces.find((f) => f.forceId === forceId)!.unaccounted,
    );
    expect(sourceOf(data, feed.id)).toMatchObject({ state: 'ERROR', error: { code: 'UPSTREAM_TIMEOUT' } });
  });

  test('1. a source that stops answering keeps serving its cached figure as STALE within staleFor, then UNAVAILABLE', async () => {
    w = await world({ ttlSeconds: 30, staleForSeconds: 300, timeoutMs: 400 });
    const feed = headlineFeed(w.sim, 'csv');
    const forceId = feed.forces[0]!;
    const fresh = entryOf(await national(w), forceId);
    expect(fresh.figure.freshness).toBe('FRESH');

    w.clock.advance(31_000);
    w.sim.setFault(feed.id, { mode: 'hang' });
    const first = await national(w); // serves stale at once and refreshes in the background
    expect(entryOf(first, forceId)).toMatchObject({
      outcome: 'REPORTED',
      stale: true,
      figure: { value: fresh.figure.value, freshness: 'STALE' },
    });
    // Every source is past its TTL now, so every figure is served stale while it revalidates.
    expect(first.national.coverage).toMatchObject({ reporting: 45, stale: 45 });
    await new Promise((r) => setTimeout(r, 600)); // let the background refresh time out

    const during = await national(w);
    expect(entryOf(during, forceId).figure.freshness).toBe('STALE');
    expect(sourceOf(during, feed.id)).toMatchObject({ state: 'STALE', error: { code: 'UPSTREAM_TIMEOUT' } });

    w.clock.advance(300_000);
    const after = await national(w);
    expect(entryOf(after, forceId)).toMatchObject({
      outcome: 'UNAVAILABLE',
      figure: { reason: { code: 'UPSTREAM_TIMEOUT' } },
    });
    expect(after.national.coverage).toMatchObject({ reporting: 44, unavailable: 1 });
  });

  test.each([500, 503])(
    '2. a source answering %i is retried a bounded number of times, then its force is UNAVAILABLE',
    async (status) => {
      w = await world();
      const feed = headlineFeed(w.sim, 'graphql');
      const data = await withFault(w, feed, { mode: 'http500', status });
      expect(w.sim.requestCount(feed.id)).toBe(3);
      expect(entryOf(data, feed.forces[0]!).figure.reason).toEqual({
        code: 'UPSTREAM_HTTP_ERROR',
        message: `the source answered HTTP ${status}`,
      });
    },
  );

  test('2. a source that fails twice and then answers is retried into a REPORTED figure', async () => {
    w = await world();
    const feed = headlineFeed(w.sim, 'json');
    const data = await withFault(w, feed, { mode: 'flaky', failures: 2 });
    expect(w.sim.requestCount(feed.id)).toBe(3);
    expect(entryOf(data, feed.forces[0]!)).toMatchObject({
      outcome: 'REPORTED',
      figure: { status: 'REPORTED' },
    });
  });

  test('3. a 429 with a Retry-After that fits in the budget is honoured before the next attempt', async () => {
    w = await world({ timeoutMs: 1500, retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 20 } });
    const feed = headlineFeed(w.sim, 'json');
    const started = Date.now();
    const data = await withFault(w, feed, { mode: 'http429', retryAfterSeconds: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000); // waited as asked, rather than hammering
    expect(w.sim.requestCount(feed.id)).toBe(2);
    expect(entryOf(data, feed.forces[0]!).figure.reason.code).toBe('UPSTREAM_RATE_LIMITED');
  });

  test('3. a 429 whose Retry-After exceeds the budget is not retried early', async () => {
    w = await world();
    const feed = headlineFeed(w.sim, 'csv');
    const data = await withFault(w, feed, { mode: 'http429', retryAfterSeconds: 30 });
    expect(w.sim.requestCount(feed.id)).toBe(1);
    expect(entryOf(data, feed.forces[0]!).figure.reason).toEqual({
      code: 'UPSTREAM_RATE_LIMITED',
      message: 'the source asked us to slow down (HTTP 429)',
    });
  });

  test.each([
    ['json', 'html', 'the payload is an HTML page, not JSON'],
    ['json', 'truncated-json', 'the payload is not valid JSON (truncated or malformed)'],
    ['csv', 'html', 'the payload is an HTML page, not CSV'],
    ['csv', 'missing-column', 'the CSV could not be parsed (CSV_RECORD_INCONSISTENT_COLUMNS at line 2)'],
  ] as const)(
    '4. a %s source sending %s is a source error with a clear reason',
    async (kind, variant, reason) => {
      w = await world();
      const feed = headlineFeed(w.sim, kind);
      const data = await withFault(w, feed, { mode: 'malformed', variant });
      const entry = entryOf(data, feed.forces[0]!);
      expect(entry.outcome).toBe('UNAVAILABLE');
      expect(entry.figure.reason.code).toBe('UPSTREAM_INVALID_PAYLOAD');
      expect(entry.figure.reason.message).toContain(reason);
      expect(sourceOf(data, feed.id).error.message).toContain(reason);
      expect(w.sim.requestCount(feed.id)).toBe(1); // a broken payload is not retried
    },
  );

  test.each([
    ['renamed-field', 'is missing'],
    ['number-as-text', 'must be a whole number of 0 or more, sent as a number'],
    ['negative-count', 'must be a whole number of 0 or more'],
  ] as const)('5. schema drift (%s) is rejected by validation and never summed', async (variant, message) => {
    w = await world();
    const feed = headlineFeed(w.sim, 'json');
    const forceId = feed.forces[0]!;
    const data = await withFault(w, feed, { mode: 'drift', variant });
    const entry = entryOf(data, forceId);
    expect(entry.figure.reason.code).toBe('UPSTREAM_INVALID_PAYLOAD');
    expect(entry.figure.reason.message).toContain(message);
    const expected = w.sim.expected();
    expect(data.national.unaccounted.value).toBe(
      expected.unaccounted - expected.forces.find((f) => f.forceId === forceId)!.unaccounted,
    );
  });

  test('6. a source that keeps failing opens its breaker; a half-open probe closes it when the source heals', async () => {
    w = await world({ retry: { maxAttempts: 1 }, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 300 } });
    const feed = headlineFeed(w.sim, 'csv');
    const forceId = feed.forces[0]!;
    await withFault(w, feed, { mode: 'http500' });
    // A snapshot with a failing source is reused for a second, so each retry round is a second apart.
    w.clock.advance(1001);
    await national(w);
    expect(w.sim.requestCount(feed.id)).toBe(2);

    w.clock.advance(1001);
    const open = await national(w);
    expect(w.sim.requestCount(feed.id)).toBe(2); // the open breaker spares the source
    expect(entryOf(open, forceId).figure.reason.code).toBe('CIRCUIT_OPEN');
    expect(sourceOf(open, feed.id).breaker).toBe('OPEN');

    w.sim.setFault(feed.id, null);
    await new Promise((r) => setTimeout(r, 350));
    w.clock.advance(1001);
    const healed = await national(w);
    expect(w.sim.requestCount(feed.id)).toBe(3);
    expect(entryOf(healed, forceId)).toMatchObject({ outcome: 'REPORTED' });
    expect(sourceOf(healed, feed.id)).toMatchObject({ state: 'OK', breaker: 'CLOSED', error: null });
  });

  test('7. records that carry names and addresses are reduced to counts; the names appear in no response and no log', async () => {
    w = await world();
    const feed = headlineFeed(w.sim, 'json', 'records');
    const forceId = feed.forces[0]!;
    const data = await withFault(w, feed, { mode: 'pii' });
    expect(entryOf(data, forceId)).toMatchObject({ outcome: 'REPORTED' });
    const detail = await gql(
      w.gateway.graphqlUrl,
      `{ force(id: "${forceId}") { latest { unaccounted { value } breakdowns { dimension cells { category value } } } history { value } } sources { id error { message } } }`,
    );
    const everything = [data.text, detail.text, ...w.logs].join('\n');
    for (const canary of Object.values(PII_CANARIES)) expect(everything).not.toContain(canary);
    expect(detail.body.data!.force.latest.unaccounted.value).toBe(
      w.sim.expected().forces.find((f) => f.forceId === forceId)!.unaccounted,
    );
  });

  test('8. a source that recovers replaces its stale figure: STALE is gone within one TTL', async () => {
    w = await world({ ttlSeconds: 30, staleForSeconds: 300 });
    const feed = headlineFeed(w.sim, 'graphql');
    const forceId = feed.forces[0]!;
    await national(w);
    w.clock.advance(31_000);
    w.sim.setFault(feed.id, { mode: 'http500' });
    await national(w); // stale served, background refresh fails
    await new Promise((r) => setTimeout(r, 100));
    expect(entryOf(await national(w), forceId).figure.freshness).toBe('STALE');

    w.sim.setFault(feed.id, null);
    await new Promise((r) => setTimeout(r, 100)); // the refresh triggered by that read succeeds
    const recovered = await national(w);
    expect(entryOf(recovered, forceId)).toMatchObject({ stale: false, figure: { freshness: 'FRESH' } });
    expect(recovered.national.coverage.stale).toBe(0);
    expect(sourceOf(recovered, feed.id)).toMatchObject({ state: 'OK', error: null });
  });
});
