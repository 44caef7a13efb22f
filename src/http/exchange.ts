import type { IncomingMessage, OutgoingHttpHeader, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { AuditLog, AuditRecord } from '../access/audit';
import type { Refusal } from '../access/policy';
import type { ErrorCode } from '../errors';
import { httpStatusOf } from '../errors';
import type { Metrics } from '../metrics';
import type { Tracer } from '../tracing';
import { SpanKind, SpanStatusCode } from '../tracing';
import { errorBody } from './errors';
import { REQUEST_ID_HEADER, operationLabeller, requestIdOf, routeLabel } from './request-labels';

/** Header name/value pairs in one flat list, as node's `writeHead` takes them; shared, never changed. */
export type HeaderList = readonly OutgoingHttpHeader[];

/** The headers of every error the gateway writes itself (`errorBody`). */
export const ERROR_HEADERS: HeaderList = Object.freeze(['content-type', 'application/json; charset=utf-8']);

/** One HTTP request and its answer, from its arrival to its audit line. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The caller's `x-request-id` when well formed, else a new one; echoed on the answer. */
  readonly requestId: string;
  /** `performance.now()` at arrival. */
  readonly started: number;
  /** The route as metrics and spans label it (`/graphql`, `/feeds`, ... or `other`). */
  readonly route: string;
  /** The path, without the query string, as the audit line gives it. */
  readonly path: string;
  /** Filled in as the request is admitted and authorised: who, what and with which variables. */
  readonly audit: AuditRecord;
}

/** What every exchange is recorded with. */
export interface ExchangeLogDeps {
  readonly metrics: Metrics;
  /** The tracer when tracing is on; null when off (then no span objects are made per request). */
  readonly tracer: Tracer | null;
  readonly audit: AuditLog;
  /** Names of the approved operations (labelled as they are in metrics). */
  readonly approvedOperations: Iterable<string>;
  /** Logs an error that failed an exchange (masked to the client), with the request id. */
  logError(error: unknown, requestId: string): void;
}

/**
 * The one way out of an HTTP exchange: every answer, whichever code wrote it, is recorded here once and in
 * the same way: the `whereabouts_http_request_duration_seconds` observation (route, operation, role,
 * status), a server span when tracing is on, and the audit line (`AuditLog`). Errors the gateway writes
 * itself are rendered here too, from the error registry (`refuse`).
 */
export class ExchangeLog {
  private readonly operationLabel: (operation: string | null) => string;

  constructor(private readonly deps: ExchangeLogDeps) {
    this.operationLabel = operationLabeller(deps.approvedOperations);
  }

  /**
   * An exchange for a request that has just arrived. `route` is its label when the caller knows it (a
   * route's own handler); else it is worked out from the path (`routeLabel`), which costs a split per
   * request.
   */
  begin(req: IncomingMessage, res: ServerResponse, path: string, route: string = routeLabel(path)): Exchange {
    return {
      req,
      res,
      requestId: requestIdOf(req.headers[REQUEST_ID_HEADER]),
      started: performance.now(),
      route,
      path,
      audit: { caller: null, operation: null, variablesHash: null },
    };
  }

  /**
   * Writes the answer (its own headers, then the request id and, with a body, its length) and records it.
   * Headers set on the response before (CORS) are kept: node merges them with these.
   */
  respond(ex: Exchange, status: number, headers: HeaderList, body: Buffer | string | null): void {
    ex.res.writeHead(
      status,
      body === null
        ? [...headers, REQUEST_ID_HEADER, ex.requestId]
        : [...headers, REQUEST_ID_HEADER, ex.requestId, 'content-length', Buffer.byteLength(body)],
    );
    ex.res.end(body ?? undefined);
    this.record(ex, status);
  }

  /** Answers with an error of the registry: its status, the GraphQL error shape, and any extra headers. */
  refuse(ex: Exchange, code: ErrorCode, message: string, headers?: Readonly<Record<string, string>>): void {
    const extra = headers ? Object.entries(headers).flat() : [];
    this.respond(ex, httpStatusOf(code), [...ERROR_HEADERS, ...extra], errorBody(code, message));
  }

  /**
   * An exchange that failed inside the gateway: the error is logged with the request id, and the client
   * gets the registry's masked 500 (or, when the answer had begun, the connection is ended).
   */
  failed(ex: Exchange, error: unknown): void {
    this.deps.logError(error, ex.requestId);
    if (!ex.res.headersSent) return this.refuse(ex, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    ex.res.destroy();
    this.record(ex, 500);
  }

  /** Answers with an access refusal (`AccessGate.admit`, `authorise`). */
  refuseAccess(ex: Exchange, refusal: Refusal): void {
    this.refuse(ex, refusal.code, refusal.message, refusal.headers);
  }

  /** Records an answered exchange: metrics, span, audit line. `status` 499: the client went away first. */
  record(ex: Exchange, status: number): void {
    const durationMs = performance.now() - ex.started;
    const operation = this.operationLabel(ex.audit.operation);
    const role = ex.audit.caller?.role ?? 'anonymous';
    const method = ex.req.method ?? 'GET';
    this.deps.metrics.httpRequestDuration.observe(
      { route: ex.route, operation, role, status: String(status) },
      durationMs / 1000,
    );
    const span = this.deps.tracer?.startSpan(`${method} ${ex.route}`, {
      kind: SpanKind.SERVER,
      startTime: Date.now() - durationMs,
      attributes: {
        'http.request.method': method,
        'http.route': ex.route,
        'whereabouts.request_id': ex.requestId,
        'http.response.status_code': status,
        'whereabouts.operation': operation,
        'whereabouts.role': role,
      },
    });
    if (span) {
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    this.deps.audit.write(
      { requestId: ex.requestId, method, path: ex.path, transport: 'http' },
      ex.audit,
      status,
      durationMs,
    );
  }

  /**
   * For the routes express serves (health, metrics, webhooks, dashboard, 404s): begins the exchange (the
   * request id is echoed; `res.locals.exchange`, `.requestId` and `.audit` are set for the handlers) and
   * records it when the response finishes, or as 499 when the client goes away first.
   */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const ex = this.begin(req, res, req.path);
      res.setHeader(REQUEST_ID_HEADER, ex.requestId);
      res.locals.exchange = ex;
      res.locals.requestId = ex.requestId;
      res.locals.audit = ex.audit;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        this.record(ex, res.writableFinished ? res.statusCode : 499);
      };
      res.on('finish', finish);
      res.on('close', finish);
      next();
    };
  }
}
