/**
 * Sign-in to the dashboard in a real browser: Debian's chromium driven by playwright-core, a gateway with
 * `access.oidc` and a real OpenID provider (npm oidc-provider) on loopback ports. The person clicks "Sign
 * in", fills in the provider's own login page, comes back to the dashboard signed in as the role their
 * groups claim gives, sees it load (live updates included), and signs out.
 *
 * Screenshots go to SHOTS (test/helpers/chromium.ts): sign-in-offered-{desktop,phone}.png,
 * sign-in-dashboard-{desktop,phone}.png and sign-in-refused.png.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { SESSION_COOKIE } from '../../src/access/sessions';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS } from '../helpers/chromium';
import type { SignInWorld } from '../helpers/oidc';
import { startSignInWorld } from '../helpers/oidc';

// Functions passed to page.evaluate run in the page (the project compiles without the DOM lib).
declare const document: any;

const WAIT_MS = 15_000;
jest.setTimeout(90_000);

describe('sign-in to the dashboard in chromium', () => {
  let world: SignInWorld;
  let tmp: string;
  let context: BrowserContext | undefined;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `Debian chromium is missing at ${CHROMIUM}: the browser tests need it. Install it with ` +
          '`npm run deps:system` (as root: apt-get install chromium), or point WHEREABOUTS_CHROMIUM at a chromium binary.',
      );
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-e2e-sign-in-'));
    world = await startSignInWorld();
    fs.mkdirSync(SHOTS, { recursive: true });
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      timeout: WAIT_MS,
    });
    context.setDefaultTimeout(WAIT_MS);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m: ConsoleMessage) => {
      // The provider's own pages are not ours to judge.
      if (m.type() === 'error' && m.location().url.startsWith(world.url)) consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  });

  afterAll(async () => {
    await context?.close();
    await world?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Signs in from the dashboard through the provider's login page as `account`. */
  async function signInAs(account: string): Promise<void> {
    await page.goto(`${world.url}/dashboard`);
    await page.getByTestId('sign-in').waitFor();
    await page.getByTestId('sign-in').click();
    await page.waitForURL((url) => url.href.startsWith(world.provider.issuer));
    await page.locator('input[name="login"]').fill(account);
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.href.startsWith(world.url));
  }

  test('the dashboard offers sign-in beside the key', async () => {
    await page.goto(`${world.url}/dashboard`);
    await page.getByTestId('sign-in').waitFor();
    expect(await page.getByTestId('key-input').isVisible()).toBe(true);
    expect(await page.getByTestId('sign-in').getAttribute('href')).toBe(
      `/auth/sign-in?return=${encodeURIComponent('/dashboard')}`,
    );
    await page.screenshot({ path: path.join(SHOTS, 'sign-in-offered-desktop.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(SHOTS, 'sign-in-offered-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(consoleErrors).toEqual([]);
  });

  test('a person signs in at the provider and the dashboard loads as their role, live updates on', async () => {
    await signInAs('dora');
    await page.waitForSelector('body[data-state="ready"]');
    expect(page.url()).toBe(`${world.url}/dashboard`);
    expect(await page.getByTestId('signed-in-as').textContent()).toBe('Signed in (dashboard)');
    expect(await page.getByTestId('sign-out').isVisible()).toBe(true);
    expect(await page.evaluate(() => document.getElementById('forget-key').hidden)).toBe(true);
    const total = await page.evaluate(
      () => document.querySelector('[data-testid="national-total"]').dataset.value,
    );
    expect(Number(total)).toBeGreaterThan(0);
    await page.waitForSelector('[data-testid="live-status"][data-live="on"]');

    // The cookie as chromium keeps it on http://127.0.0.1 (loopback counts as a secure context).
    const cookies = await context!.cookies(world.url);
    const session = cookies.find((c) => c.name === SESSION_COOKIE)!;
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(session.value).toMatch(/^[\w-]{43}$/);
    // The page's script cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');

    await page.screenshot({ path: path.join(SHOTS, 'sign-in-dashboard-desktop.png'), fullPage: false });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(SHOTS, 'sign-in-dashboard-phone.png'), fullPage: false });
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(consoleErrors).toEqual([]);
  });

  test('signing out ends the session: the page asks again, and the old cookie is refused', async () => {
    const before = (await context!.cookies(world.url)).find((c) => c.name === SESSION_COOKIE)!.value;
    await page.getByTestId('sign-out').click();
    await page.waitForSelector('body[data-state="locked"]');
    expect(await page.locator('#key-error').textContent()).toContain('You have signed out.');
    expect((await context!.cookies(world.url)).find((c) => c.name === SESSION_COOKIE)).toBeUndefined();
    const res = await fetch(`${world.url}/auth/session`, {
      headers: { cookie: `${SESSION_COOKIE}=${before}` },
    });
    expect(await res.json()).toEqual({ signIn: true, signedIn: false });
  });

  test('a person whose groups give no role sees a clear refusal page, and no session', async () => {
    // The provider remembers dora (its own session cookie): forget every cookie, as a new browser would.
    await context!.clearCookies();
    await signInAs('mallory');
    await page.waitForSelector('body[data-error-code="SIGN_IN_NO_ROLE"]');
    expect(await page.locator('h1').textContent()).toBe('No access');
    await page.screenshot({ path: path.join(SHOTS, 'sign-in-refused.png'), fullPage: true });
    expect((await context!.cookies(world.url)).find((c) => c.name === SESSION_COOKIE)).toBeUndefined();
  });
});
