/**
 * Sign-in with OpenID Connect (issue 23 item 3), against a real provider (npm oidc-provider) on a loopback
 * port: the authorization code flow with PKCE, state and nonce; sessions in a cookie carrying only a random
 * id; the role from the ID token's claim; CSRF for every request a cookie signs in; expiry by the
 * gateway's clock; sign-out; the audit line; and keys unchanged beside it.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { loadApprovedOperations } from '../../../src/access/approved-operations';
import { OidcClient, SignInError } from '../../../src/access/oidc';
import { MemorySessionStore } from '../../../src/access/session-store';
import { SESSION_COOKIE, SIGN_IN_COOKIE, handleOf } from '../../../src/access/sessions';
import { buildConfig, ConfigError } from '../../../src/config/load';
import { OIDC_CLIENT_SECRET_ENV } from '../../../src/config/schema';
import { TestClock } from '../../helpers/clock';
import { eventually } from '../../helpers/eventually';
import { RedisServer } from '../../helpers/redis';
import { startKeyedGateway } from '../../helpers/keyed-gateway';
import { logSink } from '../../helpers/log-sink';
import type { SignInWorld } from '../../helpers/oidc';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  CookieJar,
  ROLE_MAP,
  browse,
  location,
  signInAtProvider,
  startSignInWorld,
} from '../../helpers/oidc';

const OWN_QUERY = '{ national(asAt: "2018-01-17") { unaccounted { value } } }';
const nationalLatest = loadApprovedOperations().find((op) => op.name === 'national-latest')!;
const persisted = JSON.stringify({
  extensions: { persistedQuery: { version: 1, sha256Hash: nationalLatest.sha256 } },
  variables: { asAt: '2018-01-17' },
});

/** Signs `account` in and follows the callback: the browser's jar then holds the session cookie. */
async function signIn(world: SignInWorld, account: string): Promise<{ jar: CookieJar; csrf: string }> {
  const { jar, callback } = await signInAtProvider(world.url, account);
  const done = await browse(jar, callback);
  expect(done.status).toBe(303);
  const session = await json(browse(jar, `${world.url}/auth/session`));
  return { jar, csrf: session.csrfToken };
}

/** A POST /graphql as the dashboard page sends it: the cookie, the CSRF token, this origin. */
function post(
  world: SignInWorld,
  jar: CookieJar,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return browse(jar, world.graphqlUrl, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', origin: world.url, ...headers },
  });
}

const query = (text: string) => JSON.stringify({ query: text });

/** A response's JSON body, as the tests read it. */
async function json(res: Response | Promise<Response>): Promise<any> {
  return (await res).json();
}

async function codeOf(res: Response): Promise<string | undefined> {
  const body = await json(res);
  return body.errors?.[0]?.extensions?.code;
}

describe('sign-in with OpenID Connect', () => {
  let world: SignInWorld;
  const store = new MemorySessionStore();
  const logs = logSink();

  beforeAll(async () => {
    world = await startSignInWorld({}, { sessionStore: store, logger: logs.logger });
  });
  afterAll(() => world.close());

  test('signs in end to end: a session cookie with only a random id, HttpOnly, Secure, SameSite=Strict, on the whole origin', async () => {
    const jar = new CookieJar();
    const begun = await browse(
      jar,
      `${world.url}/auth/sign-in?return=${encodeURIComponent('/dashboard?date=2018-01-17')}`,
    );
    expect(begun.status).toBe(303);
    expect(begun.headers.get('cache-control')).toBe('no-store');
    const authorize = new URL(location(begun, world.url));
    expect(authorize.origin).toBe(world.provider.issuer);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: `${world.url}/auth/callback`,
      scope: 'openid whereabouts',
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      state: expect.stringMatching(/^[\w-]{20,}$/),
      nonce: expect.stringMatching(/^[\w-]{20,}$/),
    });
    const signInCookie = jar.seen.find((c) => c.header.startsWith(`${SIGN_IN_COOKIE}=`))!.header;
    expect(signInCookie).toMatch(
      /^__Host-whereabouts-signin=[\w-]{43}; Path=\/; Max-Age=600; HttpOnly; Secure; SameSite=Lax$/,
    );

    const { callback } = await signInAtProvider(world.url, 'alice', jar, '/dashboard?date=2018-01-17');
    const done = await browse(jar, callback);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/dashboard?date=2018-01-17');
    const set = done.headers.getSetCookie();
    expect(set).toContain(`${SIGN_IN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax`);
    const sessionCookie = set.find((c) => c.startsWith(`${SESSION_COOKIE}=`) && !c.includes('Max-Age=0'))!;
    expect(sessionCookie).toMatch(
      /^__Host-whereabouts-session=[\w-]{43}; Path=\/; Max-Age=43200; HttpOnly; Secure; SameSite=Strict$/,
    );

    const session = await json(browse(jar, `${world.url}/auth/session`));
    expect(session).toEqual({
      signIn: true,
      signedIn: true,
      role: 'analyst',
      csrfToken: expect.stringMatching(/^[\w-]{43}$/),
      expiresAt: expect.any(String),
    });
    // The store holds a role and times under a hash of the cookie's id; nothing personal, not the id.
    const id = jar.get(world.url, SESSION_COOKIE)!;
    const record = await store.get(handleOf(id));
    expect(Object.keys(record!).sort()).toEqual(['createdAt', 'csrfToken', 'handle', 'lastSeenAt', 'role']);
    expect(JSON.stringify(record)).not.toContain(id);
    expect(JSON.stringify(record)).not.toContain('alice');

    const res = await post(world, jar, query(OWN_QUERY), { 'x-csrf-token': session.csrfToken });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ data: { national: { unaccounted: { value: 393 } } } });
  });

  test('the role comes from the claim through roleMap: a dashboard group runs approved operations only', async () => {
    const { jar, csrf } = await signIn(world, 'dora');
    expect((await json(browse(jar, `${world.url}/auth/session`))).role).toBe('dashboard');
    const own = await post(world, jar, query(OWN_QUERY), { 'x-csrf-token': csrf });
    expect(own.status).toBe(403);
    expect(await codeOf(own)).toBe('FORBIDDEN');
    const approved = await post(world, jar, persisted, { 'x-csrf-token': csrf });
    expect(approved.status).toBe(200);
  });

  test('the workbench offers sign-in, and key.json answers a session with its CSRF token (and refuses it without)', async () => {
    const offered = await json(fetch(`${world.url}/workbench/operations.json`));
    expect(offered.signIn).toBe(true);
    const keyJson = `${world.url}/workbench/key.json`;

    const analyst = await signIn(world, 'alice');
    const withToken = await browse(analyst.jar, keyJson, { headers: { 'x-csrf-token': analyst.csrf } });
    expect(withToken.status).toBe(200);
    expect(await withToken.json()).toMatchObject({ role: 'analyst', ownQueries: true, introspection: true });
    const noToken = await browse(analyst.jar, keyJson);
    expect(noToken.status).toBe(403);
    expect(await codeOf(noToken)).toBe('CSRF_REJECTED');
    const wrongToken = await browse(analyst.jar, keyJson, {
      headers: { 'x-csrf-token': `${analyst.csrf}x` },
    });
    expect(wrongToken.status).toBe(403);

    const dashboard = await signIn(world, 'dora');
    const approvedOnly = await json(
      browse(dashboard.jar, keyJson, { headers: { 'x-csrf-token': dashboard.csrf } }),
    );
    expect(approvedOnly).toMatchObject({ role: 'dashboard', ownQueries: false, introspection: false });
    expect(approvedOnly.operations).toContain('national-latest');
  });

  test('a claim holding several mapped values gives the first roleMap entry it holds', async () => {
    const { jar } = await signIn(world, 'olivia');
    expect((await json(browse(jar, `${world.url}/auth/session`))).role).toBe('operator');
  });

  test('a person whose claim maps to no role is refused at the callback: 403 page, no session', async () => {
    const { jar, callback } = await signInAtProvider(world.url, 'mallory');
    const res = await browse(jar, callback);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const page = await res.text();
    expect(page).toContain('SIGN_IN_NO_ROLE');
    expect(page).toContain('has no role at this gateway');
    expect(page).not.toContain(world.provider.issuer);
    expect(page).not.toMatch(/newsroom|mallory|at .*\.js/);
    expect(jar.get(world.url, SESSION_COOKIE)).toBeUndefined();
    expect(await json(browse(jar, `${world.url}/auth/session`))).toEqual({
      signIn: true,
      signedIn: false,
    });
  });

  test('a tampered state is refused (400 SIGN_IN_FAILED, no session), and the sign-in is spent', async () => {
    const { jar, callback } = await signInAtProvider(world.url, 'alice');
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${tampered.searchParams.get('state')}x`);
    const res = await browse(jar, tampered.href);
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('SIGN_IN_FAILED');
    expect(page).not.toContain(world.provider.issuer);
    expect(jar.get(world.url, SESSION_COOKIE)).toBeUndefined();
    // The genuine answer, after the tampered one, finds nothing under way either.
    const genuine = await browse(jar, callback);
    expect(genuine.status).toBe(400);
    expect(jar.get(world.url, SESSION_COOKIE)).toBeUndefined();
  });

  test('a replayed callback (the same code and sign-in cookie) is refused: the sign-in is used once', async () => {
    const { jar, callback } = await signInAtProvider(world.url, 'alice');
    const binding = jar.get(world.url, SIGN_IN_COOKIE)!;
    expect((await browse(jar, callback)).status).toBe(303);
    const thief = new CookieJar();
    thief.set(world.url, SIGN_IN_COOKIE, binding);
    const replay = await browse(thief, callback);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('SIGN_IN_FAILED');
    expect(thief.get(world.url, SESSION_COOKIE)).toBeUndefined();
  });

  test('the provider refuses an authorization code used twice, and the client says the sign-in failed', async () => {
    const oidc = new OidcClient(world.config.access.oidc!, CLIENT_SECRET);
    const jar = new CookieJar();
    const begun = await oidc.begin('/dashboard');
    let url = begun.url.href;
    for (let hops = 0; hops < 10 && !url.startsWith(`${world.url}/auth/callback`); hops++) {
      const res = await browse(jar, url);
      if (res.status === 200) {
        const body = new URLSearchParams({ prompt: 'login', login: 'alice', password: 'x' }).toString();
        const sent = await browse(jar, url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        url = location(sent, url);
      } else url = location(res, url);
    }
    const search = new URL(url).search;
    const claims = await oidc.complete(search, begun.pending);
    expect(claims.wa_groups).toEqual(['newsroom', 'wa-analysts']);
    const second = await oidc.complete(search, begun.pending).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(SignInError);
    expect(second).toMatchObject({ kind: 'failed' });
    expect((second as SignInError).detail).toContain('invalid_grant');
  });

  describe('CSRF: a cookie signs a request in only with its token, from this origin', () => {
    let jar: CookieJar;
    let csrf: string;
    beforeAll(async () => {
      ({ jar, csrf } = await signIn(world, 'alice'));
    });

    test('a cross-site POST with the cookie and no token is refused 403 CSRF_REJECTED', async () => {
      const res = await post(world, jar, query(OWN_QUERY), { origin: 'https://evil.example' });
      expect(res.status).toBe(403);
      const body = await json(res);
      expect(body.errors[0].extensions.code).toBe('CSRF_REJECTED');
      expect(body.errors[0].message).toBe(
        `a request signed in by the session cookie must come from this gateway's own pages (${world.url})`,
      );
      const noToken = await post(world, jar, query(OWN_QUERY));
      expect(noToken.status).toBe(403);
      expect((await json(noToken)).errors[0].message).toBe(
        "a request signed in by the session cookie must send the session's CSRF token in the X-CSRF-Token header (from GET /auth/session)",
      );
    });

    test.each([
      ['another origin', { origin: 'https://evil.example' }],
      ['a cross-site fetch (Sec-Fetch-Site)', { 'sec-fetch-site': 'cross-site' }],
      ['a same-site but other-origin fetch', { 'sec-fetch-site': 'same-site' }],
    ])('the right token from %s is refused too', async (_name, headers) => {
      const res = await post(world, jar, query(OWN_QUERY), { 'x-csrf-token': csrf, ...headers });
      expect(res.status).toBe(403);
      expect(await codeOf(res)).toBe('CSRF_REJECTED');
    });

    test('a wrong token is refused', async () => {
      const res = await post(world, jar, query(OWN_QUERY), { 'x-csrf-token': `${csrf.slice(1)}A` });
      expect(res.status).toBe(403);
      expect(await codeOf(res)).toBe('CSRF_REJECTED');
    });

    test('GETs need the token as well: a feed and a GraphQL GET', async () => {
      const feed = `${world.url}/feeds/national-latest.json?asAt=2018-01-17`;
      expect((await browse(jar, feed)).status).toBe(403);
      expect((await browse(jar, feed, { headers: { 'x-csrf-token': csrf } })).status).toBe(200);
      const get = `${world.graphqlUrl}?query=${encodeURIComponent(OWN_QUERY)}`;
      expect((await browse(jar, get)).status).toBe(403);
      expect((await browse(jar, get, { headers: { 'x-csrf-token': csrf } })).status).toBe(200);
    });

    test('a public feed followed as a link (the cookie, no token) is read as anyone would read it', async () => {
      const open = await startSignInWorld({}, {}, undefined, { publicFeeds: ['national-latest'] });
      try {
        const { jar: signedIn } = await signIn(open, 'alice');
        const res = await browse(signedIn, `${open.url}/feeds/national-latest.json?asAt=2018-01-17`);
        expect(res.status).toBe(200);
        expect(res.headers.get('cache-control')).toMatch(/^public/);
      } finally {
        await open.close();
      }
    });

    test('sign-out needs the token too', async () => {
      const res = await browse(jar, `${world.url}/auth/sign-out`, {
        method: 'POST',
        headers: { origin: 'https://evil.example' },
      });
      expect(res.status).toBe(403);
      expect(await codeOf(res)).toBe('CSRF_REJECTED');
      expect((await post(world, jar, query(OWN_QUERY), { 'x-csrf-token': csrf })).status).toBe(200);
    });
  });

  describe('graphql-ws: the cookie comes with the upgrade, the token in connectionParams', () => {
    /**
     * Opens a graphql-ws connection as a browser page would (the cookie and Origin on the upgrade
     * request) and gives how it ended: `connected`, or the close code.
     */
    const connect = async (
      jar: CookieJar,
      origin: string,
      params: Record<string, unknown>,
    ): Promise<{ outcome: () => string | null; dispose: () => Promise<void> }> => {
      const headers = { cookie: jar.header(world.url)!, origin };
      class BrowserSocket extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, { headers });
        }
      }
      let outcome: string | null = null;
      const client = createClient({
        url: world.graphqlUrl.replace(/^http/, 'ws'),
        webSocketImpl: BrowserSocket,
        connectionParams: params,
        lazy: false,
        retryAttempts: 0,
        on: {
          connected: () => {
            outcome ??= 'connected';
          },
          closed: (event) => {
            outcome =
              outcome === 'connected'
                ? `connected, then ${(event as { code: number }).code}`
                : String((event as { code: number }).code);
          },
        },
        onNonLazyError: () => undefined,
      });
      return { outcome: () => outcome, dispose: () => client.dispose() as Promise<void> };
    };

    test('a signed-in page connects with its token; without it, or from another origin, it is closed 4403', async () => {
      const { jar, csrf } = await signIn(world, 'dora');
      const ok = await connect(jar, world.url, { csrfToken: csrf });
      expect(await eventually(ok.outcome, 'the connection to open')).toBe('connected');
      await ok.dispose();
      const noToken = await connect(jar, world.url, {});
      expect(await eventually(noToken.outcome, 'the connection to close')).toBe('4403');
      await noToken.dispose();
      const elsewhere = await connect(jar, 'https://evil.example', { csrfToken: csrf });
      expect(await eventually(elsewhere.outcome, 'the connection to close')).toBe('4403');
      await elsewhere.dispose();
    });

    test('signing out closes the session’s open connection (4401) at the next credential check', async () => {
      const { jar, csrf } = await signIn(world, 'dora');
      const live = await connect(jar, world.url, { csrfToken: csrf });
      expect(await eventually(live.outcome, 'the connection to open')).toBe('connected');
      const out = await browse(jar, `${world.url}/auth/sign-out`, {
        method: 'POST',
        headers: { origin: world.url, 'x-csrf-token': csrf },
      });
      expect(out.status).toBe(204);
      expect(
        await eventually(() => (live.outcome() === 'connected' ? null : live.outcome()), 'the close', 5000),
      ).toBe('connected, then 4401');
      await live.dispose();
    });
  });

  test('sign-out ends the session: the cookie is cleared, and the old cookie then gets 401', async () => {
    const { jar, csrf } = await signIn(world, 'alice');
    const id = jar.get(world.url, SESSION_COOKIE)!;
    const out = await browse(jar, `${world.url}/auth/sign-out`, {
      method: 'POST',
      headers: { origin: world.url, 'x-csrf-token': csrf },
    });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()).toContain(
      `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict`,
    );
    const stale = new CookieJar();
    stale.set(world.url, SESSION_COOKIE, id);
    const res = await post(world, stale, query(OWN_QUERY), { 'x-csrf-token': csrf });
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('UNAUTHENTICATED');
    expect(await json(browse(stale, `${world.url}/auth/session`))).toEqual({
      signIn: true,
      signedIn: false,
    });
  });

  test('a revoked session (removed from the store) gets 401 on its next request', async () => {
    const { jar, csrf } = await signIn(world, 'alice');
    await store.delete(handleOf(jar.get(world.url, SESSION_COOKIE)!));
    const res = await post(world, jar, query(OWN_QUERY), { 'x-csrf-token': csrf });
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('UNAUTHENTICATED');
  });

  test('a made-up session cookie gets the one 401', async () => {
    const jar = new CookieJar();
    jar.set(world.url, SESSION_COOKIE, 'A'.repeat(43));
    const res = await post(world, jar, query(OWN_QUERY), { 'x-csrf-token': 'A'.repeat(43) });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  test('the audit line names the session by a hash of its id, via "session"; no cookie, token or person in the log', async () => {
    const { jar, csrf } = await signIn(world, 'dora');
    const before = logs.events().length;
    const res = await post(world, jar, persisted, {
      'x-csrf-token': csrf,
      'x-request-id': 'audit-session-1',
    });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const line = logs
      .events()
      .slice(before)
      .find((e) => e.event === 'audit' && e.requestId === 'audit-session-1');
    expect(line).toMatchObject({
      event: 'audit',
      method: 'POST',
      path: '/graphql',
      keyId: expect.stringMatching(/^session:[0-9a-f]{16}$/),
      via: 'session',
      role: 'dashboard',
      operation: 'national-latest',
      status: 200,
      transport: 'http',
    });
    const all = JSON.stringify(logs.events());
    expect(all).not.toContain(jar.get(world.url, SESSION_COOKIE)!);
    expect(all).not.toContain(csrf);
    expect(all).not.toMatch(/dora|alice|mallory|wa-dashboard/);
    // The sign-in itself is audited under the new session's id.
    const callbackLine = logs
      .events()
      .filter((e) => e.event === 'audit' && e.path === '/auth/callback' && e.status === 303)
      .at(-1);
    expect(callbackLine).toMatchObject({ via: 'session', role: 'dashboard', keyId: line.keyId });
  });

  describe('keys beside sessions', () => {
    test('API keys work as before', async () => {
      const res = await browse(new CookieJar(), world.graphqlUrl, {
        method: 'POST',
        body: query(OWN_QUERY),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${world.tokens.analyst}` },
      });
      expect(res.status).toBe(200);
    });

    test('a bearer key wins over the session cookie: the request is the key’s role, the cookie unread', async () => {
      const { jar, csrf } = await signIn(world, 'alice');
      const asJournalist = await post(world, jar, query(OWN_QUERY), {
        'x-csrf-token': csrf,
        authorization: `Bearer ${world.tokens.journalist}`,
      });
      expect(asJournalist.status).toBe(403);
      expect((await json(asJournalist)).errors[0].message).toContain('journalist keys');
      const badKey = await post(world, jar, query(OWN_QUERY), {
        'x-csrf-token': csrf,
        authorization: 'Bearer wa_notakey',
      });
      expect(badKey.status).toBe(401);
      // A key needs no CSRF token, whatever cookie the browser also sends.
      const keyOnly = await post(world, jar, query(OWN_QUERY), {
        authorization: `Bearer ${world.tokens.analyst}`,
      });
      expect(keyOnly.status).toBe(200);
    });
  });
});

describe('sessions in Redis: every instance sees them, and sign-out is everywhere', () => {
  let redis: RedisServer;
  let a: SignInWorld;
  let b: SignInWorld;
  beforeAll(async () => {
    redis = await RedisServer.start();
    a = await startSignInWorld({}, { redis: { url: redis.url } });
    b = await startSignInWorld({}, { redis: { url: redis.url } }, a);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  test('signed in on one instance, served by another; signed out on that one, refused by the first', async () => {
    const { jar, csrf } = await signIn(a, 'alice');
    const id = jar.get(a.url, SESSION_COOKIE)!;
    // The same browser, reaching the other instance behind the same public origin.
    const onB = new CookieJar();
    onB.set(b.url, SESSION_COOKIE, id);
    const res = await browse(onB, b.graphqlUrl, {
      method: 'POST',
      body: query(OWN_QUERY),
      headers: { 'content-type': 'application/json', origin: a.url, 'x-csrf-token': csrf },
    });
    expect(res.status).toBe(200);
    // Redis holds the session under the hash of its id; never the id.
    const stored = await redis.command('--scan', '--pattern', 'wa:v1:session:*');
    expect(stored.split('\n')).toEqual([`wa:v1:session:${handleOf(id)}`]);
    expect(await redis.command('get', `wa:v1:session:${handleOf(id)}`)).not.toContain(id);

    const out = await browse(onB, `${b.url}/auth/sign-out`, {
      method: 'POST',
      headers: { origin: a.url, 'x-csrf-token': csrf },
    });
    expect(out.status).toBe(204);
    const after = await post(a, jar, query(OWN_QUERY), { 'x-csrf-token': csrf });
    expect(after.status).toBe(401);
    expect(await codeOf(after)).toBe('UNAUTHENTICATED');
  });

  test('with Redis down, sessions cannot be checked: 401 at once (fail closed), keys unaffected', async () => {
    const { jar, csrf } = await signIn(a, 'alice');
    await redis.kill();
    const started = performance.now();
    const res = await post(a, jar, query(OWN_QUERY), { 'x-csrf-token': csrf });
    expect(res.status).toBe(401);
    expect(performance.now() - started).toBeLessThan(2000);
    const session = await browse(jar, `${a.url}/auth/session`);
    expect(session.status).toBe(503);
    expect(await codeOf(session)).toBe('SIGN_IN_UNAVAILABLE');
    const keyed = await browse(new CookieJar(), a.graphqlUrl, {
      method: 'POST',
      body: query(OWN_QUERY),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${a.tokens.analyst}` },
    });
    expect(keyed.status).toBe(200);
  });
});

describe('session expiry, by the gateway’s clock', () => {
  const clock = new TestClock(Date.parse('2026-06-01T12:00:00Z'));
  let world: SignInWorld;
  beforeAll(async () => {
    world = await startSignInWorld(
      { idleTimeoutSeconds: 3600, absoluteTimeoutSeconds: 4 * 3600 },
      { now: clock.now, sessionStore: new MemorySessionStore() },
    );
  });
  afterAll(() => world.close());

  test('a session unused for longer than idleTimeoutSeconds gets 401', async () => {
    const { jar, csrf } = await signIn(world, 'alice');
    clock.advance(59 * 60_000);
    expect((await post(world, jar, query(OWN_QUERY), { 'x-csrf-token': csrf })).status).toBe(200);
    clock.advance(59 * 60_000);
    expect((await post(world, jar, query(OWN_QUERY), { 'x-csrf-token': csrf })).status).toBe(200);
    clock.advance(60 * 60_000 + 1000);
    const res = await post(world, jar, query(OWN_QUERY), { 'x-csrf-token': csrf });
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('UNAUTHENTICATED');
  });

  test('a session in use ends absoluteTimeoutSeconds after sign-in', async () => {
    const { jar, csrf } = await signIn(world, 'alice');
    for (let i = 0; i < 7; i++) {
      clock.advance(30 * 60_000);
      expect((await post(world, jar, query(OWN_QUERY), { 'x-csrf-token': csrf })).status).toBe(200);
    }
    clock.advance(30 * 60_000);
    expect((await post(world, jar, query(OWN_QUERY), { 'x-csrf-token': csrf })).status).toBe(401);
    expect(await json(browse(jar, `${world.url}/auth/session`))).toMatchObject({ signedIn: false });
  });
});

describe('without access.oidc', () => {
  test('/auth/* answers 404 and keys work as before', async () => {
    const keyed = await startKeyedGateway();
    try {
      for (const path of ['/auth/sign-in', '/auth/callback', '/auth/session'])
        expect((await fetch(`${keyed.gateway.url}${path}`)).status).toBe(404);
      expect((await fetch(`${keyed.gateway.url}/auth/sign-out`, { method: 'POST' })).status).toBe(404);
      expect((await json(fetch(`${keyed.gateway.url}/workbench/operations.json`))).signIn).toBe(false);
    } finally {
      await keyed.close();
    }
  });
});

describe('access.oidc configuration', () => {
  const oidc = {
    issuer: 'https://accounts.google.com',
    clientId: 'id',
    redirectUri: 'https://whereabouts.example/auth/callback',
    roleClaim: 'hd',
    roleMap: { 'newsroom.example': 'dashboard' },
  };
  const build = (
    access: Record<string, unknown>,
    env: NodeJS.ProcessEnv = { [OIDC_CLIENT_SECRET_ENV]: 's' },
  ) => buildConfig({ access }, { baseDir: '/tmp', origin: 'test', env });

  test('defaults: scopes openid, idle 1 hour, absolute 12 hours', () => {
    expect(build({ oidc }).access.oidc).toEqual({
      ...oidc,
      scopes: ['openid'],
      idleTimeoutSeconds: 3600,
      absoluteTimeoutSeconds: 43_200,
    });
  });

  test('the client secret comes from the environment only', () => {
    expect(() => build({ oidc }, {})).toThrow(
      'access.oidc: environment variable WHEREABOUTS_OIDC_CLIENT_SECRET (the client secret) is not set',
    );
    expect(() => build({ oidc: { ...oidc, clientSecret: 'in-the-file' } })).toThrow(ConfigError);
  });

  test.each([
    [
      { issuer: 'http://idp.example' },
      'access.oidc.issuer: must be an https URL (the issuer identifier); plain http is accepted only on a loopback host',
    ],
    [
      { redirectUri: 'https://whereabouts.example/elsewhere' },
      'access.oidc.redirectUri: must end in /auth/callback',
    ],
    [
      { roleMap: { x: 'superuser' } },
      'access.oidc.roleMap.x: must be one of: analyst, dashboard, journalist, operator',
    ],
    [{ roleMap: {} }, 'access.oidc.roleMap: must map at least one claim value to a role'],
    [{ scopes: ['email'] }, 'access.oidc.scopes: must include openid'],
    [
      { idleTimeoutSeconds: 7200, absoluteTimeoutSeconds: 3600 },
      'access.oidc.absoluteTimeoutSeconds: must be at least idleTimeoutSeconds',
    ],
  ])('%j is refused at start, naming the field', (change, message) => {
    expect(() => build({ oidc: { ...oidc, ...change } })).toThrow(message);
  });

  test('a roleMap keeps its order (the first entry held wins)', () => {
    expect(Object.keys(build({ oidc: { ...oidc, roleMap: ROLE_MAP } }).access.oidc!.roleMap)).toEqual(
      Object.keys(ROLE_MAP),
    );
  });
});
