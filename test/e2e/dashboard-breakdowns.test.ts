/**
 * The dashboard's Breakdowns panel (approved operation `national-breakdown`) in Debian's chromium driven by
 * playwright-core, against a gateway on a loopback port with the bundled published figures and one real
 * key per role. What the table should hold is read from the API with the same approved operation and the
 * same key, never written into the test; only the well-known published breakdowns are named (Sky News, as
 * at 2018-01-17: Dorset's 5 went missing 1 in 2014, 3 in 2016 and 1 in 2017; one of Greater Manchester's 19
 * has been missing since 2006; 38 of the Met's 227 for at least eight years).
 *
 * Screenshots go to /tmp/dashboard-shots/ (WHEREABOUTS_SHOTS overrides): breakdowns-desktop.png and
 * breakdowns-phone.png (the panel for a dashboard key), breakdowns-analyst-desktop.png and
 * breakdowns-analyst-phone.png (for an analyst's), breakdowns-phone-page.png (the whole page at 390 px)
 * and breakdowns-withheld.png (a breakdown the force refused).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { loadApprovedOperations } from '../../src/access/approved-operations';
import type { Role } from '../../src/access/caller';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS } from '../helpers/chromium';
import type { KeyedGateway } from '../helpers/keyed-gateway';
import { startKeyedGateway } from '../helpers/keyed-gateway';

/** Longest any single wait in the browser may take: a hang guard. */
const WAIT_MS = 15_000;

// Functions passed to page.evaluate run in the page; the project compiles without the DOM lib.
declare const document: any;
declare const window: any;

jest.setTimeout(120_000);

const OPERATIONS = Object.fromEntries(loadApprovedOperations().map((op) => [op.name, op]));

const DIMENSION_LABELS = {
  YEAR_WENT_MISSING: 'Year went missing',
  OFFENCE_CATEGORY: 'Offence category',
  MAPPA_LEVEL: 'MAPPA level',
  MISSING_FOR_AT_LEAST_YEARS: 'Missing for at least N years',
  RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL: 'Returned to custody by MAPPA level',
};

/** Runs an approved operation by document id with `variables`, as the page does. */
async function persisted(
  keyed: KeyedGateway,
  role: Role,
  name: string,
  variables: Record<string, unknown> = {},
): Promise<any> {
  const op = OPERATIONS[name];
  if (!op) throw new Error(`no approved operation ${name}`);
  const res = await fetch(keyed.gateway.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      authorization: `Bearer ${keyed.tokens[role]}`,
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

/** The panel as the page shows it, read from the DOM. */
async function shownBreakdown(page: Page) {
  return page.evaluate(() => {
    const section = document.querySelector('[data-testid="breakdowns"]');
    const text = (testId: string) => {
      const node = document.querySelector(`[data-testid="${testId}"]`);
      return node && !node.hidden ? (node.textContent as string).replace(/\s+/g, ' ').trim() : null;
    };
    const table = document.querySelector('[data-testid="breakdown-table"]');
    const visible = !document.getElementById('breakdown-scroll').hidden;
    const cellOf = (td: any) => ({
      category: td.dataset.category as string | undefined,
      status: td.dataset.status as string | undefined,
      text: (td.textContent as string).trim(),
      title: td.getAttribute('title') as string | null,
    });
    return {
      state: section.dataset.state as string,
      dimension: section.dataset.dimension as string,
      asAt: section.dataset.asAt as string,
      window: Number(section.dataset.window),
      k: section.dataset.k as string,
      picker: document.querySelector('[data-testid="breakdown-dimension"]').value as string,
      options: [...document.querySelectorAll('[data-testid="breakdown-dimension"] option')].map((o: any) => [
        o.value,
        o.textContent.trim(),
      ]),
      status: text('breakdown-status'),
      caption: visible ? (table.caption.textContent as string) : null,
      headings: visible
        ? [...table.tHead.querySelectorAll('th')].map((th: any) => ({
            scope: th.getAttribute('scope'),
            text: (th.textContent as string).trim(),
            category: th.dataset.category,
          }))
        : [],
      rows: visible
        ? [...table.tBodies[0].rows].map((tr: any) => {
            const tds = [...tr.querySelectorAll('td')];
            return {
              force: tr.dataset.force as string,
              disclosure: tr.dataset.disclosure as string,
              complete: tr.dataset.complete as string,
              name: tr.querySelector('th[scope="row"] .name-full').textContent as string,
              notes: (tr.querySelector('th .row-notes')?.textContent ?? '') as string,
              cells: tds.slice(0, -1).map(cellOf),
              total: (tds[tds.length - 1].textContent as string).trim(),
            };
          })
        : [],
      totals: visible
        ? [...table.tFoot.rows[0].querySelectorAll('td')].map((td: any) => ({
            category: td.dataset.category as string | undefined,
            value: td.dataset.value as string | undefined,
            text: (td.textContent as string).trim(),
          }))
        : [],
      totalsLabel: visible ? (table.tFoot.rows[0].querySelector('th').textContent as string) : null,
      none: text('breakdown-none'),
      coverage: text('breakdown-coverage'),
      control: text('breakdown-control'),
      audit: text('breakdown-audit'),
      legend: text('breakdown-legend'),
    };
  });
}

/** Waits until the panel shows `dimension` as at `asAt`, read (ready, empty or error). */
async function breakdownShown(page: Page, dimension: string, asAt: string): Promise<void> {
  await page.waitForFunction(
    ([d, a]: string[]) => {
      const s = document.querySelector('[data-testid="breakdowns"]');
      return (
        ['ready', 'empty', 'error'].includes(s.dataset.state) &&
        s.dataset.dimension === d &&
        s.dataset.asAt === a &&
        !s.hasAttribute('aria-busy')
      );
    },
    [dimension, asAt],
    { timeout: WAIT_MS },
  );
}

/** How wide the page and the panel are: nothing may stick out of the viewport sideways. */
/**
 * Waits for the page to lay out at 390 px: the window, and every panel that resizes itself after a
 * resize event (the series chart's canvas follows its box a frame or more later, longer on a busy
 * machine), so the widths measured are the page's steady state at phone width. Times out (failing the
 * test) if the page never fits.
 */
async function settledAtPhoneWidth(page: Page): Promise<void> {
  await page.waitForFunction(
    () => window.innerWidth === 390 && document.documentElement.scrollWidth <= 390,
    null,
    { timeout: 10_000 },
  );
}

async function widths(page: Page) {
  return page.evaluate(() => {
    const box = document.getElementById('breakdown-scroll');
    return {
      document: document.documentElement.scrollWidth as number,
      viewport: window.innerWidth as number,
      card: document.querySelector('.breakdowns-card').getBoundingClientRect().right as number,
      box: box.getBoundingClientRect().right as number,
      boxScrolls: (box.scrollWidth > box.clientWidth + 1) as boolean,
      hint: !document.querySelector('[data-testid="breakdown-scroll-hint"]').hidden as boolean,
      table: document.getElementById('breakdown-table').getBoundingClientRect().width as number,
    };
  });
}

/** Opens the dashboard in a new tab of its own (its own sessionStorage) and pastes `role`'s key. */
async function openWithKey(
  context: BrowserContext,
  keyed: KeyedGateway,
  role: Role,
  search = '',
  errors: string[],
): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${keyed.gateway.url}/dashboard${search}`);
  await page.getByTestId('key-input').fill(keyed.tokens[role]);
  await page.getByTestId('key-submit').click();
  await page.waitForSelector('body[data-state="ready"]');
  return page;
}

const rowOf = (shown: Awaited<ReturnType<typeof shownBreakdown>>, force: string) => {
  const row = shown.rows.find((r) => r.force === force);
  if (!row) throw new Error(`no row for ${force}: ${JSON.stringify(shown.rows.map((r) => r.force))}`);
  return row;
};

describe('dashboard breakdowns on the bundled figures', () => {
  let keyed: KeyedGateway;
  let tmp: string;
  let context: BrowserContext | undefined;
  const consoleErrors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `Debian chromium is missing at ${CHROMIUM}: the browser tests need it. Install it with ` +
          '`npm run deps:system` (as root: apt-get install chromium), or point WHEREABOUTS_CHROMIUM at a chromium binary.',
      );
    }
    keyed = await startKeyedGateway();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-e2e-breakdowns-'));
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
    context.on('request', (req) => requests.push(req.url()));
  });

  afterAll(async () => {
    await context?.close();
    await keyed?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('operations.json offers the approved national-breakdown document to the page', async () => {
    const res = await fetch(`${keyed.gateway.url}/dashboard/operations.json`);
    const { operations } = (await res.json()) as { operations: Record<string, any> };
    expect(operations['national-breakdown']).toEqual({
      name: 'national-breakdown',
      operationName: 'NationalBreakdown',
      sha256: OPERATIONS['national-breakdown']!.sha256,
      document: OPERATIONS['national-breakdown']!.document,
    });
  });

  test('a dashboard key: Dorset 2018 by year went missing is suppressed whole beside its total of 5; Greater Manchester incomplete and suppressed', async () => {
    const page = await openWithKey(context!, keyed, 'dashboard', '', consoleErrors);
    try {
      // The panel opens on the date the dashboard shows, with the default dimension, and offers all five.
      const latest = await page.evaluate(
        () => document.querySelector('[data-testid="view-summary"]').dataset.date as string,
      );
      await breakdownShown(page, 'YEAR_WENT_MISSING', latest);
      let shown = await shownBreakdown(page);
      expect(shown.options).toEqual(Object.entries(DIMENSION_LABELS));
      expect(page.url()).toBe(`${keyed.gateway.url}/dashboard`);

      // 17 January 2018, typed into the dashboard's own date field (as dashboard-dates.test.ts does).
      const dateInput = page.getByLabel('Date', { exact: true });
      await dateInput.focus();
      await dateInput.pressSequentially('01172018');
      expect(await dateInput.inputValue()).toBe('2018-01-17');
      await breakdownShown(page, 'YEAR_WENT_MISSING', '2018-01-17');

      // Another dimension first, then "Year went missing" picked by its label; the address follows.
      const picker = page.getByLabel('Break down by');
      await picker.selectOption({ label: 'Missing for at least N years' });
      await breakdownShown(page, 'MISSING_FOR_AT_LEAST_YEARS', '2018-01-17');
      expect(new URL(page.url()).searchParams.get('by')).toBe('MISSING_FOR_AT_LEAST_YEARS');
      shown = await shownBreakdown(page);
      const met = rowOf(shown, 'metropolitan');
      expect(met).toMatchObject({ disclosure: 'SHOWN', complete: 'false', total: '227' });
      expect(met.cells).toEqual([expect.objectContaining({ category: '8', status: 'REPORTED', text: '38' })]);
      expect(met.notes).toContain('part of 227');
      expect(shown.headings.map((h) => h.text)).toEqual([
        'Force',
        'At least 8 years',
        "Row totalthe force's count",
      ]);

      await picker.selectOption({ label: 'Year went missing' });
      await breakdownShown(page, 'YEAR_WENT_MISSING', '2018-01-17');
      expect(new URL(page.url()).searchParams.get('by')).toBe('YEAR_WENT_MISSING');
      shown = await shownBreakdown(page);
      const api = (
        await persisted(keyed, 'dashboard', 'national-breakdown', {
          dimension: 'YEAR_WENT_MISSING',
          asAt: '2018-01-17',
          windowDays: shown.window,
        })
      ).nationalBreakdown;
      expect(shown.state).toBe('ready');
      expect(shown.picker).toBe('YEAR_WENT_MISSING');
      expect(shown.k).toBe(String(api.disclosureK));

      // The table: a real one, forces down the side, the API's categories across, a row total.
      expect(shown.caption).toBe(
        `Year went missing, by force, as at 17 January 2018: cells under disclosure control (k\u00a0=\u00a0${api.disclosureK})`,
      );
      expect(shown.headings[0]).toMatchObject({ scope: 'col', text: 'Force' });
      expect(shown.headings.slice(1, -1).map((h) => h.category)).toEqual(api.categories);
      expect(shown.headings.every((h) => h.scope === 'col')).toBe(true);
      // Every force with a breakdown, and no other.
      const listed = api.rows.filter((r: any) => r.disclosure !== 'NONE');
      expect(shown.rows.map((r) => r.force).sort()).toEqual(listed.map((r: any) => r.force.id).sort());
      for (const row of listed) {
        const mine = rowOf(shown, row.force.id);
        expect({ force: mine.force, disclosure: mine.disclosure, total: mine.total }).toEqual({
          force: row.force.id,
          disclosure: row.disclosure,
          total: String(row.headline),
        });
      }

      // Dorset: three suppressed markers, its total of 5, and none of its 1, 3 and 1 anywhere in its cells.
      const dorset = rowOf(shown, 'dorset');
      expect(dorset).toMatchObject({ disclosure: 'SUPPRESSED', complete: 'true', total: '5' });
      const dorsetCells = dorset.cells.filter((c) => c.status === 'SUPPRESSED');
      expect(dorsetCells.map((c) => c.category)).toEqual(['2014', '2016', '2017']);
      expect(dorsetCells.every((c) => c.text === '•suppressed')).toBe(true);
      expect(dorsetCells[0]!.title).toBe(
        'Suppressed: hidden by disclosure control: a count from 1 to 2 could point at a person',
      );
      expect(dorset.cells.map((c) => c.text).join(' ')).not.toMatch(/\d/);
      expect(dorset.notes).toContain('suppressed');
      // Greater Manchester: its one cell hidden, and marked as covering part of its count.
      const gmp = rowOf(shown, 'greater-manchester');
      expect(gmp).toMatchObject({ disclosure: 'SUPPRESSED', complete: 'false' });
      expect(gmp.notes).toContain('suppressed');
      expect(gmp.notes).toContain(`part of ${gmp.total}`);
      expect(gmp.cells.find((c) => c.category === '2006')).toMatchObject({ status: 'SUPPRESSED' });
      expect(gmp.cells.map((c) => c.text).join(' ')).not.toMatch(/\d/);

      // The totals row: the API's column totals over shown forces only, and what they leave out.
      expect(shown.totalsLabel).toContain('Total of shown forces');
      expect(shown.totals.slice(0, -1).map((t) => [t.category, Number(t.value)])).toEqual(
        api.columnTotals.map((t: any) => [t.category, t.value]),
      );
      const c = api.coverage;
      expect(c.suppressed).toBeGreaterThanOrEqual(2);
      expect(shown.coverage).toContain(
        `shown forces only: ${c.shown} of ${c.forces} forces; ${c.suppressed} forces with ${c.suppressedPeople} people suppressed`,
      );
      expect(shown.none).toContain(`${c.none} forces have no breakdown by this dimension`);
      expect(shown.control).toContain(`Threshold k = ${api.disclosureK}`);
      expect(shown.audit).toContain(
        `Disclosure audit passed: ${api.audit.cellsChecked} suppressed cells checked`,
      );
      expect(shown.legend).toContain(
        'suppressed: hidden by disclosure control: a count from 1 to 2 could point at a person',
      );
      expect(shown.legend).toContain('part of N');

      // Desktop: the panel, and nothing wider than the window.
      let w = await widths(page);
      expect(w.document).toBeLessThanOrEqual(1280);
      expect([w.boxScrolls, w.hint]).toEqual([false, false]);
      await page.locator('.breakdowns-card').screenshot({ path: path.join(SHOTS, 'breakdowns-desktop.png') });

      // Phone: the table scrolls inside its box; the page does not scroll sideways.
      await page.setViewportSize({ width: 390, height: 844 });
      await settledAtPhoneWidth(page);
      w = await widths(page);
      expect(w.viewport).toBe(390);
      expect(w.document).toBeLessThanOrEqual(390);
      expect(Math.max(w.card, w.box)).toBeLessThanOrEqual(390);
      // Wider than a phone: it scrolls in its box, and says so.
      expect([w.boxScrolls, w.hint]).toEqual([true, true]);
      await page.locator('.breakdowns-card').screenshot({ path: path.join(SHOTS, 'breakdowns-phone.png') });
      await page.screenshot({ path: path.join(SHOTS, 'breakdowns-phone-page.png'), fullPage: true });

      // A shared address opens on the same breakdown (the key is in this tab only, never in it).
      expect(page.url()).not.toContain(keyed.tokens.dashboard);
      await page.reload();
      await breakdownShown(page, 'YEAR_WENT_MISSING', '2018-01-17');
      expect(rowOf(await shownBreakdown(page), 'dorset').total).toBe('5');
      expect(consoleErrors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  test('an analyst key: the same table shows every cell, Dorset 1, 3, 1', async () => {
    const page = await openWithKey(
      context!,
      keyed,
      'analyst',
      '?date=2018-01-17&by=YEAR_WENT_MISSING',
      consoleErrors,
    );
    try {
      await breakdownShown(page, 'YEAR_WENT_MISSING', '2018-01-17');
      const shown = await shownBreakdown(page);
      const api = (
        await persisted(keyed, 'analyst', 'national-breakdown', {
          dimension: 'YEAR_WENT_MISSING',
          asAt: '2018-01-17',
          windowDays: shown.window,
        })
      ).nationalBreakdown;
      expect(api.disclosureK).toBeNull();
      expect(shown.k).toBe('');
      expect(shown.caption).toBe('Year went missing, by force, as at 17 January 2018: every cell (analyst)');

      const dorset = rowOf(shown, 'dorset');
      expect(dorset).toMatchObject({ disclosure: 'SHOWN', total: '5' });
      expect(dorset.cells.filter((c) => c.status === 'REPORTED').map((c) => c.text)).toEqual(['1', '3', '1']);
      expect(dorset.cells.some((c) => c.status === 'SUPPRESSED')).toBe(false);
      const gmp = rowOf(shown, 'greater-manchester');
      expect(gmp).toMatchObject({ disclosure: 'SHOWN', complete: 'false' });
      expect(gmp.notes).toContain(`part of ${gmp.total}`);
      expect(gmp.notes).not.toContain('suppressed');
      expect(gmp.cells.find((c) => c.category === '2006')).toMatchObject({ status: 'REPORTED', text: '1' });

      // Totals over every shown force; no audit, and the caption says why.
      expect(shown.totals.slice(0, -1).map((t) => [t.category, Number(t.value)])).toEqual(
        api.columnTotals.map((t: any) => [t.category, t.value]),
      );
      const c = api.coverage;
      expect(shown.coverage).toContain(`shown forces only: ${c.shown} of ${c.forces} forces`);
      expect(shown.control).toContain('Every cell shown (analyst)');
      expect(shown.audit).toBeNull();
      await page.locator('.breakdowns-card').screenshot({
        path: path.join(SHOTS, 'breakdowns-analyst-desktop.png'),
      });
      await page.setViewportSize({ width: 390, height: 844 });
      await settledAtPhoneWidth(page);
      const w = await widths(page);
      expect(w.document).toBeLessThanOrEqual(390);
      await page.locator('.breakdowns-card').screenshot({
        path: path.join(SHOTS, 'breakdowns-analyst-phone.png'),
      });
      expect(consoleErrors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  test('a breakdown the force refused says so; a dimension no force has says that', async () => {
    // Dorset, October 2013: the force "have not disclosed the levels of the missing sex offenders".
    const page = await openWithKey(
      context!,
      keyed,
      'dashboard',
      '?date=2013-10-09&by=MAPPA_LEVEL',
      consoleErrors,
    );
    try {
      await breakdownShown(page, 'MAPPA_LEVEL', '2013-10-09');
      let shown = await shownBreakdown(page);
      const api = (
        await persisted(keyed, 'dashboard', 'national-breakdown', {
          dimension: 'MAPPA_LEVEL',
          asAt: '2013-10-09',
          windowDays: shown.window,
        })
      ).nationalBreakdown;
      expect(api.rows.find((r: any) => r.force.id === 'dorset').disclosure).toBe('NOT_REPORTED');
      const dorset = rowOf(shown, 'dorset');
      expect(dorset.disclosure).toBe('NOT_REPORTED');
      expect(dorset.cells).toEqual([expect.objectContaining({ text: 'withheld by the force' })]);
      expect(dorset.total).toBe('5');
      expect(shown.status).toContain('One force has a breakdown by MAPPA level as at 9 October 2013');
      expect(shown.coverage).toContain('1 force withheld by the force');
      await page
        .locator('.breakdowns-card')
        .screenshot({ path: path.join(SHOTS, 'breakdowns-withheld.png') });

      // Offence category: no bundled source gives one, and the panel says so instead of an empty table.
      await page.getByLabel('Break down by').selectOption({ label: 'Offence category' });
      await breakdownShown(page, 'OFFENCE_CATEGORY', '2013-10-09');
      shown = await shownBreakdown(page);
      expect(shown.state).toBe('empty');
      expect(shown.rows).toEqual([]);
      expect(shown.status).toContain('No force has a breakdown by offence category as at 9 October 2013');

      // Back returns to the MAPPA levels.
      await page.goBack();
      await breakdownShown(page, 'MAPPA_LEVEL', '2013-10-09');
      expect((await shownBreakdown(page)).picker).toBe('MAPPA_LEVEL');
      expect(consoleErrors).toEqual([]);
    } finally {
      await page.close();
    }
    // Everything came from the gateway itself.
    expect(
      requests.filter((u) => !u.startsWith(`${keyed.gateway.url}/`) && !u.startsWith('ws://127.0.0.1')),
    ).toEqual([]);
    for (const name of ['breakdowns-desktop.png', 'breakdowns-phone.png', 'breakdowns-analyst-desktop.png']) {
      expect(fs.statSync(path.join(SHOTS, name)).size).toBeGreaterThan(5_000);
    }
  });
});
