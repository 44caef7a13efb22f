import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { App } from '../../../src/app';
import { openAccess } from '../../helpers/open-access';
import { createApp } from '../../../src/app';
import { DEFAULT_SIM_PORT, parseLatency, startSimulation } from '../../../src/cli/commands/simulate';
import { buildConfig, loadConfig } from '../../../src/config/load';
import { loadDefaultRegistry } from '../../../src/domain/force-registry';
import { createLogger } from '../../../src/logger';
import { DATA_DIR } from '../../../src/paths';
import { parseCsvRows } from '../../../src/sources/csv';
import { parseJsonPayload } from '../../../src/sources/json';
import type { Simulator, SimulatorOptions } from '../../../src/simulator';
import { FaultError, PII_CANARIES, TOTALS_FEED_ID, createSimulator } from '../../../src/simulator';

const registry = loadDefaultRegistry();
const DAY_MS = 86_400_000;
/** 2024-03-05T00:00:00Z: a drift-interval boundary for any interval that divides a day. */
const T0 = Date.UTC(2024, 2, 5);

const running: Simulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

/** A simulator that is closed after the test. */
async function listening(options: SimulatorOptions = {}): Promise<{ sim: Simulator; baseUrl: string }> {
  const sim = createSimulator(options);
  running.push(sim);
  const { baseUrl } = await sim.listen();
  return { sim, baseUrl };
}

function feedOf(sim: Simulator, kind: string, shape: string, single = true) {
  const feed = sim.feeds.find(
    (f) => f.kind === kind && f.shape === shape && (!single || f.forces.length === 1),
  );
  if (!feed) throw new Error(`no ${kind} ${shape} feed`);
  return feed;
}

/** Fetches a feed the way the gateway's adapter for its kind does. */
function fetchFeed(sim: Simulator, baseUrl: string, feedId: string): Promise<Response> {
  const feed = sim.feeds.find((f) => f.id === feedId)!;
  const url = `${baseUrl}${feed.path}`;
  return feed.kind === 'graphql'
    ? fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ figures { count } }' }),
      })
    : fetch(url);
}

/** Rows of a rendered payload, parsed as the gateway's adapter for the feed's kind would. */
function rowsOf(sim: Simulator, feedId: string): Array<Record<string, unknown>> {
  const feed = sim.feeds.find((f) => f.id === feedId)!;
  const { body } = sim.render(feedId);
  if (feed.kind === 'csv') return parseCsvRows(body);
  const doc = parseJsonPayload(body) as Record<string, unknown>;
  if (feed.kind === 'graphql') return (doc.data as { figures: Array<Record<string, unknown>> }).figures;
  const key = { counts: 'report', records: 'records', breakdowns: 'cells', totals: 'totals' }[feed.shape];
  const at = doc[key] as Array<Record<string, unknown>> | { rows: Array<Record<string, unknown>> };
  return Array.isArray(at) ? at : at.rows;
}

/** Runs the real gateway on the simulator's config; returns a GraphQL client and a stop function. */
async function gatewayOn(sim: Simulator, baseUrl: string) {
  const config = buildConfig(sim.gatewayConfig(baseUrl), { baseDir: process.cwd(), origin: 'simulator' });
  const app: App = await createApp(config, {
    logger: createLogger({ LOG_LEVEL: 'silent' }),
    resolveCaller: openAccess,
    archive: null,
  });
  const server = http.createServer(app.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const query = async (q: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: q }),
    });
    return { status: res.status, text: await res.text() };
  };
  const stop = async () => {
    await app.stop();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { query, stop };
}

const NATIONAL =
  '{ national { unaccounted { value } coverage { forces reporting unavailable withoutFigure } } }';

describe('the feed layout', () => {
  const sim = createSimulator();

  test('covers every force of the default registry with exactly one headline feed', () => {
    const headline = sim.feeds.filter((f) => f.headline).flatMap((f) => f.forces);
    expect(headline).toHaveLength(45);
    expect([...headline].sort()).toEqual(registry.all.map((f) => f.id));
  });

  test('serves counts and records in every kind, breakdowns in every kind, and one national totals feed', () => {
    const combos = new Set(sim.feeds.map((f) => `${f.shape}/${f.kind}`));
    for (const shape of ['counts', 'records', 'breakdowns']) {
      for (const kind of ['csv', 'json', 'graphql']) expect(combos).toContain(`${shape}/${kind}`);
    }
    expect(sim.feeds.filter((f) => f.shape === 'totals').map((f) => f.id)).toEqual([TOTALS_FEED_ID]);
  });

  test('puts several forces in one payload for the regional counts feeds, one of each kind', () => {
    const regional = sim.feeds.filter((f) => f.shape === 'counts' && f.forces.length > 1);
    expect(new Set(regional.map((f) => f.kind))).toEqual(new Set(['csv', 'json', 'graphql']));
    const wales = sim.feeds.find((f) => f.id === 'sim-region-wales')!;
    expect(rowsOf(sim, wales.id).map((r) => r.force_code)).toEqual(wales.forces);
  });

  test('titles every feed SIMULATED and gives each a unique id and path', () => {
    for (const feed of sim.feeds) expect(feed.title).toMatch(/^SIMULATED/);
    expect(new Set(sim.feeds.map((f) => f.id)).size).toBe(sim.feeds.length);
    expect(new Set(sim.feeds.map((f) => f.path)).size).toBe(sim.feeds.length);
  });
});

describe('the gateway config', () => {
  test('validates against the gateway schema, one simulated source per feed, with mapped field names', () => {
    const sim = createSimulator();
    const config = buildConfig(sim.gatewayConfig('http://127.0.0.1:9'), {
      baseDir: process.cwd(),
      origin: 'sim',
    });
    expect(config.registry.size).toBe(45);
    expect(config.sources.map((s) => s.id)).toEqual(sim.feeds.map((f) => f.id));
    for (const source of config.sources) {
      expect(source.simulated).toBe(true);
      expect(source.title).toMatch(/^SIMULATED/);
      expect(source.location.startsWith('http://127.0.0.1:9/')).toBe(true);
      expect(source).toMatchObject({
        ttlSeconds: 30,
        staleForSeconds: 300,
        timeoutMs: 2000,
        retry: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 400 },
        breaker: { consecutiveFailures: 5, halfOpenAfterMs: 5000 },
      });
    }
    const csvCounts = config.sources.find((s) => s.id === 'sim-region-wales')!;
    expect(csvCounts.mapping).toMatchObject({ forceId: 'force_code', unaccounted: 'count', asAt: 'date' });
    const graphql = config.sources.find((s) => s.kind === 'graphql')!;
    expect(graphql).toMatchObject({ path: 'data.figures', query: expect.stringContaining('figures') });
    const singleJson = config.sources.find(
      (s) => s.kind === 'json' && s.shape === 'counts' && s.forces !== '*' && s.forces.length === 1,
    )!;
    expect(singleJson.constants).toEqual({ forceId: (singleJson.forces as string[])[0] });
  });

  test('applies overrides of ttl, staleFor, timeout, retry and breaker, and can select feeds', () => {
    const sim = createSimulator();
    const doc = sim.gatewayConfig('http://127.0.0.1:9', {
      ttlSeconds: 1,
      staleForSeconds: 2,
      timeoutMs: 300,
      retry: { maxAttempts: 1 },
      breaker: { halfOpenAfterMs: 100 },
      feeds: ['sim-region-wales'],
    });
    const config = buildConfig(doc, { baseDir: process.cwd(), origin: 'sim' });
    expect(config.sources).toHaveLength(1);
    expect(config.sources[0]).toMatchObject({
      ttlSeconds: 1,
      staleForSeconds: 2,
      timeoutMs: 300,
      retry: { maxAttempts: 1, initialDelayMs: 50, maxDelayMs: 400 },
      breaker: { consecutiveFailures: 5, halfOpenAfterMs: 100 },
    });
    expect(() => sim.gatewayConfig('http://127.0.0.1:9', { feeds: ['nope'] })).toThrow(
      /unknown simulated feed/,
    );
  });

  test('is written as YAML headed by a simulated-data comment, which the gateway loads', () => {
    const sim = createSimulator();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-sim-test-'));
    try {
      const file = path.join(dir, 'sources.yaml');
      sim.writeGatewayConfig(file, 'http://127.0.0.1:9');
      const text = fs.readFileSync(file, 'utf8');
      expect(text.startsWith('# SIMULATED DATA')).toBe(true);
      const config = loadConfig({ WHEREABOUTS_CONFIG: file });
      expect(config.sources).toHaveLength(sim.feeds.length);
      expect(config.sources.every((s) => s.simulated)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('gives the real gateway 45 reporting forces whose sum is what the simulator serves', async () => {
    // A held clock: figures drift at every wall-clock minute, and a query under load could straddle one.
    const held = Date.now();
    const { sim, baseUrl } = await listening({ now: () => held });
    const gateway = await gatewayOn(sim, baseUrl);
    try {
      const { status, text } = await gateway.query(NATIONAL);
      expect(status).toBe(200);
      const national = JSON.parse(text).data.national;
      expect(national.coverage).toEqual({ forces: 45, reporting: 45, unavailable: 0, withoutFigure: 0 });
      expect(national.unaccounted.value).toBe(sim.expected().unaccounted);
    } finally {
      await gateway.stop();
    }
  });

  test('lets the gateway make one request per feed for concurrent queries, and retry a flaky feed until it answers', async () => {
    const { sim, baseUrl } = await listening();
    const flaky = feedOf(sim, 'csv', 'counts').id;
    sim.setFault(flaky, { mode: 'flaky', failures: 2 });
    const gateway = await gatewayOn(sim, baseUrl);
    try {
      const answers = await Promise.all([
        gateway.query(NATIONAL),
        gateway.query(NATIONAL),
        gateway.query(NATIONAL),
      ]);
      for (const { text } of answers) expect(JSON.parse(text).data.national.coverage.reporting).toBe(45);
      const counts = sim.requestCounts();
      expect(counts[flaky]).toBe(3);
      for (const feed of sim.feeds.filter((f) => f.id !== flaky)) expect(counts[feed.id]).toBe(1);
      expect(sim.requestCount()).toBe(sim.feeds.length + 2);
    } finally {
      await gateway.stop();
    }
  });
});

describe('simulated figures', () => {
  test('are the same for the same seed and clock, payload for payload', () => {
    const a = createSimulator({ seed: 7, now: () => T0 });
    const b = createSimulator({ seed: 7, now: () => T0 });
    for (const feed of a.feeds) expect(a.render(feed.id).body).toBe(b.render(feed.id).body);
  });

  test('differ for a different seed', () => {
    const a = createSimulator({ seed: 'one', now: () => T0 }).expected();
    const b = createSimulator({ seed: 'two', now: () => T0 }).expected();
    expect(a.forces.map((f) => f.unaccounted)).not.toEqual(b.forces.map((f) => f.unaccounted));
  });

  test('change only when the clock crosses a drift interval, and then by a few units', () => {
    const sim = createSimulator({ now: () => T0, driftIntervalMs: 10_000 });
    const before = sim.expected();
    sim.advance(9_999);
    expect(sim.expected()).toEqual(before);
    sim.advance(1);
    const after = sim.expected();
    expect(after.forces.some((f, i) => f.unaccounted !== before.forces[i]!.unaccounted)).toBe(true);
    after.forces.forEach((f, i) =>
      expect(Math.abs(f.unaccounted - before.forces[i]!.unaccounted)).toBeLessThanOrEqual(10),
    );
    expect(sim.now()).toBe(T0 + 10_000);
  });

  test('are dated today (UTC) at day precision, following the clock past midnight', () => {
    const sim = createSimulator({ now: () => T0 + DAY_MS - 1 });
    const feed = feedOf(sim, 'csv', 'counts').id;
    expect(rowsOf(sim, feed)[0]!.date).toBe('2024-03-05');
    sim.advance(1);
    expect(rowsOf(sim, feed)[0]!.date).toBe('2024-03-06');
    const json = feedOf(sim, 'json', 'counts').id;
    expect(rowsOf(sim, json)[0]!.period).toEqual({ as_at: '2024-03-06', precision: 'day' });
  });

  test("stay small, apart from a few larger forces, and never repeat a force's published figure", () => {
    const published = new Map<string, Set<number>>();
    const rows: Array<Record<string, string>> = parse(
      fs.readFileSync(path.join(DATA_DIR, 'published-figures.csv'), 'utf8'),
      { columns: true },
    );
    for (const row of rows)
      published.set(row.force_id!, (published.get(row.force_id!) ?? new Set()).add(Number(row.value)));
    const sim = createSimulator({ now: () => T0, driftIntervalMs: 1000 });
    const large = new Set<string>();
    for (let bucket = 0; bucket < 40; bucket += 1) {
      for (const f of sim.expected().forces) {
        expect(f.unaccounted).toBeGreaterThanOrEqual(0);
        expect(published.get(f.forceId)?.has(f.unaccounted) ?? false).toBe(false);
        if (f.unaccounted > 60) large.add(f.forceId);
      }
      sim.advance(1000);
    }
    expect(large.size).toBeGreaterThan(0);
    expect(large.size).toBeLessThanOrEqual(3);
  });

  test('come as anonymised records, as many as the headline, with nothing identifying', () => {
    const sim = createSimulator({ now: () => T0 });
    for (const kind of ['csv', 'json', 'graphql']) {
      const feed = feedOf(sim, kind, 'records');
      const records = rowsOf(sim, feed.id);
      expect(records).toHaveLength(
        sim.expected().forces.find((f) => f.forceId === feed.forces[0])!.unaccounted,
      );
      for (const record of records) {
        const text = JSON.stringify(record);
        expect(text).not.toMatch(/name|address|"id"|dob|birth|CANARY/i);
      }
    }
    const json = feedOf(sim, 'json', 'records');
    expect(Object.keys(rowsOf(sim, json.id)[0]!).sort()).toEqual([
      'extracted_on',
      'force',
      'mappa_level',
      'missing_since',
      'offence',
    ]);
  });

  test('add up, in each breakdown, to the headline count; one breakdowns feed withholds its MAPPA levels', () => {
    const sim = createSimulator({ now: () => T0 });
    const breakdowns = sim.feeds.filter((f) => f.shape === 'breakdowns');
    expect(breakdowns.length).toBeGreaterThanOrEqual(3);
    const withheld: string[] = [];
    for (const feed of breakdowns) {
      const headline = sim.expected().forces.find((f) => f.forceId === feed.forces[0])!.unaccounted;
      const sums = new Map<string, number>();
      for (const row of rowsOf(sim, feed.id)) {
        const nested = row.breakdown as { dimension?: string } | string | undefined;
        const dimension = String(typeof nested === 'object' ? nested.dimension : (nested ?? row.dimension));
        const status = String(row.status ?? row.cell_status);
        if (/withheld/i.test(status)) withheld.push(`${feed.kind}:${dimension}`);
        else sums.set(dimension, (sums.get(dimension) ?? 0) + Number(row.count));
      }
      for (const sum of sums.values()) expect(sum).toBe(headline);
    }
    expect(withheld).toEqual(['graphql:MAPPA_LEVEL']);
  });

  test('include a simulated national total equal to the sum of the headlines', () => {
    const sim = createSimulator({ now: () => T0 });
    const [total] = rowsOf(sim, TOTALS_FEED_ID);
    expect(total).toMatchObject({ area: 'UK', date: '2024-03-05', coverage: { responded: 45, asked: 45 } });
    expect(Math.abs(Number(total!.total) - sim.expected().unaccounted)).toBeLessThanOrEqual(2);
    expect(String(total!.note)).toMatch(/^SIMULATED/);
  });
});

describe('faults', () => {
  test('http500 answers 500, or the 5xx asked for such as 503', async () => {
    const { sim, baseUrl } = await listening();
    const feed = feedOf(sim, 'json', 'counts').id;
    sim.setFault(feed, { mode: 'http500' });
    expect((await fetchFeed(sim, baseUrl, feed)).status).toBe(500);
    sim.setFault(feed, { mode: 'http500', status: 503 });
    expect((await fetchFeed(sim, baseUrl, feed)).status).toBe(503);
    sim.setFault(feed, null);
    expect((await fetchFeed(sim, baseUrl, feed)).status).toBe(200);
  });

  test('http429 answers 429 with Retry-After in seconds', async () => {
    const { sim, baseUrl } = await listening();
    const feed = feedOf(sim, 'graphql', 'counts').id;
    sim.setFault(feed, { mode: 'http429', retryAfterSeconds: 7 });
    const res = await fetchFeed(sim, baseUrl, feed);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
  });

  test('slow answers normally after delayMs', async () => {
    const { sim, baseUrl } = await listening();
    const feed = feedOf(sim, 'csv', 'counts').id;
    sim.setFault(feed, { mode: 'slow', delayMs: 150 });
    const t0 = performance.now();
    const res = await fetchFeed(sim, baseUrl, feed);
    expect(res.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  test('hang never answers, and close() releases the held connection', async () => {
    const { sim, baseUrl } = await listening();
    const feed = feedOf(sim, 'csv', 'counts').id;
    sim.setFault(feed, { mode: 'hang' });
    const pending = fetchFeed(sim, baseUrl, feed).then(
      () => 'answered',
      () => 'connection closed',
    );
    while (sim.requestCount(feed) === 0) await new Promise((r) => setTimeout(r, 5));
    const raced = await Promise.race([
      pending,
      new Promise((r) => setTimeout(() => r('still hanging'), 100)),
    ]);
    expect(raced).toBe('still hanging');
    const t0 = performance.now();
    await sim.close();
    expect(await pending).toBe('connection closed');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  test('flaky fails the first N requests with 500, then succeeds', async () => {
    const { sim, baseUrl } = await listening();
    const feed = feedOf(sim, 'json', 'records').id;
    sim.setFault(feed, { mode: 'flaky', failures: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await fetchFeed(sim, baseUrl, feed)).status);
    expect(statuses).toEqual([500, 500, 200, 200]);
  });

  test('malformed sends an HTML page, truncated JSON or a CSV row short of a column, by kind or by variant', async () => {
    const { sim, baseUrl } = await listening();
    const csv = feedOf(sim, 'csv', 'counts').id;
    const json = feedOf(sim, 'json', 'counts').id;
    const graphql = feedOf(sim, 'graphql', 'counts').id;
    sim.setFault(csv, { mode: 'malformed' });
    sim.setFault(json, { mode: 'malformed' });
    sim.setFault(graphql, { mode: 'malformed', variant: 'html' });
    const csvRes = await fetchFeed(sim, baseUrl, csv);
    expect(csvRes.status).toBe(200);
    const csvText = await csvRes.text();
    expect(() => parseCsvRows(csvText)).toThrow(/could not be parsed/);
    expect(() => parseJsonPayload(sim.render(json).body)).toThrow(/not valid JSON/);
    const html = await fetchFeed(sim, baseUrl, graphql);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    const htmlText = await html.text();
    expect(() => parseJsonPayload(htmlText)).toThrow(/HTML page/);
    sim.setFault(json, { mode: 'malformed', variant: 'missing-column' });
    expect(rowsOf(sim, json)[0]).not.toHaveProperty(['period', 'as_at']);
  });

  test('drift renames a field, sends numbers as text, or sends a negative count', () => {
    const sim = createSimulator({ now: () => T0 });
    const json = feedOf(sim, 'json', 'counts').id;
    const csv = feedOf(sim, 'csv', 'counts').id;
    const healthy = rowsOf(sim, json)[0]!.figures as Record<string, unknown>;
    expect(typeof healthy.whereabouts_unknown).toBe('number');

    sim.setFault(json, { mode: 'drift' });
    const renamed = rowsOf(sim, json)[0]!.figures as Record<string, unknown>;
    expect(renamed).not.toHaveProperty('whereabouts_unknown');
    expect(renamed.whereabouts_unknown_v2).toBe(healthy.whereabouts_unknown);

    sim.setFault(json, { mode: 'drift', variant: 'number-as-text' });
    expect((rowsOf(sim, json)[0]!.figures as Record<string, unknown>).whereabouts_unknown).toBe(
      String(healthy.whereabouts_unknown),
    );
    sim.setFault(csv, { mode: 'drift', variant: 'number-as-text' });
    expect(rowsOf(sim, csv)[0]!.count).toMatch(/^\d+\.0$/);

    sim.setFault(csv, { mode: 'drift', variant: 'negative-count' });
    expect(Number(rowsOf(sim, csv)[0]!.count)).toBeLessThan(0);

    sim.setFault(csv, { mode: 'drift', variant: 'renamed-field', field: 'forceId' });
    expect(Object.keys(rowsOf(sim, csv)[0]!)).toContain('force_code_v2');
  });

  test('pii adds the canary name and address to records only while it is set', () => {
    const sim = createSimulator({ now: () => T0 });
    expect(PII_CANARIES.name).toMatch(/^CANARY-/);
    expect(PII_CANARIES.address).toMatch(/^CANARY-/);
    for (const kind of ['csv', 'json', 'graphql']) {
      const feed = feedOf(sim, kind, 'records').id;
      expect(sim.render(feed).body).not.toContain('CANARY');
      sim.setFault(feed, { mode: 'pii' });
      const records = rowsOf(sim, feed);
      expect(records.length).toBeGreaterThan(0);
      for (const record of records)
        expect(record).toMatchObject({ name: PII_CANARIES.name, address: PII_CANARIES.address });
      sim.setFault(feed, null);
      expect(sim.render(feed).body).not.toContain('CANARY');
    }
  });

  test('are refused when they name an unknown feed, mode or field', () => {
    const sim = createSimulator();
    expect(() => sim.setFault('sim-nowhere', { mode: 'hang' })).toThrow(FaultError);
    expect(() => sim.setFault('sim-region-wales', { mode: 'explode' } as never)).toThrow(
      /mode must be one of/,
    );
    expect(() => sim.setFault('sim-region-wales', { mode: 'http500', status: 404 })).toThrow(FaultError);
    expect(() => sim.setFault('sim-region-wales', { mode: 'drift', field: 'shoeSize' })).toThrow(
      /not a field/,
    );
  });
});

describe('the HTTP surface', () => {
  test('a GraphQL feed rejects GET with 405 and answers any POSTed query with data.figures', async () => {
    const { sim, baseUrl } = await listening();
    const feed = feedOf(sim, 'graphql', 'counts');
    const get = await fetch(`${baseUrl}${feed.path}`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const post = await fetchFeed(sim, baseUrl, feed.id);
    expect(post.status).toBe(200);
    const body = (await post.json()) as { data: { figures: unknown[] } };
    expect(body.data.figures).toHaveLength(1);
    const noQuery = await fetch(`${baseUrl}${feed.path}`, { method: 'POST', body: '{}' });
    expect(noQuery.status).toBe(400);
  });

  test('control endpoints set, list and clear faults, and list request counts without counting themselves', async () => {
    const { sim, baseUrl } = await listening();
    const feed = feedOf(sim, 'csv', 'counts').id;
    const set = await fetch(`${baseUrl}/_control/faults/${feed}`, {
      method: 'POST',
      body: JSON.stringify({ mode: 'http500', status: 503 }),
    });
    expect(set.status).toBe(200);
    expect(sim.faultOf(feed)).toEqual({ mode: 'http500', status: 503 });
    expect((await fetchFeed(sim, baseUrl, feed)).status).toBe(503);

    const list = (await (await fetch(`${baseUrl}/_control/feeds`)).json()) as {
      totalRequests: number;
      feeds: Array<{
        id: string;
        kind: string;
        shape: string;
        forces: string[];
        requests: number;
        fault: unknown;
      }>;
    };
    expect(list.totalRequests).toBe(1);
    expect(list.feeds).toHaveLength(sim.feeds.length);
    expect(list.feeds.find((f) => f.id === feed)).toMatchObject({
      kind: 'csv',
      shape: 'counts',
      requests: 1,
      fault: { mode: 'http500' },
    });

    expect((await fetch(`${baseUrl}/_control/faults/${feed}`, { method: 'DELETE' })).status).toBe(204);
    expect(sim.faultOf(feed)).toBeNull();
    expect(
      (await fetch(`${baseUrl}/_control/faults/${feed}`, { method: 'POST', body: '{"mode":"boom"}' })).status,
    ).toBe(400);
    expect(
      (await fetch(`${baseUrl}/_control/faults/sim-nowhere`, { method: 'POST', body: '{"mode":"hang"}' }))
        .status,
    ).toBe(404);
    expect(sim.requestCount()).toBe(1);
  });

  test('counts requests per feed and in total until reset', async () => {
    const { sim, baseUrl } = await listening();
    const [a, b] = [feedOf(sim, 'csv', 'counts').id, feedOf(sim, 'graphql', 'records').id];
    await Promise.all([fetchFeed(sim, baseUrl, a), fetchFeed(sim, baseUrl, a), fetchFeed(sim, baseUrl, b)]);
    expect(sim.requestCount(a)).toBe(2);
    expect(sim.requestCount(b)).toBe(1);
    expect(sim.requestCount()).toBe(3);
    sim.resetCounts();
    expect(sim.requestCount()).toBe(0);
    expect(() => sim.requestCount('sim-nowhere')).toThrow(FaultError);
  });

  test('listens on 127.0.0.1 only and delays answers by the configured latency', async () => {
    const { sim, baseUrl } = await listening({ latencyMs: [80, 80] });
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const t0 = performance.now();
    expect((await fetchFeed(sim, baseUrl, 'sim-region-wales')).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75);
    expect(() => createSimulator({ latencyMs: [50, 10] })).toThrow(/latencyMs/);
  });
});

describe('the simulate command', () => {
  test('starts the simulator on 127.0.0.1 and writes a gateway config that loads', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-sim-cli-'));
    try {
      const { sim, address, configFile } = await startSimulation({
        port: 0,
        configOut: path.join(dir, 'out', 'sources.yaml'),
        seed: 'cli',
      });
      running.push(sim);
      expect(address.baseUrl).toBe(`http://127.0.0.1:${address.port}`);
      const config = loadConfig({ WHEREABOUTS_CONFIG: configFile });
      expect(config.sources[0]!.location.startsWith(address.baseUrl)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--sources N serves N simulated single-force feeds, and the config written for them loads', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-sim-cli-'));
    try {
      const { sim, configFile } = await startSimulation({
        port: 0,
        configOut: path.join(dir, 'sources.yaml'),
        seed: 'cli',
        sources: 90,
      });
      running.push(sim);
      expect(sim.feeds).toHaveLength(90);
      const config = loadConfig({ WHEREABOUTS_CONFIG: configFile });
      expect(config.sources).toHaveLength(90);
      expect(config.sources.every((s) => s.title.startsWith('SIMULATED'))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('reads --latency-ms as MIN,MAX (or one number) and refuses MAX below MIN', () => {
    expect(parseLatency('5,40')).toEqual([5, 40]);
    expect(parseLatency('7')).toEqual([7, 7]);
    expect(() => parseLatency('40,5')).toThrow(/at least MIN/);
    expect(() => parseLatency('a,b')).toThrow(/MIN,MAX/);
    expect(DEFAULT_SIM_PORT).toBe(4100);
  });
});

describe('scale mode (`sources: n`)', () => {
  test('lays out n single-force counts feeds round-robin over the forces, each SIMULATED, kinds rotating', () => {
    const sim = createSimulator({ sources: 100 });
    expect(sim.feeds).toHaveLength(100);
    expect(new Set(sim.feeds.map((f) => f.id)).size).toBe(100);
    expect(new Set(sim.feeds.map((f) => f.path)).size).toBe(100);
    sim.feeds.forEach((f, i) => {
      expect(f).toMatchObject({ shape: 'counts', headline: true, kind: ['csv', 'json', 'graphql'][i % 3] });
      expect(f.forces).toEqual([registry.all[i % 45]!.id]);
      expect(f.title).toMatch(/^SIMULATED/);
      expect(f.id).toMatch(/^sim-n\d{3}-[a-z0-9-]+$/);
    });
    // Same layout every time (stable ids), and each force counted once in what the feeds serve.
    expect(createSimulator({ sources: 100 }).feeds.map((f) => f.id)).toEqual(sim.feeds.map((f) => f.id));
    expect(sim.expected().forces).toHaveLength(45);
    expect(() => createSimulator({ sources: 0 })).toThrow(/sources must be a whole number/);
  });

  test('serves 4,500 feeds from one server, routed by path, and its gateway config loads', async () => {
    const { sim, baseUrl } = await listening({ sources: 4500 });
    const last = sim.feeds[4499]!;
    const res = await fetch(`${baseUrl}${last.path}`, {
      method: last.kind === 'graphql' ? 'POST' : 'GET',
      headers: { 'content-type': 'application/json' },
      ...(last.kind === 'graphql' ? { body: JSON.stringify({ query: '{ figures { count } }' }) } : {}),
    });
    expect(res.status).toBe(200);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-sim-')), 'gateway.yaml');
    sim.writeGatewayConfig(file, baseUrl, { concurrency: 64 });
    const text = fs.readFileSync(file, 'utf8');
    // Many sources: the simulated-data header, then YAML's JSON subset, which the gateway reads fast.
    expect(text).toMatch(/^# SIMULATED DATA/);
    const config = loadConfig({ WHEREABOUTS_CONFIG: file });
    expect(config.sources).toHaveLength(4500);
    expect(config.sources.every((s) => s.simulated && s.title.startsWith('SIMULATED'))).toBe(true);
    expect(config.upstream.concurrency).toBe(64);
  });

  test('records each request with its drawn delay and real duration, and the most in flight at once', async () => {
    const { sim, baseUrl } = await listening({ sources: 6, latencyMs: [20, 40] });
    const feeds = sim.feeds.filter((f) => f.kind !== 'graphql');
    await Promise.all(feeds.map((f) => fetch(`${baseUrl}${f.path}`).then((r) => r.text())));
    const log = sim.requestLog();
    expect(log.map((r) => r.feedId).sort()).toEqual(feeds.map((f) => f.id).sort());
    for (const r of log) {
      expect(r.delayMs).toBeGreaterThanOrEqual(20);
      expect(r.delayMs).toBeLessThanOrEqual(40);
      expect(r.durationMs).toBeGreaterThanOrEqual(r.delayMs - 2);
    }
    expect(sim.maxInFlight()).toBe(feeds.length);
    sim.resetCounts();
    expect(sim.requestLog()).toEqual([]);
    expect(sim.maxInFlight()).toBe(0);
  });

  test('a hung feed is logged without a duration', async () => {
    const { sim, baseUrl } = await listening({ sources: 3 });
    const feed = sim.feeds.find((f) => f.kind === 'csv')!;
    sim.setFault(feed.id, { mode: 'hang' });
    const res = fetch(`${baseUrl}${feed.path}`).catch(() => null);
    await new Promise((r) => setTimeout(r, 100));
    expect(sim.requestLog()).toEqual([expect.objectContaining({ feedId: feed.id, durationMs: null })]);
    await sim.close();
    await res;
  });
});
