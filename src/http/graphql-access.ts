import type { Request, RequestHandler } from 'express';
import type { ApprovedOperations } from '../access/approved-operations';
import { auditOf, hashVariables } from '../access/audit';
import type { CallerResolver, Role } from '../access/caller';
import type { RateLimits } from '../access/rate-limit';
import { admissionOf } from './admission';
import { sendError } from './errors';

/** Roles that may run approved operations only, by document id. */
export const RESTRICTED_ROLES: ReadonlySet<Role> = new Set(['dashboard', 'journalist']);

/** The one 401 message: the same for no key, a malformed, unknown or revoked key (no oracle). */
export const UNAUTHENTICATED_MESSAGE = 'a valid API key is required: send Authorization: Bearer <key>';

/** The document id a request names (APQ `extensions.persistedQuery.sha256Hash`), from GET or POST. */
function persistedHashOf(req: Request): { hash: string | null; hasQuery: boolean; variables: unknown } {
  if (req.method === 'GET') {
    let extensions: unknown;
    try {
      extensions = typeof req.query.extensions === 'string' ? JSON.parse(req.query.extensions) : undefined;
    } catch {
      extensions = undefined;
    }
    let variables: unknown;
    try {
      variables = typeof req.query.variables === 'string' ? JSON.parse(req.query.variables) : undefined;
    } catch {
      variables = undefined;
    }
    const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } })?.persistedQuery?.sha256Hash;
    return {
      hash: typeof hash === 'string' ? hash : null,
      hasQuery: req.query.query !== undefined,
      variables,
    };
  }
  const body = (req.body ?? {}) as {
    query?: unknown;
    extensions?: { persistedQuery?: { sha256Hash?: unknown } };
    variables?: unknown;
  };
  const hash = body.extensions?.persistedQuery?.sha256Hash;
  return {
    hash: typeof hash === 'string' ? hash : null,
    hasQuery: body.query !== undefined,
    variables: body.variables,
  };
}

/** What the GraphQL access layer needs. */
export interface GraphqlAccessDeps {
  readonly resolveCaller: CallerResolver;
  readonly rateLimits: RateLimits;
  readonly approved: ApprovedOperations;
}

/**
 * First on /graphql, before the body is read: authenticates the caller (401, one message for every
 * failure; anonymous callers are rate limited per IP first, so guessing keys is slow), then rate-limits
 * per key (429 with Retry-After).
 */
export function authenticateAndLimit(
  deps: Pick<GraphqlAccessDeps, 'resolveCaller' | 'rateLimits'>,
): RequestHandler {
  return async (req, res, next) => {
    try {
      // The hot path may already have authenticated and counted this request, then handed it on.
      const admitted = admissionOf(req);
      const caller = admitted ? admitted.caller : await deps.resolveCaller(req.headers);
      if (!caller) {
        const decision = await deps.rateLimits.consume('anonymous', req.ip ?? 'unknown');
        if (!decision.allowed) {
          return sendError(
            res,
            'RATE_LIMITED',
            `too many requests; retry after ${decision.retryAfterSeconds} s`,
            {
              'retry-after': String(decision.retryAfterSeconds),
            },
          );
        }
        return sendError(res, 'UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE, { 'www-authenticate': 'Bearer' });
      }
      auditOf(res).caller = caller;
      res.locals.caller = caller;
      const decision =
        admitted?.decision ??
        (await deps.rateLimits.consume(caller.role, caller.keyId ?? req.ip ?? 'unknown'));
      if (!decision.allowed) {
        return sendError(
          res,
          'RATE_LIMITED',
          `too many requests for this key; retry after ${decision.retryAfterSeconds} s`,
          {
            'retry-after': String(decision.retryAfterSeconds),
          },
        );
      }
      next();
    } catch (error) {
      next(error);
    }
  };
}

/**
 * After the body is read: dashboard and journalist keys run approved operations only, named by document
 * id. A raw query is 403, an unknown id 404, an operation not approved for the role 403. Checked before
 * Apollo, so a restricted caller's raw text is never parsed or validated at all (no field suggestions).
 */
export function restrictToApproved(deps: Pick<GraphqlAccessDeps, 'approved'>): RequestHandler {
  return (req, res, next) => {
    const audit = auditOf(res);
    const caller = audit.caller;
    const { hash, hasQuery, variables } = persistedHashOf(req);
    audit.variablesHash = hashVariables(variables);
    if (caller && RESTRICTED_ROLES.has(caller.role)) {
      if (!hash || hasQuery) {
        return sendError(
          res,
          'FORBIDDEN',
          `${caller.role} keys may run approved operations only, sent by document id (extensions.persistedQuery.sha256Hash)`,
        );
      }
      const op = deps.approved.bySha256(hash);
      if (!op) return sendError(res, 'NOT_FOUND', 'no approved operation has that document id');
      if (!op.roles.includes(caller.role)) {
        return sendError(
          res,
          'FORBIDDEN',
          `the approved operation "${op.name}" is not approved for ${caller.role} keys`,
        );
      }
      audit.operation = op.name;
    } else if (hash) {
      const op = deps.approved.bySha256(hash);
      if (op) audit.operation = op.name;
    }
    next();
  };
}
