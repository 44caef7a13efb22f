/** Roles a key can carry; what each may do is `ACCESS_TABLE` in `src/access/policy.ts`. */
export const ROLES = ['analyst', 'dashboard', 'journalist', 'operator'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling. Every request carries one, resolved before GraphQL runs. */
export interface Caller {
  /** The API key's id (`session:<hash>` for a browser session); null for an anonymous or open-access caller. */
  readonly keyId: string | null;
  readonly role: Role;
  /**
   * How the caller was identified, for the audit log: an API key, a JWT, a browser session from sign-in
   * with OpenID Connect (`keyId` is then `session:` and a hash of the session's id), a public feed read
   * without credentials (`PUBLIC_CALLER`), or a resolver that admits everyone (`openAccess`, tests only).
   */
  readonly via: 'open-access' | 'api-key' | 'jwt' | 'session' | 'public-feed';
}

/**
 * Resolves the caller of a request from its headers; null when the request carries no valid credentials
 * (the HTTP layer answers 401). API keys are the default resolver; JWT can slot in here too.
 */
export type CallerResolver = (
  headers: Readonly<Record<string, string | string[] | undefined>>,
) => Promise<Caller | null>;
