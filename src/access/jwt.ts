import { createHash } from 'node:crypto';
import type { JWTVerifyGetKey } from 'jose';
import type { JwtConfig } from '../config/schema';
import type { Caller, Role } from './caller';
import { ROLES } from './caller';

/**
 * jose, loaded when a verifier is made (only with `access.jwt` configured): a gateway of API keys alone does
 * not carry it (about 0.7 MB of heap, measured alone on Node 26).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy loading, on purpose
const jose = (): typeof import('jose') => require('jose');

/** A bearer token shaped like a JWT (three base64url parts), as opposed to an API key (`wa_...`). */
export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
}

/**
 * Verifies JWTs against the configured JWKS (keys fetched and cached by jose), checking signature, expiry
 * and, when configured, issuer and audience; the role comes from `roleClaim`, through `roleMap`. The
 * caller's id is a hash of issuer and subject, so the audit log holds no identity of a person.
 * Returns null for any token that does not verify (the HTTP layer answers one 401).
 */
export function createJwtVerifier(
  config: JwtConfig,
  keys: JWTVerifyGetKey = jose().createRemoteJWKSet(new URL(config.jwksUrl)),
) {
  const { jwtVerify } = jose();
  return async (token: string): Promise<Caller | null> => {
    try {
      const { payload } = await jwtVerify(token, keys, { issuer: config.issuer, audience: config.audience });
      const claim = payload[config.roleClaim];
      const named = typeof claim === 'string' ? (config.roleMap[claim] ?? claim) : undefined;
      if (!named || !(ROLES as readonly string[]).includes(named)) return null;
      const subject = `${payload.iss ?? ''}\u0000${payload.sub ?? ''}`;
      return {
        keyId: `jwt:${createHash('sha256').update(subject).digest('hex').slice(0, 12)}`,
        role: named as Role,
        via: 'jwt',
      };
    } catch {
      return null;
    }
  };
}
