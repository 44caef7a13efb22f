import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
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

/** The audit record of the current request (created by `auditLog`). */
export function auditOf(res: { locals: Record<string, unknown> }): AuditRecord {
  return res.locals.audit as AuditRecord;
}

/** Writes the audit line of one finished request (the full path's `auditLog` and the hot path share it). */
export function logAudit(
  logger: Logger,
  request: { requestId: string | null; method: string | undefined; path: string },
  record: AuditRecord,
  status: number,
  durationMs: number,
  lane: 'full' | 'fast',
): void {
  logger.info(
    {
      event: 'audit',
      requestId: request.requestId,
      method: request.method,
      path: request.path,
      keyId: record.caller?.keyId ?? null,
      role: record.caller?.role ?? 'anonymous',
      operation: record.operation,
      variablesHash: record.variablesHash,
      status,
      durationMs: Math.round(durationMs * 10) / 10,
      lane,
    },
    'request',
  );
}

/**
 * One structured audit event per request, when the response finishes: request id, key id, role,
 * operation name or id, a hash of the variables, status, duration and lane (`full` here; `fast` when
 * the hot path in `src/http/fast-lane.ts` answered). No secrets (the Authorization
 * header is never read here) and no personal data (there is none to record).
 */
export function auditLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const record: AuditRecord = { caller: null, operation: null, variablesHash: null };
    res.locals.audit = record;
    res.on('finish', () => {
      logAudit(
        logger,
        {
          requestId: (res.locals.requestId as string | undefined) ?? null,
          method: req.method,
          path: req.path,
        },
        record,
        res.statusCode,
        performance.now() - started,
        'full',
      );
    });
    next();
  };
}
