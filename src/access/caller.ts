/** Roles a key can carry (issue: access control). */
export const ROLES = ['analyst', 'dashboard', 'journalist', 'operator'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling. Every request carries one, resolved before GraphQL runs. */
export interface Caller {
  /** The API key's id; null for an anonymous or open-access caller. */
  readonly keyId: string | null;
  readonly role: Role;
  /** How the caller was identified, for the audit log. */
  readonly via: 'open-access' | 'api-key' | 'jwt';
}

/**
 * Resolves the caller of a request from its headers. Until API keys land, the gateway is open:
 * every caller is an analyst. This is the seam where key and JWT authentication slot in.
 */
export type CallerResolver = (
  headers: Readonly<Record<string, string | string[] | undefined>>,
) => Promise<Caller>;

/** The open-access resolver of the embedded default. */
export const openAccess: CallerResolver = async () => ({ keyId: null, role: 'analyst', via: 'open-access' });
