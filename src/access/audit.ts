import { createHash } from 'node:crypto';
import type { Logger } from '../logger';
import type { Caller } from './caller';

/** What the audit log records of one request; filled in as the request goes through the layers. */
export interface AuditRecord {
  caller: Caller | null;
  /** Operation name, or the approved operation's name when run by document id. */
  operation: string | null;
  /** A hash of the variables: shows repeats without storing what was asked. */
  variablesHash: string | null;
}

/** A short, stable hash of request variables (never the variables themselves). */
export function hashVariables(variables: unknown): string | null {
  if (variables === undefined || variables === null) return null;
  return createHash('sha256').update(JSON.stringify(variables)).digest('hex').slice(0, 16);
}

/** The audit record of the current request on an express route (set by `ExchangeLog.middleware`). */
export function auditOf(res: { locals: Record<string, unknown> }): AuditRecord {
  return res.locals.audit as AuditRecord;
}

/** Most bound loggers kept per API-key caller (see `AuditLog`); a poller needs one per URL it polls. */
const BOUND_PER_CALLER = 8;

/** What an audit line says of the request itself. */
export interface AuditedRequest {
  /** The HTTP request id; for graphql-ws, the connection's id with the subscription's. */
  readonly requestId: string | null;
  /** The HTTP method; `SUBSCRIBE` for a graphql-ws subscription. */
  readonly method: string | undefined;
  readonly path: string;
  /** How the request came: over HTTP, or as a graphql-ws message. */
  readonly transport: 'http' | 'ws';
}

/** The fields of an audit line that repeat from one request of a poller to the next. */
interface RepeatingFields {
  readonly method: string | undefined;
  readonly path: string;
  readonly keyId: string | null;
  /** How the caller was identified (`Caller.via`): `api-key`, `jwt`, `session`...; null without credentials. */
  readonly via: Caller['via'] | null;
  readonly role: string;
  readonly operation: string | null;
  readonly variablesHash: string | null;
  readonly transport: 'http' | 'ws';
}

interface Bound {
  readonly fields: RepeatingFields;
  readonly logger: Logger;
}

/** Whether two requests of one caller share their repeating fields (key and role are the caller's own). */
function sameRequest(a: RepeatingFields, b: RepeatingFields): boolean {
  return (
    a.path === b.path &&
    a.operation === b.operation &&
    a.variablesHash === b.variablesHash &&
    a.method === b.method &&
    a.transport === b.transport
  );
}

/**
 * Writes the audit line of each finished request, with the same fields over HTTP (`ExchangeLog`, the one
 * way out of an HTTP exchange) and over graphql-ws (`src/live/server.ts`).
 *
 * A poller's lines differ only in request id, status and duration. For an API-key caller (one `Caller`
 * object per key, kept by the key store) the rest is bound once in a pino child logger, kept per caller
 * for its last few distinct requests, so pino serializes those fields once rather than per request
 * (about 4 µs of a warm feed request's 110 µs). Other callers' lines are written whole. Either way a line
 * holds the same fields in the same order.
 */
export class AuditLog {
  private readonly bound = new WeakMap<Caller, Bound[]>();

  constructor(private readonly logger: Logger) {}

  write(request: AuditedRequest, record: AuditRecord, status: number, durationMs: number): void {
    if (!this.logger.isLevelEnabled('info')) return;
    const caller = record.caller;
    const fields: RepeatingFields = {
      method: request.method,
      path: request.path,
      keyId: caller?.keyId ?? null,
      via: caller?.via ?? null,
      role: caller?.role ?? 'anonymous',
      operation: record.operation,
      variablesHash: record.variablesHash,
      transport: request.transport,
    };
    const line = {
      requestId: request.requestId,
      status,
      durationMs: Math.round(durationMs * 10) / 10,
    };
    if (caller?.via !== 'api-key') {
      this.logger.info({ event: 'audit', ...fields, ...line }, 'request');
      return;
    }
    let kept = this.bound.get(caller);
    if (!kept) this.bound.set(caller, (kept = []));
    let found = kept.find((b) => sameRequest(b.fields, fields));
    if (!found) {
      found = { fields, logger: this.logger.child({ event: 'audit', ...fields }) };
      kept.unshift(found);
      if (kept.length > BOUND_PER_CALLER) kept.pop();
    }
    found.logger.info(line, 'request');
  }
}
