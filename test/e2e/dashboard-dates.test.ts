/**
 * The dashboard on the bundled published figures (issue 19, item 5: "a dashboard that opens on the real
 * picture"), in Debian's chromium driven by playwright-core, against the embedded default on a loopback
 * port with real API keys. What the page should show is read from the API with the same approved
 * operations, never written into the test, so more bundled figures do not break it; only well-known
 * published totals are named (Sky News: 485 as at 2018-01-17).
 *
 * Screenshots go to /tmp/dashboard-shots/ (WHEREABOUTS_SHOTS overrides): dates-desktop.png,
 * dates-phone.png, dates-phone-top.png, dates-series-desktop.png, dates-series-phone.png, and at
 * 17 January 2018 with the tables open, dates-desktop-2018.png and dates-phone-2018.png.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { CreatedApiKey } from '../../src/access/api-keys';
import { ApiKeyStore } from '../../src/access/api-keys';
import { loadApprovedOperations } from '../../src/access/approved-operations';
import { embeddedDefault } from '../../src/config/load';
import { COMPARABLE_MEASURES, isNationalScope } from '../../src/domain/published';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS } from '../helpers/chromium';
import type { RunningGateway } from '../helpers/gateway';
import { startGateway } from '../helpers/gateway';

/** Longest any single wait in the browser may take: a hang guard. */
const WAIT_MS = 15_000;

// Functions passed to page.evaluate run in the page; the project compiles without the DOM lib.
declare const document: any;
declare const window: any;

jest.setTimeout(120_000);

const OPERATIONS = Object.fromEntries(loadApprovedOperations().map((op) => [op.name, op]));

/** Runs an approved operation by document id with `variables`, as the page does. */
async function persisted(
  gateway: RunningGateway,
  key: string,
  name: string,
  variables: Record<string, unknown> = {},
): Promise<any> {
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
      variables,
    }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown };
  if (res.status !== 200 || !body.data)
    throw new Error(`${name}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.data;
}

/** "17 January 2018", as the page writes a date. */
function longDate(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** The published totals the series chart marks: comparable measures of a national scope (the domain's rule). */
function comparable(totals: any[]): number[] {
  return totals
    .filter((t) => COMPARABLE_MEASURES.has(t.measure) && isNationalScope(t.scope) && t.asAt)
    .map((t) => t.value);
}

/** What the page shows about the date, the headline and the per-force chart, read from the DOM and chart.js. */
async function shownView(page: Page) {
  return page.evaluate(() => {
    const summary = document.querySelector('[data-testid="view-summary"]');
    const note = document.querySelector('[data-testid="window-note"]');
    const total = document.querySelector('[data-testid="national-total"]');
    const forceChart = window.Chart?.getChart?.('force-chart');
    return {
      version: Number(document.body.dataset.version ?? 0),
      summary: summary.textContent as string,
      date: summary.dataset.date as string,
      latest: summary.dataset.latest as string,
      mode: summary.dataset.mode as string,
      window: Number(note.dataset.window),
      windowReason: note.dataset.reason as string,
      windowNote: note.textContent as string,
      dateInput: document.querySelector('[data-testid="date-input"]').value as string,
      windowSelect: document.querySelector('[data-testid="window-select"]').value as string,
      every: document.querySelector('[data-testid="every-select"]').value as string,
      total: total.dataset.value === '' ? null : Number(total.dataset.value),
      totalCoverage: document.querySelector('[data-testid="total-coverage"]').textContent as string,
      chartForces: forceChart ? (forceChart.data.labels as string[]) : null,
      published: [...document.querySelectorAll('[data-testid="published-table"] tbody tr')].map(
        (tr: any) => ({
          value: Number(tr.dataset.value),
          text: tr.textContent as string,
        }),
      ),
      simulatedBanner: !document.querySelector('[data-testid="simulated-banner"]').hasAttribute('hidden'),
      error: document.getElementById('error-banner').hidden
        ? ''
        : document.getElementById('error-banner').textContent,
    };
  });
}

/** The series chart as chart.js holds it, and the table under it. */
async function shownSeries(page: Page) {
  return page.evaluate(() => {
    const chart = window.Chart.getChart('series-chart');
    const group = (name: string) => chart.data.datasets.findIndex((ds: any) => ds.group === name);
    const sum = group('sum');
    const published = chart.data.datasets
      .map((ds: any, i: number) => [ds, i])
      .filter(([ds]: any) => ds.group === 'published')
      .map(([, i]: any) => i);
    return {
      labels: chart.data.labels as string[],
      sum: chart.data.datasets[sum].data as Array<number | null>,
      spanGaps: chart.data.datasets[sum].spanGaps as boolean,
      /** Whether chart.js skips drawing each point of the sum (it does for a gap, rather than drawing 0). */
      skipped: chart.getDatasetMeta(sum).data.map((p: any) => Boolean(p.skip)) as boolean[],
      sumY: chart.getDatasetMeta(sum).data.map((p: any) => p.y) as number[],
      zeroY: chart.scales.y.getPixelForValue(0) as number,
      forces: chart.data.datasets[group('forces')].data as Array<number | null>,
      gapBands: chart.data.datasets[group('gap')].data as Array<number | null>,
      /** Per point, the published values marked (one dataset per total a point holds). */
      markers: (chart.data.labels as string[]).map((_: string, i: number) =>
        published.map((d: number) => chart.data.datasets[d].data[i]).filter((v: any) => v !== null),
      ) as number[][],
      rows: [...document.querySelectorAll('[data-testid="series-table"] tbody tr')].map((tr: any) => ({
        ...tr.dataset,
      })) as Array<Record<string, string>>,
      caption: document.querySelector('[data-testid="series-caption"]').dataset as Record<string, string>,
    };
  });
}

/** Waits until the page has rendered after `before` (a body data-version) and is ready. */
async function rendered(page: Page, before: number): Promise<void> {
  await page.waitForFunction(
    (v: number) => document.body.dataset.state === 'ready' && Number(document.body.dataset.version) > v,
    before,
    { timeout: WAIT_MS },
  );
}

async function version(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.body.dataset.version ?? 0));
}

describe('dashboard on the bundled figures (issue 19, item 5)', () => {
  let gateway: RunningGateway;
  let tmp: string;
  let dashboardKey: CreatedApiKey;
  let context: BrowserContext | undefined;
  let page: Page;
  const consoleErrors: string[] = [];
  /** What the API says: the latest date a source gives a headline figure for, and today's picture. */
  let latest: string;
  let todayReporting: number;
  let defaultWindow: number;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `Debian chromium is missing at ${CHROMIUM}: the browser tests need it. Install it with ` +
          '`npm run deps:system` (as root: apt-get install chromium), or point WHEREABOUTS_CHROMIUM at a chromium binary.',
      );
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-e2e-dates-'));
    const keys = ApiKeyStore.load(path.join(tmp, 'keys.json'));
    dashboardKey = keys.create('dashboard', 'e2e dashboard dates');
    gateway = await startGateway(embeddedDefault(), { redis: null, env: {}, apiKeys: keys });

    const series = (await persisted(gateway, dashboardKey.token, 'national-series', { every: 'YEAR' }))
      .nationalSeries;
    latest = series.to;
    const today = (await persisted(gateway, dashboardKey.token, 'national-latest')).national;
    todayReporting = today.coverage.reporting;
    defaultWindow = today.windowDays;

    fs.mkdirSync(SHOTS, { recursive: true });
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      locale: 'en-GB',
      timezoneId: 'Europe/London',
      timeout: WAIT_MS,
    });
    context.setDefaultTimeout(WAIT_MS);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  });

  afterAll(async () => {
    await context?.close();
    await gateway?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('operations.json offers the approved national-series document to the page', async () => {
    const res = await fetch(`${gateway.url}/dashboard/operations.json`);
    const { operations } = (await res.json()) as { operations: Record<string, any> };
    expect(operations['national-series']).toEqual({
      name: 'national-series',
      operationName: 'NationalSeries',
      sha256: OPERATIONS['national-series']!.sha256,
      document: OPERATIONS['national-series']!.document,
    });
  });

  test('it opens on the latest date the sources give figures for, with a non-zero total, and says so', async () => {
    await page.goto(`${gateway.url}/dashboard`);
    await page.getByTestId('key-input').fill(dashboardKey.token);
    await page.getByTestId('key-submit').click();
    await page.waitForSelector('body[data-state="ready"]');
    const shown = await shownView(page);

    // The date is the series' end, as the API gives it, and the page says why it is shown.
    expect(shown.date).toBe(latest);
    expect(shown.mode).toBe('latest');
    expect(shown.summary).toBe(
      `Showing ${longDate(latest)}, the latest date the configured sources give figures for.`,
    );
    expect(shown.dateInput).toBe(latest);
    // Nothing chosen, so nothing in the address.
    expect(page.url()).toBe(`${gateway.url}/dashboard`);

    // The window: the gateway's when today has figures within it; a year's for survey figures otherwise.
    const expectedWindow = todayReporting > 0 ? defaultWindow : Math.max(365, defaultWindow);
    expect(shown.window).toBe(expectedWindow);
    expect(shown.windowSelect).toBe(String(expectedWindow));
    expect(shown.windowReason).toBe(todayReporting > 0 ? 'default' : 'survey');
    expect(shown.windowNote).toContain(`${expectedWindow} days`);

    // The headline is the API's national picture as at that date, with that window: not 0, and it names its coverage.
    const national = (
      await persisted(gateway, dashboardKey.token, 'national-latest', {
        asAt: latest,
        windowDays: expectedWindow,
      })
    ).national;
    expect(national.unaccounted.value).toBeGreaterThan(0);
    expect(shown.total).toBe(national.unaccounted.value);
    expect(shown.totalCoverage).toContain(
      `Covers ${national.coverage.reporting} of ${national.coverage.forces} forces`,
    );
    expect(shown.chartForces).toHaveLength(national.coverage.reporting);
    // The bundled figures are published ones: nothing is simulated, and nothing says it is.
    expect(shown.simulatedBanner).toBe(false);
    expect(shown.error).toBe('');
    expect(consoleErrors).toEqual([]);
  });

  test('the date control moves the headline, the per-force chart and the address; the address restores the view', async () => {
    // The control is labelled, and typed into from the keyboard. Headless chromium lays the field out as
    // month, day, year whatever the locale; each digit typed makes a date, which the page waits out.
    const before = await version(page);
    const dateInput = page.getByLabel('Date', { exact: true });
    await dateInput.focus();
    await dateInput.pressSequentially('01172018');
    expect(await dateInput.inputValue()).toBe('2018-01-17');
    await page.waitForFunction(() => /date=2018-01-17/.test(window.location.search), undefined, {
      timeout: WAIT_MS,
    });
    await rendered(page, before);
    await page.waitForSelector('[data-testid="view-summary"][data-date="2018-01-17"]');
    let shown = await shownView(page);
    expect(shown.mode).toBe('chosen');
    expect(shown.summary).toBe(
      `Showing 17 January 2018, as chosen. The latest date the configured sources give figures for is ${longDate(latest)}.`,
    );
    let national = (
      await persisted(gateway, dashboardKey.token, 'national-latest', {
        asAt: '2018-01-17',
        windowDays: shown.window,
      })
    ).national;
    expect(shown.total).toBe(national.unaccounted.value);
    const reportingNames = (n: any) =>
      n.forces
        .filter((e: any) => e.outcome === 'REPORTED' && typeof e.figure?.value === 'number')
        .map((e: any) => e.force.name)
        .sort();
    expect([...shown.chartForces!].sort()).toEqual(reportingNames(national));
    // Sky News's 485 as at that day is beside our sum, with its source.
    expect(shown.published.find((r) => r.value === 485)?.text).toContain('Sky News');

    // The window control: in the address, and the headline follows it.
    const beforeWindow = await version(page);
    await page.getByLabel('Window').selectOption('90');
    await page.waitForFunction(() => /window=90/.test(window.location.search));
    await rendered(page, beforeWindow);
    shown = await shownView(page);
    expect(new URL(page.url()).searchParams.get('date')).toBe('2018-01-17');
    expect(shown.window).toBe(90);
    expect(shown.windowReason).toBe('chosen');
    national = (
      await persisted(gateway, dashboardKey.token, 'national-latest', { asAt: '2018-01-17', windowDays: 90 })
    ).national;
    expect(shown.total).toBe(national.unaccounted.value);
    expect([...shown.chartForces!].sort()).toEqual(reportingNames(national));

    // A shared address opens on the same view (the key stays in this tab's sessionStorage, not the URL).
    const shared = page.url();
    expect(shared).not.toContain(dashboardKey.token);
    await page.reload();
    await page.waitForSelector('body[data-state="ready"]');
    shown = await shownView(page);
    expect([shown.date, shown.window, shown.total]).toEqual(['2018-01-17', 90, national.unaccounted.value]);

    // Back undoes the window; "Latest date" returns to following the sources.
    const beforeBack = await version(page);
    await page.goBack();
    await rendered(page, beforeBack);
    expect(new URL(page.url()).searchParams.get('window')).toBeNull();
    const beforeLatest = await version(page);
    await page.getByTestId('latest-button').click();
    await rendered(page, beforeLatest);
    shown = await shownView(page);
    expect(new URL(page.url()).searchParams.has('date')).toBe(false);
    expect([shown.mode, shown.date]).toEqual(['latest', latest]);

    // A date the address cannot mean is named, and the latest is shown instead.
    await page.goto(`${gateway.url}/dashboard?date=2018-02-30`);
    await page.waitForSelector('body[data-state="ready"]');
    shown = await shownView(page);
    expect(shown.date).toBe(latest);
    expect(shown.error).toContain('date=2018-02-30');
    expect(consoleErrors).toEqual([]);
  });

  test('the series chart: a point per period with its forces, gaps left undrawn, published totals marked with their source', async () => {
    // Months with a 30-day window: sparse survey figures leave gaps, however many are added.
    await page.goto(`${gateway.url}/dashboard?every=MONTH&window=30`);
    await page.waitForSelector('body[data-state="ready"]');
    const api = (
      await persisted(gateway, dashboardKey.token, 'national-series', { every: 'MONTH', windowDays: 30 })
    ).nationalSeries;
    let series = await shownSeries(page);
    expect(series.labels).toHaveLength(api.points.length);
    expect(series.caption.every).toBe('MONTH');
    const gaps = api.points.map((p: any) => p.gap);
    expect(gaps.filter(Boolean).length).toBeGreaterThan(0);
    expect(series.caption.gaps).toBe(String(gaps.filter(Boolean).length));
    expect(series.spanGaps).toBe(false);
    api.points.forEach((p: any, i: number) => {
      const at = `${p.periodStart}: ${JSON.stringify({ gap: p.gap, value: p.unaccounted.value })}`;
      if (p.gap) {
        // Not zero: no value, no point drawn, and a hatched band over the column.
        expect({ at, sum: series.sum[i], skipped: series.skipped[i] }).toEqual({
          at,
          sum: null,
          skipped: true,
        });
        expect(series.gapBands[i]).toBe(p.coverage.forces);
        expect(series.forces[i]).toBeNull();
      } else {
        expect({ at, sum: series.sum[i], skipped: series.skipped[i] }).toEqual({
          at,
          sum: p.unaccounted.value,
          skipped: false,
        });
        expect(series.forces[i]).toBe(p.coverage.reporting);
        expect(series.gapBands[i]).toBeNull();
      }
      expect(series.rows[i]).toMatchObject({
        period: p.periodStart,
        asAt: p.asAt,
        gap: String(p.gap),
        reporting: String(p.coverage.reporting),
      });
      expect(series.markers[i]).toEqual(comparable(p.publishedTotals));
    });

    // Back to the page's own choice of interval and window for these figures.
    await page.goto(`${gateway.url}/dashboard`);
    await page.waitForSelector('body[data-state="ready"]');
    const view = await shownView(page);
    series = await shownSeries(page);
    const auto = (
      await persisted(gateway, dashboardKey.token, 'national-series', {
        every: view.every,
        windowDays: view.window,
      })
    ).nationalSeries;
    expect(series.sum).toEqual(auto.points.map((p: any) => (p.gap ? null : p.unaccounted.value)));
    expect(series.forces).toEqual(auto.points.map((p: any) => (p.gap ? null : p.coverage.reporting)));
    // A drawn point is never at the zero line unless its sum is zero.
    series.sum.forEach((v, i) => {
      if (v !== null && v > 0) expect(series.sumY[i]).toBeLessThan(series.zeroY);
    });
    expect(series.markers.flat()).toEqual(auto.points.flatMap((p: any) => comparable(p.publishedTotals)));
    const sky = auto.points.findIndex((p: any) => p.periodStart <= '2018-01-17' && '2018-01-17' <= p.asAt);
    expect(series.markers[sky]).toContain(485);
    await page.locator('.series-card').screenshot({ path: path.join(SHOTS, 'dates-series-desktop.png') });

    // Hovering Sky News's marker shows its value and source.
    const skyMarker = () =>
      page.evaluate((index: number) => {
        const chart = window.Chart.getChart('series-chart');
        const d = chart.data.datasets.findIndex(
          (ds: any) => ds.group === 'published' && ds.data[index] === 485,
        );
        const el = chart.getDatasetMeta(d).data[index];
        const rect = chart.canvas.getBoundingClientRect();
        return { x: rect.left + el.x, y: rect.top + el.y };
      }, sky);
    await page.locator('#series-chart').scrollIntoViewIfNeeded();
    const marker = await skyMarker();
    await page.mouse.move(marker.x, marker.y);
    const tooltip = async () =>
      page.evaluate(() => {
        const t = window.Chart.getChart('series-chart').tooltip;
        return t.opacity > 0 ? t.body.flatMap((b: any) => b.lines).join(' ') : '';
      });
    await page.waitForFunction(() => window.Chart.getChart('series-chart').tooltip.opacity > 0);
    expect(await tooltip()).toMatch(/Published: 485 .*Sky News/);
    expect(await tooltip()).toMatch(/of 45 forces/);

    // The same from the keyboard: focus the chart and move to that point; its text is read out.
    await page.locator('#series-chart').focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < sky; i += 1) await page.keyboard.press('ArrowRight');
    const spoken = await page.textContent('#series-focus-text');
    expect(spoken).toContain('Published: 485');
    expect(spoken).toContain('Sky News');
    expect(spoken).toMatch(/Our sum: [\d,]+, \d+ of 45 forces/);
    expect(await tooltip()).toContain('Sky News');

    // Enter shows that point's date.
    const beforeEnter = await version(page);
    await page.keyboard.press('Enter');
    await rendered(page, beforeEnter);
    expect((await shownView(page)).date).toBe(auto.points[sky].asAt);

    // Clicking Sky News's marker shows its own day, where the page sets our sum beside its 485.
    const beforeClick = await version(page);
    await page.locator('#series-chart').scrollIntoViewIfNeeded();
    const again = await skyMarker();
    await page.mouse.click(again.x, again.y);
    await rendered(page, beforeClick);
    const shown = await shownView(page);
    expect(shown.date).toBe('2018-01-17');
    expect(new URL(page.url()).searchParams.get('date')).toBe('2018-01-17');
    expect(shown.published.find((r) => r.value === 485)?.text).toContain('Sky News');
    expect(consoleErrors).toEqual([]);
  });

  test('desktop 1280×800 and phone 390×844: nothing overflows sideways; screenshots', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${gateway.url}/dashboard`);
    await page.waitForSelector('body[data-state="ready"]');
    const measure = () =>
      page.evaluate(() => {
        const right = (selector: string) =>
          Math.max(
            ...[...document.querySelectorAll(selector)].map((n: any) => n.getBoundingClientRect().right),
          );
        return {
          document: document.documentElement.scrollWidth as number,
          viewport: window.innerWidth as number,
          controls: right('.controls .control'),
          series: document.getElementById('series-chart').getBoundingClientRect().right as number,
          forceChart: document.getElementById('force-chart').getBoundingClientRect().right as number,
        };
      });
    let widths = await measure();
    expect(widths.document).toBeLessThanOrEqual(1280);
    expect(Math.max(widths.controls, widths.series, widths.forceChart)).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: path.join(SHOTS, 'dates-desktop.png'), fullPage: true });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction(() => window.Chart.getChart('series-chart').width <= 390);
    widths = await measure();
    expect(widths.viewport).toBe(390);
    expect(widths.document).toBeLessThanOrEqual(390);
    expect(Math.max(widths.controls, widths.series, widths.forceChart)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(SHOTS, 'dates-phone.png'), fullPage: true });
    await page.locator('.series-card').screenshot({ path: path.join(SHOTS, 'dates-series-phone.png') });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SHOTS, 'dates-phone-top.png') });

    // A date with many forces, with the series and per-force tables open: the tables scroll in their box.
    await page.goto(`${gateway.url}/dashboard?date=2018-01-17`);
    await page.waitForSelector('body[data-state="ready"]');
    await page.click('.series-card details > summary');
    await page.click('.chart-card details > summary');
    await page.waitForFunction(() => window.Chart.getChart('force-chart').width <= 390);
    widths = await measure();
    expect(widths.document).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(SHOTS, 'dates-phone-2018.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.waitForFunction(() => window.Chart.getChart('force-chart').width > 390);
    widths = await measure();
    expect(widths.document).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: path.join(SHOTS, 'dates-desktop-2018.png'), fullPage: true });
    for (const name of [
      'dates-desktop.png',
      'dates-phone.png',
      'dates-phone-top.png',
      'dates-phone-2018.png',
    ]) {
      expect(fs.statSync(path.join(SHOTS, name)).size).toBeGreaterThan(10_000);
    }
    expect(consoleErrors).toEqual([]);
  });
});
