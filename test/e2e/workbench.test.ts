/**
 * The workbench in a real browser (issue 23, item 2): Debian's chromium driven by playwright-core, against
 * a gateway on a loopback port with the bundled published figures and a real key per role. Nothing is
 * mocked. An analyst's key gets GraphiQL whole (schema docs, autocompletion, variables, history) and runs
 * its own query; a journalist's key gets the approved operations its role may run, runs them by document
 * id, and text of its own is never sent. Throughout: no console error, no CSP violation, no request to
 * any other origin.
 *
 * Screenshots go to /tmp/dashboard-shots/ (WHEREABOUTS_SHOTS overrides): workbench-key-desktop.png,
 * workbench-analyst-desktop.png, workbench-analyst-phone.png (and -phone-operations.png),
 * workbench-journalist-desktop.png, workbench-journalist-phone.png (and -phone-operations.png).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { chromium } from 'playwright-core';
import { loadApprovedOperations } from '../../src/access/approved-operations';
import { readWorkbenchManifest } from '../../src/http/workbench/bundle';
import { buildWorkbench } from '../../src/http/workbench/build';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS } from '../helpers/chromium';
import type { KeyedGateway } from '../helpers/keyed-gateway';
import { startKeyedGateway } from '../helpers/keyed-gateway';

// Functions passed to page.evaluate run in the page; the project compiles without the DOM lib.
declare const document: any;
declare const window: any;
declare const sessionStorage: any;

/** Longest any single wait in the browser may take: a hang guard. */
const WAIT_MS = 20_000;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

jest.setTimeout(120_000);

const APPROVED = Object.fromEntries(loadApprovedOperations().map((op) => [op.name, op]));

let keyed: KeyedGateway;
let base: string;
let context: BrowserContext;
let page: Page;
let tmp: string;
const problems: string[] = [];
const requested: string[] = [];
/** The bodies of every POST to /graphql, in order. */
const graphqlBodies: Array<Record<string, any>> = [];

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`no chromium at ${CHROMIUM}: run \`npm run deps:system\`, or set WHEREABOUTS_CHROMIUM`);
  try {
    readWorkbenchManifest();
  } catch {
    await buildWorkbench();
  }
  keyed = await startKeyedGateway();
  base = keyed.gateway.url;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-e2e-workbench-'));
  fs.mkdirSync(SHOTS, { recursive: true });
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: DESKTOP,
    locale: 'en-GB',
    timeout: WAIT_MS,
  });
  context.setDefaultTimeout(WAIT_MS);
  // Before any script of the page: every CSP violation is recorded (the console reports them too).
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e: any) =>
      window.__violations.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sample ?? ''}`),
    );
  });
  context.on('request', (req: Request) => {
    requested.push(req.url());
    if (req.method() === 'POST' && req.url() === `${base}/graphql`)
      graphqlBodies.push(JSON.parse(req.postData() ?? '{}'));
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
});

afterAll(async () => {
  await context?.close();
  await keyed?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

afterEach(async () => {
  await page.setViewportSize(DESKTOP);
  // After each test: nothing from elsewhere, no error, no CSP violation.
  expect(requested.filter((url) => !url.startsWith(`${base}/`))).toEqual([]);
  expect(problems).toEqual([]);
  expect(await page.evaluate(() => window.__violations)).toEqual([]);
});

/** The result pane's text as shown (Monaco's spaces made plain, runs of space made one). */
async function resultText(): Promise<string> {
  const text: string = await page.locator('.graphiql-response .result-window').innerText();
  return text.replace(/\u00a0/g, ' ').replace(/\s+/g, ' ');
}

/** Opens the workbench afresh (no key kept) and uses `role`'s key, waiting until GraphiQL is ready. */
async function openWith(role: keyof KeyedGateway['tokens']): Promise<void> {
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(`${base}/workbench`);
  await page.getByTestId('key-input').fill(keyed.tokens[role]);
  await page.getByTestId('key-submit').click();
  await page.waitForSelector('body[data-state="ready"]');
  await page.locator('.graphiql-container').waitFor();
}

/** Clicks Run and waits for the POST to /graphql and its answer. */
async function run(): Promise<{ status: number; body: any; sent: Record<string, any> }> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${base}/graphql` && r.request().method() === 'POST'),
    page.locator('.graphiql-execute-button').click(),
  ]);
  return {
    status: response.status(),
    body: await response.json(),
    sent: JSON.parse(response.request().postData() ?? '{}'),
  };
}

/** Shows the "Operations" pane if it is not shown. */
async function showOperations(): Promise<void> {
  const show = page.getByRole('button', { name: 'Show Operations' });
  if (await show.isVisible()) await show.click();
  await page.getByTestId('operations-pane').waitFor();
}

/** Sideways overflow of the page, in pixels (0: it fits the width). */
const overflow = () =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('an analyst key', () => {
  test('asks for a key first, loads under the workbench CSP, and keeps the key in this tab only', async () => {
    const response = await page.goto(`${base}/workbench`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(
      /style-src-elem 'self' 'nonce-[^']+'; style-src-attr 'unsafe-inline'; .*worker-src 'self'/,
    );
    await page.getByTestId('key-input').waitFor();
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('locked');
    await page.screenshot({ path: path.join(SHOTS, 'workbench-key-desktop.png') });

    await page.getByTestId('key-input').fill(keyed.tokens.analyst);
    await page.getByTestId('key-submit').click();
    await page.waitForSelector('body[data-state="ready"]');
    expect(await page.getByTestId('mode').getAttribute('data-mode')).toBe('full');
    expect(await page.getByTestId('mode').innerText()).toBe('analyst key · own queries');
    expect(await page.evaluate(() => sessionStorage.getItem('whereabouts.workbenchKey'))).toBe(
      keyed.tokens.analyst,
    );
    expect(page.url()).toBe(`${base}/workbench`);
    // Nothing of the key in GraphiQL's own storage.
    const stored = await page.evaluate(() => JSON.stringify({ ...window.localStorage }));
    expect(stored).not.toContain(keyed.tokens.analyst);
  });

  test('runs the national total as at 2018-01-17 and shows 393 with its coverage in the result pane', async () => {
    // The first example tab is the national total as at 17 January 2018.
    await page.locator('.graphiql-query-editor .view-lines').first().waitFor();
    const { status, body, sent } = await run();
    expect(status).toBe(200);
    // Sent as its own text (an analyst's query), with the key as a bearer token.
    expect(sent.query).toMatch(/national\(asAt: "2018-01-17"\)/);
    expect(sent.extensions).toBeUndefined();
    expect(body.data.national.unaccounted).toEqual({ value: 393 });
    expect(body.data.national.coverage).toEqual({
      forces: 45,
      reporting: 20,
      withoutFigure: 25,
      withheld: 0,
      notHeld: 0,
      unavailable: 0,
      stale: 0,
    });
    const shown = await resultText();
    expect(shown).toContain('"unaccounted": { "value": 393 }');
    expect(shown).toContain('"reporting": 20');
    expect(shown).toContain('"withoutFigure": 25');
    await page.screenshot({ path: path.join(SHOTS, 'workbench-analyst-desktop.png') });
  });

  test('has the schema docs (from introspection), autocompletion and the run in its history', async () => {
    // The schema came by introspection, sent as the analyst's own text.
    expect(graphqlBodies.some((b) => /__schema/.test(b.query ?? ''))).toBe(true);
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Query', { exact: true }).first().click();
    await docs.getByText('national', { exact: true }).first().waitFor();

    // A new tab; typing a field offers the schema's fields.
    await page.locator('.graphiql-tab-add').click();
    await page.locator('.graphiql-query-editor .monaco-editor').first().click();
    await page.keyboard.type('{ nation');
    const suggest = page.locator('.graphiql-query-editor .suggest-widget.visible');
    await suggest.waitFor();
    await suggest.getByText('nationalSeries').first().waitFor();

    await page.getByRole('button', { name: 'Show History' }).click();
    await page.locator('.graphiql-history').getByText('NationalTotal').first().waitFor();
  });

  test('at phone width: the operations list, then a run, all within the width', async () => {
    await page.setViewportSize(PHONE);
    await openWith('analyst');
    await showOperations();
    expect(await overflow()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'workbench-analyst-phone-operations.png') });
    // Opening an example closes the pane on a phone, leaving the editors and the result.
    await page.getByTestId('example-2').getByRole('button', { name: /^Open/ }).click();
    await page.getByTestId('operations-pane').waitFor({ state: 'hidden' });
    const { status, body, sent } = await run();
    expect(status).toBe(200);
    expect(sent.variables).toEqual({ id: 'dorset' });
    expect(body.data.force.name).toBe('Dorset Police');
    expect(body.data.force.history.length).toBeGreaterThan(0);
    expect(await resultText()).toContain('"name": "Dorset Police"');
    expect(await overflow()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'workbench-analyst-phone.png') });
    // A reload keeps the key of this tab: the workbench opens without asking again.
    await page.reload();
    await page.waitForSelector('body[data-state="ready"]');
  });
});

describe('a journalist key', () => {
  test('lists the approved operations its role may run, and runs one by document id', async () => {
    await page.getByTestId('forget-key').click();
    await page.getByTestId('key-input').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('whereabouts.workbenchKey'))).toBeNull();
    const sentBefore = graphqlBodies.length;
    await page.getByTestId('key-input').fill(keyed.tokens.journalist);
    await page.getByTestId('key-submit').click();
    await page.waitForSelector('body[data-state="ready"]');
    expect(await page.getByTestId('mode').getAttribute('data-mode')).toBe('approved');
    await showOperations();
    const listed = await page
      .getByTestId('approved-operations')
      .locator('li')
      .evaluateAll((items: any[]) => items.map((li) => li.dataset.testid));
    // Queries approved for journalists: not sources-status (not theirs), not figures-changed (graphql-ws).
    expect(listed).toEqual([
      'approved-force-breakdowns',
      'approved-force-history',
      'approved-national-breakdown',
      'approved-national-latest',
      'approved-national-series',
    ]);
    // No examples of own text for this key.
    expect(await page.getByTestId('example-0').count()).toBe(0);

    // The first tab is national-latest, with its variables; it runs by id, never as text.
    await page.locator('.graphiql-query-editor .view-lines').first().waitFor();
    const { status, body, sent } = await run();
    expect(status).toBe(200);
    expect(sent).toEqual({
      operationName: 'NationalLatest',
      variables: { asAt: '2018-01-17' },
      extensions: { persistedQuery: { version: 1, sha256Hash: APPROVED['national-latest']!.sha256 } },
    });
    expect(body.data.national.asAt).toBe('2018-01-17');
    expect(body.data.national.unaccounted.value).toBe(393);
    expect(await resultText()).toContain('"asAt": "2018-01-17"');
    // Nothing this key sent was text: no introspection, no query.
    expect(graphqlBodies.slice(sentBefore).filter((b) => 'query' in b)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'workbench-journalist-desktop.png') });
  });

  test('an operation opened from the list runs by id with its variables', async () => {
    await page.getByTestId('approved-force-history').getByRole('button', { name: /^Open/ }).click();
    const { status, body, sent } = await run();
    expect(status).toBe(200);
    expect(sent.extensions.persistedQuery.sha256Hash).toBe(APPROVED['force-history']!.sha256);
    expect(sent.variables).toEqual({ id: 'dorset' });
    expect('query' in sent).toBe(false);
    expect(body.data.force.id).toBe('dorset');
  });

  test('text of its own is not sent, and the result pane says why', async () => {
    const sentBefore = graphqlBodies.length;
    await page.locator('.graphiql-tab-add').click();
    await page.locator('.graphiql-query-editor .monaco-editor').first().click();
    await page.keyboard.type('{ forces { id } ');
    await page.locator('.graphiql-execute-button').click();
    // Monaco shows spaces as no-break spaces.
    await page.waitForFunction(() =>
      document
        .querySelector('.graphiql-response .result-window')
        ?.innerText.replace(/\u00a0/g, ' ')
        .includes('Not sent'),
    );
    expect(await resultText()).toContain(
      'Not sent: this key may run approved operations only, by document id',
    );
    expect(graphqlBodies.length).toBe(sentBefore);
    // And the gateway itself refuses such text from a journalist's key, had it been sent.
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keyed.tokens.journalist}` },
      body: JSON.stringify({ query: '{ forces { id } }' }),
    });
    expect(res.status).toBe(403);
  });

  test('at phone width: the list, then an operation run by id, all within the width', async () => {
    await page.setViewportSize(PHONE);
    await openWith('journalist');
    await showOperations();
    expect(await overflow()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'workbench-journalist-phone-operations.png') });
    await page.getByTestId('approved-national-latest').getByRole('button', { name: /^Open/ }).click();
    await page.getByTestId('operations-pane').waitFor({ state: 'hidden' });
    const { status, body, sent } = await run();
    expect(status).toBe(200);
    expect(sent.extensions.persistedQuery.sha256Hash).toBe(APPROVED['national-latest']!.sha256);
    expect(body.data.national.unaccounted.value).toBe(393);
    expect(await overflow()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'workbench-journalist-phone.png') });
  });
});

test('a key that is not accepted is said so, and not kept', async () => {
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(`${base}/workbench`);
  await page.getByTestId('key-input').fill('wa_000000000000_notakeynotakeynotakeynotakey0000000000');
  await page.getByTestId('key-submit').click();
  await page.getByTestId('key-error').waitFor();
  expect(await page.getByTestId('key-error').innerText()).toBe(
    'That key was not accepted (unknown, revoked or mistyped).',
  );
  expect(await page.evaluate(() => document.body.dataset.state)).toBe('locked');
  expect(await page.evaluate(() => sessionStorage.getItem('whereabouts.workbenchKey'))).toBeNull();
  // The browser logs the 401 itself; that one line is expected, and nothing else.
  expect(problems).toEqual([expect.stringMatching(/status of 401 \(Unauthorized\)/)]);
  problems.length = 0;
});

test('every screenshot was written', () => {
  for (const name of [
    'workbench-key-desktop.png',
    'workbench-analyst-desktop.png',
    'workbench-analyst-phone-operations.png',
    'workbench-analyst-phone.png',
    'workbench-journalist-desktop.png',
    'workbench-journalist-phone-operations.png',
    'workbench-journalist-phone.png',
  ])
    expect([name, fs.statSync(path.join(SHOTS, name)).size > 5_000]).toEqual([name, true]);
});
