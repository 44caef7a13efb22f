import type { JwtConfig } from '../config/schema';
import type { ApiKeyStore } from './api-keys';
import type { CallerResolver } from './caller';
import { createJwtVerifier, looksLikeJwt } from './jwt';

/**
 * How the gateway tells who is calling: the bearer token checked against the API keys file, or, when
 * `access.jwt` is configured, a token shaped like a JWT verified against its JWKS (its claim names the
 * role) and any other token against the keys file. Null for no valid credential (one 401 for all).
 */
export function callerResolver(keys: ApiKeyStore, jwtConfig: JwtConfig | undefined): CallerResolver {
  const jwt = jwtConfig ? createJwtVerifier(jwtConfig) : null;
  if (!jwt) return async (headers) => keys.verify(headers.authorization);
  return async (headers) => {
    const token = /^bearer\s+(\S+)$/i.exec(String(headers.authorization ?? ''))?.[1];
    if (token && looksLikeJwt(token)) return jwt(token);
    return keys.verify(headers.authorization);
  };
}
