/**
 * The front door in Debian's chromium driven by playwright-core (issue 23, items 1 and 4): at desktop
 * and phone widths it shows the service, its doors, version and runtime with its own stylesheet applied,
 * loads nothing from elsewhere, logs no error (a CSP violation would be one), and its dashboard and
 * workbench links lead there. Screenshots go to /tmp/dashboard-shots/ (WHEREABOUTS_SHOTS overrides):
 * front-door-desktop.png and front-door-phone.png.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { PACKAGE_JSON } from '../../src/paths';
import { CHROMIUM, CHROMIUM_ARGS, SHOTS } from '../helpers/chromium';
import type { RunningGateway } from '../helpers/gateway';
import { startGateway } from '../helpers/gateway';

const WAIT_MS = 15_000;

// Functions passed to page.evaluate run in the page; the project compiles without the DOM lib.
declare const document: any;
declare const window: any;

jest.setTimeout(60_000);

let gateway: RunningGateway;
let context: BrowserContext;
let page: Page;
let tmp: string;
const problems: string[] = [];
const requested: string[] = [];

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`no chromium at ${CHROMIUM}: run \`npm run deps:system\`, or set WHEREABOUTS_CHROMIUM`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-e2e-front-door-'));
  gateway = await startGateway(undefined, { redis: null, env: {} });
  fs.mkdirSync(SHOTS, { recursive: true });
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    locale: 'en-GB',
    timeout: WAIT_MS,
  });
  context.setDefaultTimeout(WAIT_MS);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => requested.push(r.url()));
});

afterAll(async () => {
  await context?.close();
  await gateway?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test.each([
  ['desktop', { width: 1280, height: 800 }],
  ['phone', { width: 390, height: 844 }],
] as const)(
  'at %s width it shows the service and its doors, styled, with nothing from elsewhere',
  async (name, size) => {
    await page.setViewportSize(size);
    requested.length = 0;
    await page.goto(`${gateway.url}/`);
    await page.getByRole('heading', { name: 'Whereabouts' }).waitFor();
    for (const door of ['Dashboard', 'Workbench', 'Data feeds', 'GraphQL', 'Health', 'Readiness'])
      expect(await page.getByRole('link', { name: door, exact: true }).isVisible()).toBe(true);
    expect(await page.locator('footer').innerText()).toBe(
      `Version ${PACKAGE_JSON.version} · Node.js ${process.versions.node}`,
    );
    // The stylesheet applied (the doors are cards), and the page fits the width: no sideways scrolling.
    const layout = await page.evaluate(() => ({
      cardBorder: window.getComputedStyle(document.querySelector('ul.doors li')).borderTopStyle,
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    }));
    expect(layout).toEqual({ cardBorder: 'solid', overflow: 0 });
    expect(requested.filter((url) => !url.startsWith(gateway.url))).toEqual([]);
    expect(problems).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, `front-door-${name}.png`), fullPage: true });
  },
);

test('its workbench door opens the workbench, which asks for a key', async () => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${gateway.url}/`);
  await page.getByRole('link', { name: 'Workbench', exact: true }).click();
  await page.waitForURL(`${gateway.url}/workbench`);
  await page.getByLabel('API key', { exact: true }).waitFor();
  expect(await page.title()).toBe('Whereabouts: workbench');
  expect(problems).toEqual([]);
});

test('its dashboard door opens the dashboard', async () => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${gateway.url}/`);
  await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
  await page.waitForURL(`${gateway.url}/dashboard`);
  expect(await page.title()).toMatch(/Whereabouts/);
});
