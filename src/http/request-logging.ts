import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { AuditRecord } from '../access/audit';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Tracer } from '../tracing';
import { SpanKind, SpanStatusCode } from '../tracing';

/** The request id header: accepted from the caller when well formed, else generated; always echoed. */
export const REQUEST_ID_HEADER = 'x-request-id';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The caller's `x-request-id` if it is at most 64 of [A-Za-z0-9._-], else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Routes as labelled in metrics and spans: the first path segment if it is one of the gateway's, else `other`. */
const ROUTES = new Set(['graphql', 'metrics', 'healthz', 'readyz', 'feeds', 'hooks', 'dashboard']);

export function routeLabel(path: string): string {
  const first = path.split('/')[1] ?? '';
  return ROUTES.has(first) ? `/${first}` : 'other';
}

/** Most distinct non-approved operation names one process labels before it says `other`. */
const MAX_OTHER_OPERATIONS = 50;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The `operation` label, with bounded cardinality: an approved operation's name as it is; `none` when no
 * operation was run (not GraphQL, or refused before parsing); `anonymous` for an unnamed operation; any
 * other GraphQL operation name (a client's choice) truncated to 40 characters, for the first 50 distinct
 * names a process sees, then `other`.
 */
export function operationLabeller(approvedNames: Iterable<string>): (operation: string | null) => string {
  const approved = new Set(approvedNames);
  const seen = new Set<string>();
  return (operation) => {
    if (operation === null) return 'none';
    if (approved.has(operation)) return operation;
    if (operation === '(anonymous)') return 'anonymous';
    if (!OPERATION_NAME.test(operation)) return 'other';
    const name = operation.slice(0, 40);
    if (seen.has(name)) return name;
    if (seen.size >= MAX_OTHER_OPERATIONS) return 'other';
    seen.add(name);
    return name;
  };
}

export interface RequestObservabilityOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  /** Names of the approved operations (labelled as they are). */
  readonly approvedOperations: Iterable<string>;
}

/**
 * Per request, before anything else: a request id (`x-request-id`, echoed; `res.locals.requestId`; bound
 * to `req.log` by pino-http, which logs nothing itself: the audit event is the request's log line), a
 * server span, and on finish the `whereabouts_http_request_duration_seconds` observation labelled with
 * the route, the operation and role from the audit record, and the status. Never logs headers or bodies.
 */
export function requestObservability(options: RequestObservabilityOptions): RequestHandler[] {
  const { metrics, tracer } = options;
  const operationLabel = operationLabeller(options.approvedOperations);
  const logging = pinoHttp<IncomingMessage, ServerResponse>({
    logger: options.logger,
    autoLogging: false,
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    genReqId: (req, res) => {
      const id = requestIdOf(req.headers[REQUEST_ID_HEADER]);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
  });
  const observe: RequestHandler = (req, res, next) => {
    const requestId = String(req.id);
    res.locals.requestId = requestId;
    const route = routeLabel(req.path);
    const started = performance.now();
    const span = tracer.startSpan(`${req.method} ${route}`, {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': req.method,
        'http.route': route,
        'whereabouts.request_id': requestId,
      },
    });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const audit = res.locals.audit as AuditRecord | undefined;
      const operation = operationLabel(audit?.operation ?? null);
      const role = audit?.caller?.role ?? 'anonymous';
      const status = res.writableFinished ? res.statusCode : 499;
      metrics.httpRequestDuration.observe(
        { route, operation, role, status: String(status) },
        (performance.now() - started) / 1000,
      );
      span.setAttributes({
        'http.response.status_code': status,
        'whereabouts.operation': operation,
        'whereabouts.role': role,
      });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  };
  return [logging as unknown as RequestHandler, observe];
}
