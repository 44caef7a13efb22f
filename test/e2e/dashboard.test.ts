/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core, against a gateway on a
 * loopback port reading the simulator's 45 forces, with real API keys. Nothing is mocked and nothing is
 * skipped: without /usr/bin/chromium every test here fails, saying how to install it.
 *
 * Screenshots go to test/e2e/artifacts/ (gitignored): dashboard-desktop.png and dashboard-phone.png, and
 * the breakdowns panel on the simulator's figures, dashboard-breakdowns-desktop.png and -phone.png.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { CreatedApiKey } from '../../src/access/api-keys';
import { ApiKeyStore } from '../../src/access/api-keys';
import { loadApprovedOperations } from '../../src/access/approved-operations';
import { buildConfig } from '../../src/config/load';
import { DASHBOARD_CSP } from '../../src/http/dashboard/router';
import type { FeedDefinition, Simulator } from '../../src/simulator';
import { createSimulator } from '../../src/simulator';
import { TestClock } from '../helpers/clock';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium';
import type { RunningGateway } from '../helpers/gateway';
import { gql, startGateway } from '../helpers/gateway';

const ARTIFACTS = path.join(__dirname, 'artifacts');

// Functions passed to page.evaluate run in the page. The project compiles without the DOM lib, so the
// page's globals are declared here, for this file only.
declare const document: any;
declare const window: any;
declare const sessionStorage: any;
/** Longest any single wait in the browser may take: a hang guard. */
const WAIT_MS = 15_000;

jest.setTimeout(90_000);

/** The operations the page runs, as the API serves them to any dashboard client. */
const OPERATIONS = Object.fromEntries(loadApprovedOperations().map((op) => [op.name, op]));

/** Runs an approved operation by document id, as the page does. */
async function persisted(gateway: RunningGateway, key: string, name: string): Promise<any> {
  const op = OPERATIONS[name];
  if (!op) throw new Error(`no approved operation ${name}`);
  const res = await fetch(gateway.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      authorization: `Bearer ${key}`,
    },
    body: JSON.stringify({
      extensions: { persistedQuery: { version: 1, sha256Hash: op.sha256 } },
      variables: {},
    }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown };
  if (res.status !== 200 || !body.data)
    throw new Error(`${name}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.data;
}

/** What the page shows, read from the DOM (numbers from data-value, checked against their text too). */
async function pageFigures(page: Page) {
  return page.evaluate(() => {
    const num = (testId: string) => {
      const node = document.querySelector(`[data-testid="${testId}"]`)!;
      const text = (node.textContent ?? '').replace(/,/g, '').trim();
      return { value: node.dataset.value === '' ? null : Number(node.dataset.value), text };
    };
    const rows = (testId: string) =>
      [...document.querySelectorAll(`[data-testid="${testId}"] tbody tr`)].map((tr) => ({
        ...tr.dataset,
        text: tr.textContent ?? '',
        error: tr.querySelector('[data-error]')?.dataset.error ?? '',
      }));
    return {
      version: Number(document.body.dataset.version ?? 0),
      total: num('national-total'),
      ourSum: num('our-sum'),
      coverage: Object.fromEntries(
        ['forces', 'reporting', 'unavailable', 'stale', 'withoutFigure', 'withheld', 'notHeld'].map((k) => [
          k,
          num(`coverage-${k}`),
        ]),
      ),
      stale: num('freshness-stale'),
      missing: [...document.querySelectorAll('[data-testid="missing-list"] li')].map((li) => ({
        force: li.dataset.force,
        outcome: li.dataset.outcome,
      })),
      forces: rows('force-table'),
      sources: rows('sources-table'),
      published: rows('published-table'),
      simulatedBanner: !document.querySelector('[data-testid="simulated-banner"]')!.hasAttribute('hidden'),
      totalSimulated: !document.getElementById('total-simulated')!.hasAttribute('hidden'),
      live: document.querySelector('[data-testid="live-status"]')!.dataset.live,
      chartBars: (() => {
        const chart = (window as any).Chart?.getChart?.('force-chart');
        if (!chart) return null;
        return chart.data.labels.length as number;
      })(),
    };
  });
}

type PageFigures = Awaited<ReturnType<typeof pageFigures>>;

/** Asserts that the page shows exactly what the API answers for the same approved operations. */
function expectPageMatchesApi(shown: PageFigures, national: any, sources: any[]): void {
  const n = national.national;
  expect(shown.total).toEqual({ value: n.unaccounted.value, text: String(n.unaccounted.value) });
  expect(shown.ourSum.value).toBe(n.unaccounted.value);
  for (const k of ['forces', 'reporting', 'unavailable', 'stale', 'withoutFigure', 'withheld', 'notHeld']) {
    expect({ [k]: shown.coverage[k] }).toEqual({
      [k]: { value: n.coverage[k], text: String(n.coverage[k]) },
    });
  }
  expect(shown.stale.value).toBe(n.coverage.stale);
  expect(shown.missing).toEqual(
    expect.arrayContaining(n.coverage.missing.map((m: any) => ({ force: m.force.id, outcome: m.outcome }))),
  );
  expect(shown.missing).toHaveLength(n.coverage.missing.length);
  // Every force, with its figure.
  const apiForces = Object.fromEntries(
    n.forces.map((e: any) => [
      e.force.id,
      e.figure?.value === null || !e.figure ? '' : String(e.figure.value),
    ]),
  );
  expect(Object.fromEntries(shown.forces.map((r) => [r.force, r.value]))).toEqual(apiForces);
  // The chart has one bar per force in the sum.
  expect(shown.chartBars).toBe(n.coverage.reporting);
  // Published totals, beside the sum.
  expect(shown.published.map((r) => Number(r.value))).toEqual(n.publishedTotals.map((t: any) => t.value));
  // Every source's health.
  expect(Object.fromEntries(shown.sources.map((r) => [r.source, [r.state, r.error]]))).toEqual(
    Object.fromEntries(sources.map((s) => [s.id, [s.state, s.error?.code ?? '']])),
  );
}

/** Polls until `check` is truthy (or fails after WAIT_MS), returning its value. */
async function until<T>(check: () => Promise<T | null | undefined | false>, what: string, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    const value = await check().catch((e) => ((last = e), null));
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Waits until the page shows exactly what the API answers for the same approved operations, read at the
 * same moment (both settle once the gateway's background refreshes have landed); fails with the last
 * difference after WAIT_MS.
 */
async function pageMatchesApi(page: Page, gateway: RunningGateway, key: string) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const [national, { sources }] = await Promise.all([
      persisted(gateway, key, 'national-latest'),
      persisted(gateway, key, 'sources-status'),
    ]);
    const shown = await pageFigures(page);
    try {
      expectPageMatchesApi(shown, national, sources);
      return { shown, national, sources };
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('dashboard in chromium', () => {
  const clock = new TestClock();
  let sim: Simulator;
  let gateway: RunningGateway;
  let tmp: string;
  let dashboardKey: CreatedApiKey;
  let operatorKey: CreatedApiKey;
  let context: BrowserContext | undefined;
  let page: Page;
  const consoleErrors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `Debian chromium is missing at ${CHROMIUM}: the browser tests need it. Install it with ` +
          '`npm run deps:system` (as root: apt-get install chromium), or point WHEREABOUTS_CHROMIUM at a chromium binary.',
      );
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-e2e-'));
    const keys = ApiKeyStore.load(path.join(tmp, 'keys.json'));
    dashboardKey = keys.create('dashboard', 'e2e dashboard');
    operatorKey = keys.create('operator', 'e2e operator');

    sim = createSimulator({ now: clock.now });
    const { baseUrl } = await sim.listen(0);
    const document = sim.gatewayConfig(baseUrl, {
      ttlSeconds: 30,
      staleForSeconds: 300,
      timeoutMs: 2000,
      retry: { maxAttempts: 1 },
      breaker: { consecutiveFailures: 1000, halfOpenAfterMs: 100 },
    });
    const config = buildConfig(document, { baseDir: process.cwd(), origin: 'simulator' });
    gateway = await startGateway(config, { now: clock.now, redis: null, env: {}, apiKeys: keys });

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      timeout: WAIT_MS,
    });
    context.setDefaultTimeout(WAIT_MS);
    context.on('request', (req) => requests.push(req.url()));
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  });

  afterAll(async () => {
    await context?.close();
    await gateway?.close();
    await sim?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the page loads under a strict CSP, asks for a key, and shows what the API answers', async () => {
    const response = await page.goto(`${gateway.url}/dashboard`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toBe(DASHBOARD_CSP);
    // Open to load, but no data without a key.
    await page.getByTestId('key-input').waitFor();
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('locked');

    await page.getByTestId('key-input').fill(dashboardKey.token);
    await page.getByTestId('key-submit').click();
    await page.waitForSelector('body[data-state="ready"]');

    // The key is in sessionStorage and nowhere in the URL.
    expect(page.url()).toBe(`${gateway.url}/dashboard`);
    expect(await page.evaluate(() => sessionStorage.getItem('whereabouts.dashboardKey'))).toBe(
      dashboardKey.token,
    );

    const [national, { sources }] = await Promise.all([
      persisted(gateway, dashboardKey.token, 'national-latest'),
      persisted(gateway, dashboardKey.token, 'sources-status'),
    ]);
    const shown = await pageFigures(page);
    expectPageMatchesApi(shown, national, sources);
    // The simulator's 45 forces: every figure is simulated, and the page says so.
    expect(national.national.coverage.forces).toBe(45);
    expect(national.national.unaccounted.value).toBeGreaterThan(0);
    expect(shown.simulatedBanner).toBe(true);
    expect(shown.totalSimulated).toBe(true);
    expect(shown.forces.filter((r) => r.value !== '').every((r) => r.text.includes('SIMULATED'))).toBe(true);
    expect(shown.published.length).toBeGreaterThan(0);

    // Live updates connect through the approved subscription.
    await page.waitForSelector('[data-testid="live-status"][data-live="on"]');

    // Everything came from the gateway itself: no CDN, no other origin.
    expect(
      requests.filter((u) => !u.startsWith(`${gateway.url}/`) && !u.startsWith('ws://127.0.0.1')),
    ).toEqual([]);
    expect(requests).toEqual(expect.arrayContaining([`${gateway.url}/dashboard/vendor/chart.umd.min.js`]));
    expect(consoleErrors).toEqual([]);
  });

  test('a simulated change reaches the page through the subscription, without a reload', async () => {
    await page.waitForSelector('[data-testid="live-status"][data-live="on"]');
    await page.evaluate(() => ((window as any).__sameDocument = true));
    const before = await pageFigures(page);

    // A single-force feed whose figure drifts when the shared clock passes the drift interval (and the TTL).
    const feed: FeedDefinition = sim.feeds.find(
      (f) => f.kind === 'json' && f.shape === 'counts' && f.forces.length === 1,
    )!;
    const force = feed.forces[0]!;
    const shownBefore = before.forces.find((r) => r.force === force)!.value;
    const expectedNow = () => sim.expected().forces.find((f) => f.forceId === force)!.unaccounted;
    expect(String(expectedNow())).toBe(shownBefore);
    for (let i = 0; i < 50 && String(expectedNow()) === shownBefore; i += 1)
      clock.advance(sim.driftIntervalMs);
    const drifted = expectedNow();
    expect(String(drifted)).not.toBe(shownBefore);

    // An operator refreshes that source: the gateway refetches it and announces the change.
    const refreshed = await gql(
      gateway.graphqlUrl,
      `mutation { refreshSource(id: "${feed.id}") { id state } }`,
      undefined,
      { authorization: `Bearer ${operatorKey.token}` },
    );
    expect(refreshed.body.errors).toBeUndefined();
    expect(refreshed.body.data?.refreshSource.state).toBe('OK');

    // The page shows the new figure well before its 30 s poll: the subscription told it.
    await until(
      async () => (await pageFigures(page)).forces.find((r) => r.force === force)?.value === String(drifted),
      `the page to show ${force}'s new figure ${drifted}`,
      10_000,
    );
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);

    // Every other source went past its TTL too: their background refreshes announce themselves as well.
    // The page, still the same document, ends up showing exactly what the API answers.
    const { shown: after, national } = await pageMatchesApi(page, gateway, dashboardKey.token);
    expect(national.national.coverage.stale).toBe(0);
    expect(after.total.value).not.toBe(before.total.value);
    expect(after.version).toBeGreaterThan(before.version);
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    expect(consoleErrors).toEqual([]);
  });

  test('a failing source: its forces become UNAVAILABLE and the page shows them and the error', async () => {
    await page.evaluate(() => ((window as any).__sameDocument = true));
    // A regional feed speaking for several forces starts answering 500s...
    const failing = sim.feeds.find((f) => f.id === 'sim-region-wales')!;
    expect(failing.forces.length).toBeGreaterThan(1);
    sim.setFault(failing.id, { mode: 'http500' });
    // ...for longer than its figures may be served stale (TTL 30 s + stale-for 300 s).
    clock.advance(331_000);
    // An operator refreshes another source: its change is announced, and the page re-reads everything.
    const healthy = sim.feeds.find((f) => f.id !== failing.id && f.forces.length === 1 && f.headline)!;
    const refreshed = await gql(
      gateway.graphqlUrl,
      `mutation { refreshSource(id: "${healthy.id}") { id state } }`,
      undefined,
      { authorization: `Bearer ${operatorKey.token}` },
    );
    expect(refreshed.body.errors).toBeUndefined();

    const { shown, national } = await pageMatchesApi(page, gateway, dashboardKey.token);
    expect(national.national.coverage.unavailable).toBe(failing.forces.length);
    expect(shown.coverage.unavailable!.value).toBe(failing.forces.length);
    expect(shown.missing.filter((m) => m.outcome === 'UNAVAILABLE').map((m) => m.force)).toEqual(
      expect.arrayContaining([...failing.forces]),
    );
    expect(shown.sources.find((r) => r.source === failing.id)).toMatchObject({
      state: 'ERROR',
      error: 'UPSTREAM_HTTP_ERROR',
    });
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    expect(consoleErrors).toEqual([]);
  });

  test('screenshots at desktop and phone width; at 390 px nothing overflows sideways', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.waitForSelector('body[data-state="ready"]');
    // Open the list of forces not in the sum, so that the screenshots show it.
    await page.click('#missing-details summary');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-desktop.png'), fullPage: true });
    await page.waitForSelector('[data-testid="breakdowns"][data-state="ready"]');
    await page
      .locator('.breakdowns-card')
      .screenshot({ path: path.join(ARTIFACTS, 'dashboard-breakdowns-desktop.png') });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction(() => (window as any).Chart.getChart('force-chart').width <= 390);
    const widths = await page.evaluate(() => ({
      document: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
      total: document.querySelector('[data-testid="national-total"]')!.getBoundingClientRect().width,
      columns: new Set(
        [...document.querySelectorAll('.grid > .card')].map((c) =>
          Math.round(c.getBoundingClientRect().left),
        ),
      ).size,
    }));
    expect(widths.viewport).toBe(390);
    expect(widths.document).toBeLessThanOrEqual(390);
    expect(widths.columns).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
    await page
      .locator('.breakdowns-card')
      .screenshot({ path: path.join(ARTIFACTS, 'dashboard-breakdowns-phone.png') });
    // What a phone shows first, without scrolling.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone-top.png') });
    expect(fs.statSync(path.join(ARTIFACTS, 'dashboard-phone.png')).size).toBeGreaterThan(10_000);
    expect(fs.statSync(path.join(ARTIFACTS, 'dashboard-desktop.png')).size).toBeGreaterThan(10_000);
    expect(consoleErrors).toEqual([]);
  });

  test('with no other traffic, a simulated change reaches the page within its TTL, by refresh without traffic (issue 19)', async () => {
    // A gateway of its own on the real clock (the refresh schedule's timers are real), with a 3 s TTL; the
    // simulator's clock is held an hour behind and still, so a figure changes only when the test moves it.
    const ttlMs = 3000;
    const simClock = new TestClock(Date.now() - 3_600_000);
    const idleSim = createSimulator({ now: simClock.now });
    const { baseUrl } = await idleSim.listen(0);
    const config = buildConfig(
      idleSim.gatewayConfig(baseUrl, {
        ttlSeconds: ttlMs / 1000,
        staleForSeconds: 300,
        timeoutMs: 2000,
        retry: { maxAttempts: 1 },
        breaker: { consecutiveFailures: 1000, halfOpenAfterMs: 100 },
      }),
      { baseDir: process.cwd(), origin: 'simulator' },
    );
    const idle = await startGateway(config, {
      redis: null,
      env: {},
      apiKeys: ApiKeyStore.load(path.join(tmp, 'keys.json')),
    });
    const other = await context!.newPage();
    const errors: string[] = [];
    other.on('console', (m: ConsoleMessage) => m.type() === 'error' && errors.push(m.text()));
    other.on('pageerror', (e) => errors.push(e.message));
    try {
      // As the entry point does at start: every source is read once, then kept fresh by the schedule.
      await idle.app.service.warmUp();
      await other.goto(`${idle.url}/dashboard`);
      await other.getByTestId('key-input').fill(dashboardKey.token);
      await other.getByTestId('key-submit').click();
      await other.waitForSelector('body[data-state="ready"]');
      await other.waitForSelector('[data-testid="live-status"][data-live="on"]');
      await other.evaluate(() => ((window as any).__sameDocument = true));

      const feed = idleSim.feeds.find(
        (f) => f.kind === 'json' && f.shape === 'counts' && f.forces.length === 1,
      )!;
      const force = feed.forces[0]!;
      const expectedNow = () => idleSim.expected().forces.find((f) => f.forceId === force)!.unaccounted;
      const shownBefore = (await pageFigures(other)).forces.find((r) => r.force === force)!.value;
      expect(shownBefore).toBe(String(expectedNow()));
      const scheduledBefore = (await idle.app.metrics.scheduledRefreshes.get()).values.find(
        (v) => v.labels.result === 'ok',
      )?.value;
      for (let i = 0; i < 50 && String(expectedNow()) === shownBefore; i += 1)
        idleSim.advance(idleSim.driftIntervalMs);
      const drifted = String(expectedNow());
      expect(drifted).not.toBe(shownBefore);
      const changedAt = performance.now();

      // Nobody queries and nobody refreshes: the schedule refetches the source as its TTL runs out, the
      // subscription tells the page, and the page re-reads (its own poll would be 120 s away).
      await until(
        async () => (await pageFigures(other)).forces.find((r) => r.force === force)?.value === drifted,
        `the page to show ${force}'s new figure ${drifted}`,
        ttlMs + 6000,
      );
      // The TTL, a second for the refresh, and the page's own wait for a burst of events (at most 2 s) and
      // its two queries.
      expect(performance.now() - changedAt).toBeLessThan(ttlMs + 1000 + 2000 + 1500);
      expect(
        (await idle.app.metrics.scheduledRefreshes.get()).values.find((v) => v.labels.result === 'ok')!.value,
      ).toBeGreaterThan(scheduledBefore ?? 0);
      const shown = await pageFigures(other);
      expect(shown.coverage.stale!.value).toBe(0);
      expect(shown.live).toBe('on');
      expect(await other.evaluate(() => (window as any).__sameDocument)).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await other.close();
      await idle.close();
      await idleSim.close();
    }
  });

  test('a key that is not accepted brings the form back, with no data shown', async () => {
    const other = await context!.newPage();
    try {
      await other.goto(`${gateway.url}/dashboard`);
      await other.getByTestId('key-input').fill(`wa_000000000000_${'A'.repeat(43)}`);
      await other.getByTestId('key-submit').click();
      await other.waitForSelector('#key-error:not([hidden])');
      expect(await other.textContent('#key-error')).toContain('not accepted');
      expect(await other.isHidden('#dashboard')).toBe(true);
      expect(await other.evaluate(() => sessionStorage.getItem('whereabouts.dashboardKey'))).toBeNull();
    } finally {
      await other.close();
    }
  });
});

describe('dashboard routes', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway?.close());

  test('operations.json maps names to the approved document ids and exact texts', async () => {
    const res = await fetch(`${gateway.url}/dashboard/operations.json`);
    expect(res.status).toBe(200);
    const { operations } = (await res.json()) as { operations: Record<string, any> };
    for (const name of ['national-latest', 'sources-status']) {
      expect(operations[name]).toEqual({
        name,
        operationName: OPERATIONS[name]!.operationName,
        sha256: OPERATIONS[name]!.sha256,
        document: OPERATIONS[name]!.document,
      });
    }
    // Only operations approved for dashboard keys.
    for (const op of Object.values(operations)) expect(OPERATIONS[op.name]!.roles).toContain('dashboard');
  });

  test('vendor scripts come from node_modules; nothing else under the dashboard is served', async () => {
    const chart = await fetch(`${gateway.url}/dashboard/vendor/chart.umd.min.js`);
    expect(chart.status).toBe(200);
    expect(chart.headers.get('content-type')).toMatch(/javascript/);
    expect((await chart.text()).length).toBeGreaterThan(100_000);
    const ws = await fetch(`${gateway.url}/dashboard/vendor/graphql-ws.min.js`);
    expect(ws.status).toBe(200);
    expect(await ws.text()).toContain('graphqlWs');
    for (const p of [
      'vendor/constructor',
      'vendor/..%2F..%2Fpackage.json',
      'router.ts',
      'public/app.js',
      'toString',
    ]) {
      expect((await fetch(`${gateway.url}/dashboard/${p}`)).status).toBe(404);
    }
    const page = await fetch(`${gateway.url}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    const html = await page.text();
    // No inline script or style, nothing from another origin.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});
