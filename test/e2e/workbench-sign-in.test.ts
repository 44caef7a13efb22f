/**
 * Sign-in to the workbench in a real browser (issue 23 item 3): Debian's chromium driven by
 * playwright-core, a gateway with `access.oidc` and a real OpenID provider (npm oidc-provider) on loopback
 * ports, as in sign-in.test.ts. The person clicks "Sign in" on the workbench's key card, fills in the
 * provider's login page, comes back to the workbench signed in as an analyst, gets the whole IDE and runs
 * the national total (393 as at 2018-01-17) with the session cookie and its CSRF token (no key), and signs
 * out. A dashboard session gets the approved-only mode. Throughout: no console error, no CSP violation.
 *
 * Screenshots go to SHOTS (test/helpers/chromium.ts): workbench-sign-in-offered.png and
 * workbench-signed-in-analyst.png.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { SESSION_COOKIE } from '../../src/access/sessions';
import { readWorkbenchManifest } from '../../src/http/workbench/bundle';
import { buildWorkbench } from '../../src/http/workbench/build';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS } from '../helpers/chromium';
import type { SignInWorld } from '../helpers/oidc';
import { startSignInWorld } from '../helpers/oidc';

// Functions passed to page.evaluate run in the page (the project compiles without the DOM lib).
declare const document: any;
declare const window: any;
declare const sessionStorage: any;

const WAIT_MS = 20_000;
jest.setTimeout(120_000);

describe('sign-in to the workbench in chromium', () => {
  let world: SignInWorld;
  let tmp: string;
  let context: BrowserContext | undefined;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM))
      throw new Error(`no chromium at ${CHROMIUM}: run \`npm run deps:system\`, or set WHEREABOUTS_CHROMIUM`);
    try {
      readWorkbenchManifest();
    } catch {
      await buildWorkbench();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-e2e-workbench-sign-in-'));
    world = await startSignInWorld();
    fs.mkdirSync(SHOTS, { recursive: true });
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      timeout: WAIT_MS,
    });
    context.setDefaultTimeout(WAIT_MS);
    await context.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e: any) =>
        window.__violations.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sample ?? ''}`),
      );
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m: ConsoleMessage) => {
      // The provider's own pages are not ours to judge.
      if (m.type() === 'error' && m.location().url.startsWith(world.url)) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
  });

  afterAll(async () => {
    await context?.close();
    await world?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  afterEach(async () => {
    expect(problems).toEqual([]);
    if (page.url().startsWith(`${world.url}/workbench`))
      expect(await page.evaluate(() => window.__violations)).toEqual([]);
  });

  /** Signs in from the workbench through the provider's login page as `account`. */
  async function signInAs(account: string): Promise<void> {
    await page.goto(`${world.url}/workbench`);
    await page.getByTestId('sign-in').click();
    await page.waitForURL((url) => url.href.startsWith(world.provider.issuer));
    await page.locator('input[name="login"]').fill(account);
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.href.startsWith(world.url));
    await page.waitForSelector('body[data-state="ready"]');
    await page.locator('.graphiql-container').waitFor();
  }

  test('the key card offers sign-in beside the key', async () => {
    await page.goto(`${world.url}/workbench`);
    await page.getByTestId('sign-in').waitFor();
    expect(await page.getByTestId('key-input').isVisible()).toBe(true);
    expect(await page.getByTestId('sign-in').getAttribute('href')).toBe(
      `/auth/sign-in?return=${encodeURIComponent('/workbench')}`,
    );
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('locked');
    await page.screenshot({ path: path.join(SHOTS, 'workbench-sign-in-offered.png') });
  });

  test('an analyst signs in at the provider, gets the whole IDE and runs the national total (393)', async () => {
    await signInAs('alice');
    expect(page.url()).toBe(`${world.url}/workbench`);
    expect(await page.getByTestId('mode').getAttribute('data-mode')).toBe('full');
    expect(await page.getByTestId('mode').innerText()).toBe('analyst session · own queries');
    expect(await page.getByTestId('sign-out').isVisible()).toBe(true);
    // No key anywhere: the session is a cookie the page cannot read.
    expect(await page.evaluate(() => sessionStorage.getItem('whereabouts.workbenchKey'))).toBeNull();
    expect(await page.evaluate(() => document.cookie)).toBe('');

    await page.locator('.graphiql-query-editor .view-lines').first().waitFor();
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === world.graphqlUrl && r.request().method() === 'POST'),
      page.locator('.graphiql-execute-button').click(),
    ]);
    const headers = await response.request().allHeaders();
    expect(headers.authorization).toBeUndefined();
    expect(headers['x-csrf-token']).toMatch(/\S/);
    expect(headers.cookie).toContain(`${SESSION_COOKIE}=`);
    const sent = JSON.parse(response.request().postData() ?? '{}');
    expect(sent.query).toMatch(/national\(asAt: "2018-01-17"\)/);
    expect(response.status()).toBe(200);
    expect((await response.json()).data.national.unaccounted).toEqual({ value: 393 });
    const shown = (await page.locator('.graphiql-response .result-window').innerText())
      .replace(/\u00a0/g, ' ')
      .replace(/\s+/g, ' ');
    expect(shown).toContain('"unaccounted": { "value": 393 }');
    await page.screenshot({ path: path.join(SHOTS, 'workbench-signed-in-analyst.png') });

    // A reload keeps the session (it is read again from /auth/session).
    await page.reload();
    await page.waitForSelector('body[data-state="ready"]');
    expect(await page.getByTestId('mode').innerText()).toBe('analyst session · own queries');
  });

  test('signing out ends the session: the key card again, and the cookie gone', async () => {
    await page.getByTestId('sign-out').click();
    await page.waitForSelector('body[data-state="locked"]');
    expect(await page.getByTestId('key-error').textContent()).toBe('You have signed out.');
    expect((await context!.cookies(world.url)).find((c) => c.name === SESSION_COOKIE)).toBeUndefined();
    await page.getByTestId('sign-in').waitFor();
  });

  test('a dashboard session gets the approved operations only, run by document id', async () => {
    // The provider remembers alice (its own session cookie): forget every cookie, as a new browser would.
    await context!.clearCookies();
    await signInAs('dora');
    expect(await page.getByTestId('mode').getAttribute('data-mode')).toBe('approved');
    expect(await page.getByTestId('mode').innerText()).toBe('dashboard session · approved operations only');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === world.graphqlUrl && r.request().method() === 'POST'),
      page.locator('.graphiql-execute-button').click(),
    ]);
    const sent = JSON.parse(response.request().postData() ?? '{}');
    expect(sent.query).toBeUndefined();
    expect(sent.extensions.persistedQuery.sha256Hash).toMatch(/^[0-9a-f]{64}$/);
    expect(response.status()).toBe(200);
    await page.getByTestId('sign-out').click();
    await page.waitForSelector('body[data-state="locked"]');
  });
});
