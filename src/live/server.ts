import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ExecutionArgs, GraphQLSchema, ValidationRule } from 'graphql';
import { GraphQLError, getOperationAST, getVariableValues, parse, specifiedRules, validate } from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { exceedsJsonDepth, jsonTooDeepMessage } from '../http/json-guard';
import type { ApprovedOperations } from '../access/approved-operations';
import type { AuditLog } from '../access/audit';
import { hashVariables } from '../access/audit';
import type { Caller } from '../access/caller';
import { CSRF_HEADER } from '../access/sessions';
import type { AccessGate, Refusal } from '../access/policy';
import { authorise } from '../access/policy';
import type { ErrorCode } from '../errors';
import { WhereaboutsError, httpStatusOf } from '../errors';
import { createRequestContext } from '../graphql/context';
import { createFormatError } from '../graphql/format-error';
import type { LiveContext } from '../graphql/live/figures-changed.resolver';
import type { Logger } from '../logger';
import type { FigureService } from '../store/figure-service';
import { LiveChanges } from './changes';

/** Defaults of the graphql-ws endpoint. */
export const LIVE_DEFAULTS = {
  /** @default '/graphql': the same path as HTTP; WebSocket upgrades there speak graphql-transport-ws. */
  path: '/graphql',
  /** @default 20: operations one connection may have open at once. */
  maxOperationsPerConnection: 20,
  /**
   * @default 2000: how often an open connection's credentials are checked again, so a revoked key (or an
   * expired JWT) loses its subscriptions within seconds, as it loses HTTP access within one.
   */
  reauthIntervalMs: 2000,
  /** @default 12000: WebSocket ping interval; a peer that does not answer within it is dropped. */
  keepAliveMs: 12_000,
  /** @default 3000: time to send ConnectionInit before the socket is closed with 4408. */
  connectionInitWaitMs: 3000,
  /** @default 1000: on stop, how long sockets get to close cleanly (1001) before they are terminated. */
  drainMs: 1000,
} as const;

/** Close code for a rate-limited connection: 1013 Try Again Later (graphql-ws clients retry it, backing off). */
export const CLOSE_TRY_AGAIN_LATER = 1013;

/** What the graphql-ws endpoint needs from the app. */
export interface LiveServerDeps {
  readonly httpServer: Server;
  readonly service: FigureService;
  readonly schema: GraphQLSchema;
  /** Admission (credentials and rate limits), as for every transport. */
  readonly gate: AccessGate;
  readonly approved: ApprovedOperations;
  readonly disclosureK: number;
  readonly logger: Logger;
  /** The audit log, shared with HTTP (`AuditLog`): one line per connection attempt and per subscription. */
  readonly audit: AuditLog;
  /** Extra validation rules (graphql-armor's limits), as over HTTP. */
  readonly validationRules?: readonly ValidationRule[];
  /** Parser token limit, as over HTTP. */
  readonly maxTokens: number;
  /** Largest message accepted, as the HTTP body limit. */
  readonly maxPayloadBytes: number;
  readonly options?: Partial<{ -readonly [K in keyof typeof LIVE_DEFAULTS]: (typeof LIVE_DEFAULTS)[K] }>;
}

/** The mounted endpoint. */
export interface LiveServer {
  /** This app's change feed (what `figuresChanged` subscribes to). */
  readonly changes: LiveChanges;
  /** Open WebSocket connections. */
  connections(): number;
  /** Refuses new upgrades, closes every socket (1001), terminates stragglers, ends every subscription. */
  dispose(): Promise<void>;
}

/** What each connection carries between graphql-ws callbacks. */
interface Extra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  caller?: Caller;
  reauth?: NodeJS.Timeout;
}

type LiveContextOf = Context<Record<string, unknown>, Extra>;

/** The document id of a text: hex SHA-256, as in the trusted-documents manifest. */
export function documentSha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The headers a caller is resolved from: the upgrade request's, with `connectionParams.authorization`
 * first, and a signed-in page's CSRF token from `connectionParams.csrfToken` (a browser's WebSocket cannot
 * send headers; the session cookie comes with the upgrade request).
 */
function credentialsOf(ctx: LiveContextOf): IncomingHttpHeaders {
  const params = ctx.connectionParams ?? {};
  const given = params.authorization ?? params.Authorization;
  const authorization = typeof given === 'string' ? given : ctx.extra.request.headers.authorization;
  const headers: IncomingHttpHeaders = { ...ctx.extra.request.headers, authorization };
  if (typeof params.csrfToken === 'string') headers[CSRF_HEADER] = params.csrfToken;
  return headers;
}

/**
 * How a refused connection is closed: 1013 Try Again Later over the limit (graphql-ws clients retry it,
 * backing off), 4403 Forbidden for a session refused for CSRF, else 4401 Unauthorized (the one answer
 * for every bad credential).
 */
function closeFor(refusal: Refusal): { code: number; reason: string } {
  if (refusal.code === 'RATE_LIMITED')
    return {
      code: CLOSE_TRY_AGAIN_LATER,
      reason: `Too many requests; retry after ${refusal.retryAfterSeconds} s`,
    };
  // A session cookie without its CSRF token (connectionParams.csrfToken) or from another origin.
  if (refusal.code === 'CSRF_REJECTED')
    return { code: CloseCode.Forbidden, reason: 'Forbidden: CSRF_REJECTED' };
  return { code: CloseCode.Unauthorized, reason: 'Unauthorized' };
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * `figuresChanged` over graphql-ws (graphql-transport-ws) on the app's HTTP server, at `/graphql`.
 *
 * - Admission at connection time, by the access policy as over HTTP (`AccessGate.admit`):
 *   `connectionParams.authorization` (`Bearer <key>`; the upgrade request's Authorization header as a
 *   fallback). No valid credentials: closed with 4401 Unauthorized. Over the rate limit: closed with 1013
 *   Try Again Later. Credentials are checked again every `reauthIntervalMs` (revocation, JWT expiry: 4401).
 * - Per operation: counted against the limit again, then authorised by the policy (`authorise`): the
 *   text is either exactly an approved document (its SHA-256 is a manifest id) or the caller's own, and
 *   the policy says who may run which; parsed and validated with the HTTP limits; subscriptions only
 *   (queries and mutations go over HTTP, where the HTTP layers apply). Errors are formatted (masked) as
 *   over HTTP. One audit line each.
 * - The glue to `ws` is graphql-ws' `makeServer` (as `useServer` does; its `graphql-ws/use/ws` subpath
 *   cannot be resolved under this project's `moduleResolution: node`), with logging through pino.
 */
export function mountLiveServer(deps: LiveServerDeps): LiveServer {
  const options = { ...LIVE_DEFAULTS, ...deps.options };
  const { logger, schema, service, approved, gate } = deps;
  const changes = new LiveChanges(service, { logger });
  const formatError = createFormatError((error) =>
    logger.error({ err: error }, 'masked internal error (graphql-ws)'),
  );
  const rules = [...specifiedRules, ...(deps.validationRules ?? [])];

  /** One audit line per connection attempt and per subscription, with the same fields as over HTTP. */
  const audit = (
    caller: Caller | null,
    operation: string | null,
    variables: unknown,
    status: number,
    started: number,
  ) =>
    deps.audit.write(
      { requestId: null, method: 'SUBSCRIBE', path: options.path, transport: 'ws' },
      { caller, operation, variablesHash: hashVariables(variables) },
      status,
      performance.now() - started,
    );

  const server = makeServer<Record<string, unknown>, Extra>({
    schema,
    connectionInitWaitTimeout: options.connectionInitWaitMs,

    async onConnect(ctx) {
      const started = performance.now();
      const { socket, request } = ctx.extra;
      const headers = credentialsOf(ctx);
      const admission = await gate.admit(headers, request.socket.remoteAddress);
      if (!admission.ok) {
        audit(admission.caller, null, undefined, httpStatusOf(admission.refusal.code), started);
        const close = closeFor(admission.refusal);
        socket.close(close.code, close.reason);
        return false;
      }
      const caller = admission.caller;
      ctx.extra.caller = caller;
      ctx.extra.reauth = setInterval(() => {
        void gate.stillAdmitted(headers, caller).then((admitted) => {
          if (!admitted) socket.close(CloseCode.Unauthorized, 'Unauthorized');
        });
      }, options.reauthIntervalMs);
      ctx.extra.reauth.unref();
      return true;
    },

    async onSubscribe(ctx, _id, payload: SubscribePayload) {
      const started = performance.now();
      const caller = ctx.extra.caller!; // set in onConnect; graphql-ws refuses Subscribe before the ack
      let operationName: string | null = null;
      const refuse = (code: ErrorCode, message: string) => {
        audit(caller, operationName, payload.variables, httpStatusOf(code), started);
        return [new WhereaboutsError(code, message)];
      };
      if (Object.keys(ctx.subscriptions).length > options.maxOperationsPerConnection) {
        return refuse(
          'BAD_REQUEST',
          `at most ${options.maxOperationsPerConnection} operations may be open on one connection`,
        );
      }
      const counted = await gate.count(caller, ctx.extra.request.socket.remoteAddress);
      if (!counted.ok) return refuse(counted.refusal.code, counted.refusal.message);
      // graphql-ws sends the document's text: an approved operation is its manifest text exactly.
      const op = approved.bySha256(documentSha256(payload.query)) ?? null;
      const verdict = authorise(caller, { kind: 'subscription', op });
      if (!verdict.ok) return refuse(verdict.refusal.code, verdict.refusal.message);
      if (op) operationName = op.name;
      let document;
      try {
        document = parse(payload.query, { maxTokens: deps.maxTokens });
      } catch (error) {
        return refuse('GRAPHQL_PARSE_FAILED', (error as Error).message);
      }
      const invalid = validate(schema, document, rules);
      if (invalid.length > 0) {
        audit(caller, operationName, payload.variables, httpStatusOf('GRAPHQL_VALIDATION_FAILED'), started);
        return invalid.map(
          (error) =>
            new GraphQLError(error.message, {
              nodes: error.nodes,
              originalError: error,
              extensions: { ...error.extensions, code: error.extensions.code ?? 'GRAPHQL_VALIDATION_FAILED' },
            }),
        );
      }
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) {
        return refuse(
          'OPERATION_RESOLUTION_FAILURE',
          'name the operation to run (operationName) when the document has several',
        );
      }
      operationName ??= operation.name?.value ?? '(anonymous)';
      if (operation.operation !== 'subscription') {
        return refuse(
          'BAD_REQUEST',
          'only subscriptions are served over graphql-ws; send queries and mutations over HTTP to /graphql',
        );
      }
      // Variables are coerced here so that their errors are BAD_USER_INPUT, as over HTTP.
      const coerced = getVariableValues(
        schema,
        operation.variableDefinitions ?? [],
        payload.variables ?? {},
        {
          maxErrors: 20,
        },
      );
      if (coerced.errors) {
        audit(caller, operationName, payload.variables, httpStatusOf('BAD_USER_INPUT'), started);
        return coerced.errors.map(
          (error) =>
            new GraphQLError(error.message, {
              nodes: error.nodes,
              originalError: error,
              extensions: { code: 'BAD_USER_INPUT' },
            }),
        );
      }
      audit(caller, operationName, payload.variables, 200, started);
      const contextValue: LiveContext = {
        ...createRequestContext(service, caller, { disclosureK: deps.disclosureK }),
        live: changes,
      };
      const args: ExecutionArgs = {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue,
      };
      return args;
    },

    onNext: (_ctx, _id, _payload, _args, result) =>
      result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : undefined,

    onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)),

    onClose(ctx) {
      clearInterval(ctx.extra.reauth);
    },
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: deps.maxPayloadBytes,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.once('error', (error) => {
      logger.warn({ err: error.message }, 'graphql-ws: socket error');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    // Keep-alive: a peer that does not answer a ping before the next one is dropped.
    let alive = true;
    socket.on('pong', () => (alive = true));
    const ping = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, options.keepAliveMs);
    ping.unref();
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            const text = String(data);
            // The one JSON depth guard (json-guard.ts), before graphql-ws parses the message.
            if (exceedsJsonDepth(text)) {
              socket.close(CloseCode.BadRequest, jsonTooDeepMessage('the message').slice(0, 120));
              return;
            }
            try {
              await handle(text);
            } catch (error) {
              // A socket that went away mid-send, or an internal error: never its message to the client.
              if (socket.readyState === socket.OPEN) {
                logger.error({ err: error }, 'graphql-ws: internal error');
                socket.close(CloseCode.InternalServerError, 'Internal server error');
              }
            }
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      clearInterval(ping);
      void closed(code, String(reason));
    });
  });

  let stopping = false;
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = (request.url ?? '').split('?')[0];
    if (pathname !== options.path) {
      // Another part of the app may serve upgrades elsewhere; if none does, say so.
      if (deps.httpServer.listenerCount('upgrade') === 1) rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (stopping) return rejectUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  deps.httpServer.on('upgrade', onUpgrade);

  let disposing: Promise<void> | null = null;
  return {
    changes,
    connections: () => wss.clients.size,
    dispose: () =>
      (disposing ??= (async () => {
        stopping = true;
        deps.httpServer.off('upgrade', onUpgrade);
        for (const socket of wss.clients) socket.close(1001, 'Going away');
        const terminate = setTimeout(() => {
          for (const socket of wss.clients) socket.terminate();
        }, options.drainMs);
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        clearTimeout(terminate);
        changes.close();
      })()),
  };
}
