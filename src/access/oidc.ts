import type * as client from 'openid-client';
import type { OidcConfig } from '../config/schema';
import { isLoopbackUrl } from '../config/schema';
import type { Role } from './caller';
import type { PendingSignIn } from './session-store';

/**
 * The OpenID Connect relying party, through openid-client: the authorization code flow with PKCE (S256),
 * `state` and `nonce`, the client authenticated with its secret (client_secret_basic). The provider's
 * metadata is discovered at the first sign-in, not at start (a provider that is down does not stop the
 * gateway), and discovered again after a failure. Only the ID token's claims are read, only for the role;
 * tokens are not kept.
 */

/**
 * openid-client (and jose under it), loaded at the first sign-in: a gateway without `access.oidc`, or whose
 * users never sign in, does not carry it (about 0.7 MB of heap, measured alone on Node 26).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy loading, on purpose
const openid = (): typeof import('openid-client') => require('openid-client');

/** How a sign-in failed, for the callback's answer. */
export class SignInError extends Error {
  override readonly name = 'SignInError';
  constructor(
    /** `failed`: the answer was wrong or refused (400); `unavailable`: the provider did not answer (503). */
    readonly kind: 'failed' | 'unavailable',
    /** For the log only: never shown (it may hold the provider's own words). */
    readonly detail: string,
  ) {
    super(`sign-in ${kind}: ${detail}`);
  }
}

/** Seconds the provider has to answer each request (discovery, token, JWKS). */
const PROVIDER_TIMEOUT_SECONDS = 10;
/** After a failed discovery, how long sign-in answers "unavailable" before discovering again. */
const REDISCOVER_AFTER_MS = 5000;

/** What a sign-in begins with: where to send the browser, and what to keep for the callback. */
export interface BegunSignIn {
  readonly url: URL;
  readonly pending: PendingSignIn;
}

/** The relying party of `access.oidc`. */
export class OidcClient {
  private configuration: Promise<client.Configuration> | null = null;
  private failedAt = -Infinity;

  constructor(
    private readonly config: OidcConfig,
    private readonly clientSecret: string,
  ) {}

  /** The provider's configuration: discovered once, again after a failure (at most every 5 s). */
  private discover(): Promise<client.Configuration> {
    if (this.configuration) return this.configuration;
    if (performance.now() - this.failedAt < REDISCOVER_AFTER_MS)
      return Promise.reject(new SignInError('unavailable', 'discovery failed moments ago'));
    const issuer = new URL(this.config.issuer);
    const oidc = openid();
    const found = oidc
      .discovery(
        issuer,
        this.config.clientId,
        { client_secret: this.clientSecret },
        oidc.ClientSecretBasic(this.clientSecret),
        {
          timeout: PROVIDER_TIMEOUT_SECONDS,
          // Plain http only for a provider on this machine (the config refuses it elsewhere).
          ...(issuer.protocol === 'http:' && isLoopbackUrl(issuer)
            ? { execute: [oidc.allowInsecureRequests] }
            : {}),
        },
      )
      .catch((error: unknown) => {
        this.configuration = null;
        this.failedAt = performance.now();
        throw new SignInError('unavailable', `discovery of ${issuer.href} failed: ${describe(error)}`);
      });
    this.configuration = found;
    return found;
  }

  /** Begins a sign-in: the provider's authorization URL, and the state, nonce and verifier to keep. */
  async begin(returnTo: string): Promise<BegunSignIn> {
    const configuration = await this.discover();
    const oidc = openid();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const pending: PendingSignIn = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier,
      returnTo,
    };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.config.redirectUri,
      scope: this.config.scopes.join(' '),
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url, pending };
  }

  /**
   * Completes a sign-in from the provider's answer (the query string of the callback): checks `state`,
   * exchanges the code with the PKCE verifier (a code used before is refused by the provider), checks the
   * ID token (signature, issuer, audience, expiry, `nonce`) and returns its claims. Throws `SignInError`.
   */
  async complete(search: string, pending: PendingSignIn): Promise<Readonly<Record<string, unknown>>> {
    const configuration = await this.discover();
    const params = new URLSearchParams(search);
    if (params.get('state') !== pending.state)
      throw new SignInError('failed', 'the state parameter does not match the sign-in begun in this browser');
    const error = params.get('error');
    if (error !== null) throw new SignInError('failed', `the provider answered error ${error.slice(0, 64)}`);
    const callbackUrl = new URL(this.config.redirectUri);
    callbackUrl.search = search;
    try {
      const tokens = await openid().authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new SignInError('failed', 'the provider sent no ID token');
      return claims as Readonly<Record<string, unknown>>;
    } catch (caught) {
      if (caught instanceof SignInError) throw caught;
      throw new SignInError(unanswered(caught) ? 'unavailable' : 'failed', describe(caught));
    }
  }

  /**
   * The role an ID token's claims give: the first `roleMap` entry whose value the claim holds (a string,
   * or an array of strings such as groups or app roles); null when it holds none.
   */
  roleOf(claims: Readonly<Record<string, unknown>>): Role | null {
    return roleFromClaim(claimAt(claims, this.config.roleClaim), this.config.roleMap);
  }
}

/** The value at a dotted claim path (`realm_access.roles`), or the claim of that exact name. */
export function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (path in claims) return claims[path];
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The first role of `roleMap` (in its order) whose claim value `claim` is or holds. */
export function roleFromClaim(claim: unknown, roleMap: Readonly<Record<string, Role>>): Role | null {
  const held = new Set(
    (Array.isArray(claim) ? claim : [claim]).filter((v): v is string => typeof v === 'string'),
  );
  for (const [value, role] of Object.entries(roleMap)) if (held.has(value)) return role;
  return null;
}

/** Whether an error means the provider did not answer (network, timeout, 5xx), not that it refused. */
function unanswered(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return true;
  if (error instanceof TypeError && error.message === 'fetch failed') return true;
  const status = (error.cause as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 500;
}

/** An error in a line for the log (with its code when openid-client gives one). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const oauthError = (error as { error?: unknown }).error;
  return [
    error.name,
    typeof code === 'string' ? code : null,
    typeof oauthError === 'string' ? oauthError : null,
  ]
    .filter(Boolean)
    .concat(error.message)
    .join(': ');
}
