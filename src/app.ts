import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import express from 'express';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import cors from 'cors';
import { ApiKeyStore, keysFilePath } from './access/api-keys';
import { ApprovedOperations, loadApprovedOperations } from './access/approved-operations';
import { AuditLog } from './access/audit';
import { createJwtVerifier, looksLikeJwt } from './access/jwt';
import type { AuditRecord } from './access/audit';
import type { Caller, CallerResolver } from './access/caller';
import { AccessGate, METRICS, authorise, disclosureClassOf } from './access/policy';
import { RateLimits } from './access/rate-limit';
import { TrustedDocumentsCache } from './access/trusted-documents-cache';
import { accessPlugin } from './graphql/access.plugin';
import { admitRequest, sendRefusal } from './http/express-access';
import { CSRF_PREFLIGHTED_HEADERS } from './http/csrf';
import type { GatewayConfig } from './config/load';
import type { RequestContext } from './graphql/context';
import { createRequestContext } from './graphql/context';
import { approvedExecutor } from './graphql/approved-executor';
import { OperationCompiler } from './graphql/compiled-operations';
import { ExchangeLog } from './http/exchange';
import { createFeedsRoute } from './http/feeds-route';
import { createGraphqlRoute } from './http/graphql-route';
import { jsonBodyReader } from './http/request-body';
import { ResponseCache } from './http/response-cache';
import { createFormatError, internalErrorLogPlugin } from './graphql/format-error';
import { buildExecutableSchema, buildGatewaySchema } from './graphql/schema';
import { createErrorHandler, notFound } from './http/errors';
import { healthRouter } from './http/health';
import type { Logger } from './logger';
import { createLogger } from './logger';
import { cacheStatusPlugin } from './graphql/cache-status.plugin';
import { webhookRouter } from './http/webhooks';
import { WebhookReplayCheck } from './http/webhook-replay';
import { dashboardRouter } from './http/dashboard/router';
import { Metrics } from './metrics';
import type { Tracing } from './tracing';
import { createTracing } from './tracing';
import { TieredFigureStore } from './store/figure-store';
import type { FigureServiceOptions } from './store/figure-service';
import { FigureService } from './store/figure-service';
import type { RedisTarget } from './store/redis-connection';
import { RedisConnection, redisTargetFromEnv } from './store/redis-connection';
import type { LiveServer } from './live/server';
import { mountLiveServer } from './live/server';

/** Defaults of the HTTP layer. */
export const HTTP_DEFAULTS = {
  /** @default 64 KiB: queries are small; a larger body is an attack or a mistake. */
  bodyLimitBytes: 64 * 1024,
  /** @default 5000: Apollo's parser stops at this many tokens (a parse error, 400). */
  maxTokens: 5000,
  /**
   * @default 7: deepest selection, fragments flattened. The approved operations go to 5; the schema has
   * no cycles, so this only stops the deepest path (coverage -> force -> latest -> breakdowns -> cells).
   */
  maxDepth: 7,
  /** @default 15 */
  maxAliases: 15,
  /** @default 10 */
  maxDirectives: 10,
  /**
   * @default 1000: graphql-armor's cost (objects 2, scalars 1, times 1.5 per level of depth). The largest
   * approved operation (national-latest) costs 219; ten aliased copies of a deep force query cost 2,189.
   */
  maxCost: 1000,
} as const;

/** What the app needs besides its config. */
export interface AppDeps extends FigureServiceOptions {
  readonly logger?: Logger;
  /** Resolves the caller of a request; by default the API keys in WHEREABOUTS_KEYS_FILE. */
  readonly resolveCaller?: CallerResolver;
  /** The API keys (loaded from WHEREABOUTS_KEYS_FILE when neither this nor resolveCaller is given). */
  readonly apiKeys?: ApiKeyStore;
  /** The server the app will be mounted on, so that shutdown drains it. */
  readonly httpServer?: Server;
  /** Redis for L2, locks and pub/sub; by default from env REDIS_URL or REDIS_CLUSTER_NODES, else none. */
  readonly redis?: RedisTarget | null;
  /** Tracing; by default from env (`OTEL_TRACES_EXPORTER=otlp` or `WHEREABOUTS_TRACING=on`), else off. */
  readonly tracing?: Tracing;
}

/** A built app: a request handler plus what owns its lifecycle. It never listens itself. */
export interface App {
  /** Serves every HTTP request: /graphql and /feeds on their request path, the rest through express. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly service: FigureService;
  readonly metrics: Metrics;
  /** `figuresChanged` over graphql-ws at /graphql, mounted when `httpServer` was given. */
  readonly live: LiveServer | null;
  /** Marks the app as draining: /readyz answers 503 `draining` from now on. `stop()` implies it. */
  beginDrain(): void;
  /** Stops Apollo (and drains `httpServer` when one was given). */
  stop(): Promise<void>;
}

/**
 * Builds the gateway: HTTP routes, Apollo Server on the type-graphql schema, the figure service.
 * Tests drive it on port 0; `src/index.ts` listens.
 */
export async function createApp(config: GatewayConfig, deps: AppDeps = {}): Promise<App> {
  const logger = deps.logger ?? createLogger();
  const env = deps.env ?? process.env;
  const metrics = deps.metrics ?? new Metrics({ defaultMetrics: true });
  const tracing = deps.tracing ?? createTracing(env);
  const redisTarget = deps.redis === undefined ? redisTargetFromEnv(env) : (deps.redis ?? undefined);
  const redis = redisTarget ? new RedisConnection(redisTarget, logger) : undefined;
  const store = deps.store ?? new TieredFigureStore({ redis, metrics, logger });
  const service = new FigureService(config, {
    ...deps,
    store,
    metrics,
    // None when tracing is off: a no-op span per upstream fetch still cost an async layer and a span.
    tracer: tracing.enabled ? tracing.tracer : undefined,
    logger,
    onSourceFailure:
      deps.onSourceFailure ??
      ((sourceId, error) =>
        logger.warn({ sourceId, code: error.code, detail: error.detail }, 'source fetch failed')),
  });
  const resolveCaller: CallerResolver =
    deps.resolveCaller ??
    (() => {
      const store =
        deps.apiKeys ??
        ApiKeyStore.load(keysFilePath(env), { onReloadError: (e) => logger.error(e.message) });
      const jwt = config.access.jwt ? createJwtVerifier(config.access.jwt) : null;
      if (!jwt) return async (headers) => store.verify(headers.authorization);
      return async (headers) => {
        const token = /^bearer\s+(\S+)$/i.exec(String(headers.authorization ?? ''))?.[1];
        if (token && looksLikeJwt(token)) return jwt(token);
        return store.verify(headers.authorization);
      };
    })();
  const approved = new ApprovedOperations(loadApprovedOperations());
  const rateLimits = new RateLimits(config.access.rateLimits, redis, metrics);
  // Who may do what is the access policy's (src/access/policy.ts); every transport admits through this gate.
  const gate = new AccessGate({
    resolveCaller,
    rateLimits,
    onResolveError: (error) => logger.warn({ err: (error as Error)?.message }, 'resolving the caller failed'),
  });
  const publicFeeds: ReadonlySet<string> = new Set(config.access.publicFeeds);
  metrics.watch({
    sources: () => service.sources.map((s) => ({ id: s.config.id, breaker: s.breakerState() })),
    l2State: () => store.l2State(),
  });
  const armor = new ApolloArmor({
    maxDepth: { n: HTTP_DEFAULTS.maxDepth, flattenFragments: true },
    maxAliases: { n: HTTP_DEFAULTS.maxAliases },
    maxDirectives: { n: HTTP_DEFAULTS.maxDirectives },
    costLimit: { maxCost: HTTP_DEFAULTS.maxCost },
    // Armor's token limit turns parse errors into 500s (armor #571); Apollo's parseOptions does it right.
    maxTokens: { enabled: false },
    // Suggestions are a per-role matter: restricted roles never reach validation (raw text is refused).
    blockFieldSuggestion: { enabled: false },
  }).protect();

  const schema = buildGatewaySchema();
  const apollo = new ApolloServer<RequestContext>({
    schema,
    // Masked errors are logged by internalErrorLogPlugin, which knows the request id.
    formatError: createFormatError(),
    includeStacktraceInErrorResponses: false,
    parseOptions: { maxTokens: HTTP_DEFAULTS.maxTokens },
    // A read-only cache of the approved documents: ids resolve to trusted documents, nothing registers.
    persistedQueries: { cache: new TrustedDocumentsCache(approved) },
    validationRules: armor.validationRules,
    allowBatchedHttpRequests: false,
    csrfPrevention: { requestHeaders: [...CSRF_PREFLIGHTED_HEADERS] },
    // The process owns its signals (src/index.ts drains and exits); Apollo's own handler would race it.
    stopOnTerminationSignals: false,
    introspection: true,
    plugins: [
      ...armor.plugins,
      accessPlugin(),
      cacheStatusPlugin(),
      internalErrorLogPlugin((error, requestId) =>
        logger.error({ err: error, requestId }, 'masked internal error'),
      ),
      ...(deps.httpServer ? [ApolloServerPluginDrainHttpServer({ httpServer: deps.httpServer })] : []),
    ],
  });
  await apollo.start();

  const audit = new AuditLog(logger);
  // The one way out of every HTTP exchange: request id, metrics, span and audit line (src/http/exchange.ts).
  const exchanges = new ExchangeLog({
    metrics,
    tracer: tracing.enabled ? tracing.tracer : null,
    audit,
    approvedOperations: approved.all.map((op) => op.name),
    logError: (error, requestId) => logger.error({ err: error, requestId }, 'request failed'),
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(exchanges.middleware());
  let draining = false;
  app.use(
    healthRouter({
      ready: () => {
        if (draining) return { ready: false, draining: true, reasons: ['shutting down'] };
        const l2 = store.l2State();
        // Degraded still serves (from L1 and upstream), so it stays in the load balancer's rotation.
        return l2 === 'degraded'
          ? {
              ready: true,
              degraded: true,
              reasons: [`redis ${redis?.status ?? 'unavailable'}: serving from L1 and upstream`],
            }
          : { ready: true, degraded: false, reasons: [] };
      },
    }),
  );
  // Metrics describe the service, not the public data: operator keys only (Prometheus sends a bearer token).
  app.get('/metrics', admitRequest(gate), async (_req, res) => {
    const verdict = authorise(res.locals.caller as Caller, METRICS);
    if (!verdict.ok) return sendRefusal(res, verdict.refusal);
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(
    webhookRouter(service, new WebhookReplayCheck({ redis, metrics, logger }), env, logger, service.now),
  );
  app.use(dashboardRouter(approved.all));
  app.use(notFound);
  app.use(
    createErrorHandler((error, requestId) => logger.error({ err: error, requestId }, 'unhandled HTTP error')),
  );

  // Built response bodies: the feeds' and /graphql's approved operations, per generation (one cache).
  const responses = new ResponseCache(service.now);
  // Documents run outside Apollo (analysts' compiled queries, response-cache builds), on a schema
  // instance of their own: Apollo instruments the resolvers of the schema it is given.
  const compiler = new OperationCompiler(buildExecutableSchema(), {
    validationRules: armor.validationRules,
    maxTokens: HTTP_DEFAULTS.maxTokens,
  });
  const context = (caller: Caller, record?: AuditRecord, requestId?: string) =>
    createRequestContext(service, caller, {
      disclosureK: config.access.disclosureK,
      audit: record,
      requestId,
    });
  const executeApproved = approvedExecutor({
    compiler,
    context: (caller) => context(caller),
    viaApollo: async (op, variables, caller) => {
      const response = await apollo.executeOperation(
        { query: op.document, variables, operationName: op.operationName },
        { contextValue: context(caller) },
      );
      if (response.body.kind !== 'single')
        throw new Error('approved operations are single-result operations');
      return response.body.singleResult;
    },
  });
  const generation = async () => (await service.current()).generation;
  const disclosureClass = (caller: Caller) => disclosureClassOf(caller, config.access.disclosureK);
  // CORS for `access.corsOrigins` only, the same allow-list for feeds and /graphql: a newsroom page on
  // another origin may read a feed (with a key, or a public feed without one) and its caching headers.
  const corsOrigin = (origin: string | undefined, done: (error: Error | null, allow?: boolean) => void) =>
    done(null, origin !== undefined && config.access.corsOrigins.includes(origin));
  const feedsCors = cors({
    origin: corsOrigin,
    methods: ['GET'],
    allowedHeaders: ['authorization', 'if-none-match', 'if-modified-since', 'x-request-id'],
    exposedHeaders: ['etag', 'last-modified', 'x-request-id'],
    maxAge: 600,
  });
  const graphqlCors = cors({
    origin: corsOrigin,
    methods: ['GET', 'POST'],
    allowedHeaders: [
      'content-type',
      'authorization',
      'apollo-require-preflight',
      'x-apollo-operation-name',
      'x-request-id',
    ],
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
  });
  const feedsRoute = createFeedsRoute({
    approved,
    gate,
    publicFeeds,
    execute: executeApproved,
    generation,
    responses,
    disclosureClassOf: disclosureClass,
    exchanges,
    cors: (req, res, next) => feedsCors(req as never, res as never, next),
  });
  const graphqlRoute = createGraphqlRoute({
    gate,
    approved,
    apollo,
    compiler,
    executeApproved,
    responses,
    generation,
    disclosureClassOf: disclosureClass,
    context,
    exchanges,
    readBody: jsonBodyReader(HTTP_DEFAULTS.bodyLimitBytes),
    cors: (req, res, next) => graphqlCors(req as never, res as never, next),
  });

  // Subscriptions over graphql-ws on the same server and path; the same caller resolver, limits and documents.
  const live = deps.httpServer
    ? mountLiveServer({
        httpServer: deps.httpServer,
        service,
        schema: buildGatewaySchema(),
        gate,
        approved,
        disclosureK: config.access.disclosureK,
        logger,
        audit,
        validationRules: armor.validationRules,
        maxTokens: HTTP_DEFAULTS.maxTokens,
        maxPayloadBytes: HTTP_DEFAULTS.bodyLimitBytes,
      })
    : null;

  /** /graphql and /feeds on their request path; everything else through express. */
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path === '/graphql') return graphqlRoute(req, res);
    if (path === '/feeds' || path.startsWith('/feeds/')) return feedsRoute(req, res);
    app(req, res);
  };

  let stopping: Promise<void> | null = null;
  return {
    handler,
    service,
    metrics,
    live,
    beginDrain: () => {
      draining = true;
    },
    // Idempotent: a second concurrent apollo.stop() never resolves (Apollo Server 5.5). WebSockets close
    // first: upgraded sockets would hold the HTTP server's drain open.
    stop: () => {
      draining = true;
      return (stopping ??= Promise.resolve(live?.dispose())
        .then(() => apollo.stop())
        .finally(() => service.close())
        .finally(() => (deps.tracing ? undefined : tracing.shutdown())));
    },
  };
}
