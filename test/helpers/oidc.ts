import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { ApiKeyStore } from '../../src/access/api-keys';
import type { Role } from '../../src/access/caller';
import { ROLES } from '../../src/access/caller';
import type { App, AppDeps } from '../../src/app';
import { createApp } from '../../src/app';
import type { GatewayConfig } from '../../src/config/load';
import { buildConfig } from '../../src/config/load';
import { OIDC_CLIENT_SECRET_ENV } from '../../src/config/schema';
import { createHttpServer } from '../../src/http/server';
import { createLogger } from '../../src/logger';
import { SqliteArchive } from '../../src/archive/sqlite-archive';

/**
 * A real OpenID provider (npm oidc-provider) on a loopback port, with one confidential client for the
 * gateway and test accounts whose `wa_groups` claim (scope `whereabouts`, put in the ID token) says
 * which groups they are in. Its own development login page accepts any account name with any password;
 * consent is granted by itself (first-party client), so a sign-in is one login form.
 */

export const CLIENT_ID = 'whereabouts-gateway';
export const CLIENT_SECRET = 'test-client-secret-not-for-production';

/** The test accounts and their groups (the role claim). */
export const ACCOUNTS: Readonly<Record<string, readonly string[]>> = {
  alice: ['newsroom', 'wa-analysts'],
  dora: ['wa-dashboard'],
  olivia: ['wa-dashboard', 'wa-operators'],
  mallory: ['newsroom'],
};

/** The gateway's role map for those groups (operators first: the first entry held wins). */
export const ROLE_MAP: Readonly<Record<string, Role>> = {
  'wa-operators': 'operator',
  'wa-analysts': 'analyst',
  'wa-dashboard': 'dashboard',
};

export interface TestProvider {
  readonly issuer: string;
  readonly provider: Provider;
  close(): Promise<void>;
}

/** Starts the provider for a gateway whose callback is `redirectUri`. */
export async function startProvider(redirectUri: string): Promise<TestProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const configuration: Configuration = {
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-rs256', alg: 'RS256', use: 'sig' }] },
    // Lifetimes of its own artifacts (short: a test's sign-in takes a second).
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Grant: 600,
      Session: 600,
    },
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    scopes: ['openid', 'whereabouts'],
    claims: { openid: ['sub'], whereabouts: ['wa_groups'] },
    // The scopes' claims go in the ID token, where the gateway reads the role.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    cookies: { keys: ['test-provider-cookie-key'] },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: KoaContextWithOIDC, sub: string) {
      return {
        accountId: sub,
        async claims() {
          return { sub, wa_groups: [...(ACCOUNTS[sub] ?? [])] };
        },
      };
    },
    // First-party client: consent is granted without asking.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const { Grant } = ctx.oidc.provider;
      const clientId = ctx.oidc.client!.clientId;
      const accountId = ctx.oidc.session!.accountId!;
      const existing = ctx.oidc.session!.grantIdFor(clientId);
      if (existing) return Grant.find(existing);
      const grant = new Grant({ clientId, accountId });
      grant.addOIDCScope('openid whereabouts');
      grant.addOIDCClaims(['wa_groups']);
      await grant.save();
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);
  server.on('request', provider.callback());
  return {
    issuer,
    provider,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A cookie jar of one browser, per origin (paths ignored: enough for these two servers). */
export class CookieJar {
  private readonly jars = new Map<string, Map<string, string>>();
  /** Every Set-Cookie header seen, as sent, per origin (to assert attributes). */
  readonly seen: Array<{ origin: string; header: string }> = [];

  take(url: string, res: Response): void {
    const origin = new URL(url).origin;
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    for (const header of res.headers.getSetCookie()) {
      this.seen.push({ origin, header });
      const [pair, ...attributes] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }

  header(url: string): string | undefined {
    const jar = this.jars.get(new URL(url).origin);
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  get(url: string, name: string): string | undefined {
    return this.jars.get(new URL(url).origin)?.get(name);
  }

  set(url: string, name: string, value: string): void {
    const origin = new URL(url).origin;
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    jar.set(name, value);
  }
}

/** One request as a browser makes it: its cookies sent, the answer's kept; redirects not followed. */
export async function browse(
  jar: CookieJar,
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const cookie = jar.header(url);
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    redirect: 'manual',
    headers: { ...(cookie ? { cookie } : {}), ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  jar.take(url, res);
  return res;
}

/** The absolute target of a redirect. */
export function location(res: Response, from: string): string {
  const to = res.headers.get('location');
  if (!to) throw new Error(`expected a redirect from ${from}, got ${res.status}`);
  return new URL(to, from).href;
}

/**
 * Signs in through the provider as `account`: the gateway's /auth/sign-in, the provider's authorization
 * endpoint, its login form (submitted as the page would), and back; returns the provider's redirect to
 * the gateway's callback (not yet followed), so a test can follow, tamper with or replay it.
 */
export async function signInAtProvider(
  gatewayUrl: string,
  account: string,
  jar: CookieJar = new CookieJar(),
  returnTo?: string,
): Promise<{ jar: CookieJar; callback: string }> {
  const start = `${gatewayUrl}/auth/sign-in${returnTo ? `?return=${encodeURIComponent(returnTo)}` : ''}`;
  const begun = await browse(jar, start);
  if (begun.status !== 303) throw new Error(`sign-in answered ${begun.status}: ${await begun.text()}`);
  let url = location(begun, start);
  for (let hops = 0; hops < 10; hops++) {
    if (url.startsWith(`${gatewayUrl}/auth/callback`)) return { jar, callback: url };
    const res = await browse(jar, url);
    if (res.status === 200 && /\/interaction\//.test(url)) {
      const body = new URLSearchParams({ prompt: 'login', login: account, password: 'any' }).toString();
      const submitted = await browse(jar, url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      url = location(submitted, url);
      continue;
    }
    url = location(res, url);
  }
  throw new Error('sign-in did not come back to the gateway');
}

/** A gateway with sign-in configured against a provider, plus one API key per role. */
export interface SignInWorld {
  readonly url: string;
  readonly graphqlUrl: string;
  readonly app: App;
  readonly config: GatewayConfig;
  readonly provider: TestProvider;
  readonly tokens: Readonly<Record<Role, string>>;
  close(): Promise<void>;
}

/**
 * Starts a gateway (bundled sources, no Redis unless given) whose `access.oidc` points at a fresh test
 * provider; `oidc` overrides the oidc settings, `deps` the app's. With `sameAs`, another instance of that
 * world's gateway: its provider and config (so its public origin and callback are the first instance's,
 * as behind one load balancer), its own port, keys and process. `access` adds to the access section.
 */
export async function startSignInWorld(
  oidc: Record<string, unknown> = {},
  deps: AppDeps = {},
  sameAs?: SignInWorld,
  access: Record<string, unknown> = {},
): Promise<SignInWorld> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const redirectUri = `${url}/auth/callback`;
  const provider = sameAs?.provider ?? (await startProvider(redirectUri));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-oidc-'));
  const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
  const tokens = Object.fromEntries(
    ROLES.map((role) => [role, keys.create(role, `test ${role}`).token]),
  ) as Record<Role, string>;
  const env = { [OIDC_CLIENT_SECRET_ENV]: CLIENT_SECRET };
  const config =
    sameAs?.config ??
    buildConfig(
      {
        includeBundled: true,
        access: {
          ...access,
          oidc: {
            issuer: provider.issuer,
            clientId: CLIENT_ID,
            redirectUri,
            scopes: ['openid', 'whereabouts'],
            roleClaim: 'wa_groups',
            roleMap: ROLE_MAP,
            ...oidc,
          },
        },
      },
      { baseDir: dir, origin: 'test', env },
    );
  const archive = new SqliteArchive(':memory:');
  const app = await createApp(config, {
    logger: createLogger({ LOG_LEVEL: 'silent' }),
    httpServer: server,
    redis: null,
    archive,
    apiKeys: keys,
    env,
    ...deps,
  });
  server.on('request', app.handler);
  return {
    url,
    graphqlUrl: `${url}/graphql`,
    app,
    config,
    provider,
    tokens,
    close: async () => {
      await app.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!sameAs) await provider.close();
      await archive.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
