import type { Request, RequestHandler } from 'express';
import type { ApprovedOperations } from '../access/approved-operations';
import { auditOf, hashVariables } from '../access/audit';
import type { Caller } from '../access/caller';
import type { AccessGate, Action } from '../access/policy';
import { OWN_QUERY, UNKNOWN_DOCUMENT, authorise } from '../access/policy';
import { admissionOf } from './admission';
import { sendRefusal } from './refusal';

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

/**
 * First on /graphql and /metrics, before the body is read: admits the caller (`AccessGate.admit`: 401 with
 * one message for every bad credential, 429 with Retry-After; callers without a key are counted per
 * address first) and renders a refusal. The hot path may already have admitted the request and handed
 * the admission on (`admission.ts`): it is used as it is, so a request is counted once.
 */
export function admitRequest(gate: AccessGate): RequestHandler {
  return async (req, res, next) => {
    try {
      const admission = admissionOf(req) ?? (await gate.admit(req.headers, req.socket.remoteAddress));
      auditOf(res).caller = admission.caller;
      if (!admission.ok) return sendRefusal(res, admission.refusal);
      res.locals.caller = admission.caller;
      next();
    } catch (error) {
      next(error);
    }
  };
}

/**
 * After the body is read: what the request asks to run, authorised by the policy (`authorise`). A request
 * naming a document id (and no text) runs that approved operation, or is an unknown document; anything
 * else is the caller's own query text. Checked before Apollo, so a raw text the caller may not send is
 * never parsed or validated at all (no field suggestions).
 */
export function authoriseOperation(approved: ApprovedOperations): RequestHandler {
  return (req, res, next) => {
    const audit = auditOf(res);
    const caller = res.locals.caller as Caller;
    const { hash, hasQuery, variables } = persistedHashOf(req);
    audit.variablesHash = hashVariables(variables);
    const op = hash === null ? undefined : approved.bySha256(hash);
    let action: Action = OWN_QUERY;
    if (hash !== null && !hasQuery) action = op ? { kind: 'approvedOperation', op } : UNKNOWN_DOCUMENT;
    const verdict = authorise(caller, action);
    if (!verdict.ok) return sendRefusal(res, verdict.refusal);
    if (op) audit.operation = op.name;
    next();
  };
}
