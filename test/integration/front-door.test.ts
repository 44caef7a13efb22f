/**
 * The front door (issue 23, item 1): `/` tells a browser and a program what this service is and where to
 * go next, in HTML or JSON by the Accept header, with no key, no data, no personal data and nothing
 * loaded from elsewhere. Real HTTP against the embedded default on a loopback port.
 */
import { PACKAGE_JSON } from '../../src/paths';
import { frontDoorFacts, frontDoorPage } from '../../src/http/front-door/router';
import type { RunningGateway } from '../helpers/gateway';
import { startGateway } from '../helpers/gateway';

const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

let gateway: RunningGateway;
beforeAll(async () => {
  gateway = await startGateway(undefined, { redis: null, env: {} });
});
afterAll(() => gateway.close());

describe('the front door', () => {
  test('a browser gets a page naming the service, its doors, version and runtime, under a strict CSP', async () => {
    const res = await fetch(`${gateway.url}/`, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('vary')).toMatch(/accept/i);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('<title>Whereabouts</title>');
    for (const door of ['/dashboard', '/workbench', '/feeds', '/graphql', '/healthz', '/readyz'])
      expect(html).toContain(`href="${door}"`);
    expect(html).toContain(`Version ${PACKAGE_JSON.version} · Node.js ${process.versions.node}`);
    // Nothing from elsewhere and nothing run: every link and stylesheet is this origin's, and no script.
    expect(html).not.toMatch(/(href|src)="(https?:)?\/\//);
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/style="/);
  });

  test('its stylesheet has a content-hashed name and is cached for a year; another name is not found', async () => {
    const html = await (await fetch(`${gateway.url}/`, { headers: { accept: 'text/html' } })).text();
    const href = /<link rel="stylesheet" href="(\/front-door\.[0-9a-f]{16}\.css)"/.exec(html)?.[1];
    expect(href).toBeDefined();
    const css = await fetch(`${gateway.url}${href}`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await css.text()).toContain('prefers-color-scheme');
    const stale = await fetch(`${gateway.url}/front-door.0000000000000000.css`);
    expect(stale.status).toBe(404);
  });

  test.each([
    ['asks for JSON', 'application/json'],
    ['has no preference (*/*)', '*/*'],
    ['sends no Accept header', null],
  ] as const)('a program that %s gets the same facts as JSON', async (_what, accept) => {
    const res = await fetch(`${gateway.url}/`, { headers: accept === null ? {} : { accept } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const facts = (await res.json()) as ReturnType<typeof frontDoorFacts>;
    expect(facts).toEqual(frontDoorFacts());
    expect(facts).toMatchObject({ service: 'Whereabouts', version: PACKAGE_JSON.version });
    expect(facts.doors.map((d) => d.path)).toEqual([
      '/dashboard',
      '/workbench',
      '/feeds',
      '/graphql',
      '/healthz',
      '/readyz',
    ]);
  });

  test('a client that accepts neither form gets 406 NOT_ACCEPTABLE, which says what there is', async () => {
    const res = await fetch(`${gateway.url}/`, { headers: { accept: 'image/png' } });
    expect(res.status).toBe(406);
    expect(await res.json()).toEqual({
      errors: [
        {
          message: 'the front door is served as application/json or text/html',
          extensions: { code: 'NOT_ACCEPTABLE' },
        },
      ],
    });
  });

  test('every link on the page leads somewhere that answers (no dead door)', async () => {
    for (const door of frontDoorFacts().doors) {
      const res = await fetch(`${gateway.url}${door.path}`, { headers: { accept: 'application/json' } });
      // The API and feeds may ask for a key or a method; none of them is missing.
      expect([door.path, res.status === 404 || res.status >= 500]).toEqual([door.path, false]);
    }
  });

  test('what it shows is escaped: a description with markup is shown as text', () => {
    const page = frontDoorPage(
      { ...frontDoorFacts(), description: '<img src=x onerror=alert(1)> & "quotes"' },
      '/front-door.css',
    );
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;');
    expect(page).not.toContain('<img');
  });
});
