import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import express from 'express';
import type { Archive } from './archive/archive';
import { describeArchive, openArchive } from './archive/open';
import { ApiKeyStore } from './access/api-keys';
import { callerResolver } from './access/caller-resolver';
import { ApprovedOperations, loadApprovedOperations } from './access/approved-operations';
import { AuditLog } from './access/audit';
import type { AuditRecord } from './access/audit';
import type { Caller, CallerResolver } from './access/caller';
import { AccessGate, METRICS, authorise, disclosureClassOf } from './access/policy';
import { RateLimits } from './access/rate-limit';
import { TrustedDocumentsCache } from './access/trusted-documents-cache';
import { OidcClient } from './access/oidc';
import type { SessionStore } from './access/session-store';
import { MemorySessionStore, RedisSessionStore } from './access/session-store';
import { Sessions } from './access/sessions';
import { authRouter } from './http/auth-router';
import { OIDC_CLIENT_SECRET_ENV } from './config/schema';
import { accessPlugin } from './graphql/access.plugin';
import { admitRequest, sendRefusal } from './http/express-access';
import { CSRF_PREFLIGHTED_HEADERS } from './http/csrf';
import type { Environment } from './config/environment';
import { readEnvironment } from './config/environment';
import type { GatewayConfig } from './config/load';
import type { RequestContext } from './graphql/context';
import { createRequestContext } from './graphql/context';
import { approvedExecutor } from './graphql/approved-executor';
import { OperationCompiler } from './graphql/compiled-operations';
import { corsHandlers } from './http/cors';
import { drainHttpServerPlugin } from './http/drain.plugin';
import { ExchangeLog } from './http/exchange';
import { createFeedsRoute } from './http/feeds-route';
import { createGraphqlRoute } from './http/graphql-route';
import { jsonBodyReader } from './http/request-body';
import { ResponseCache } from './http/response-cache';
import { createFormatError, internalErrorLogPlugin } from './graphql/format-error';
import { buildExecutableSchema, buildGatewaySchema } from './graphql/schema';
import { HTTP_DEFAULTS, requestLimits } from './graphql/limits';
import { createErrorHandler, notFound } from './http/errors';
import { healthRouter, storeReadiness } from './http/health';
import type { Logger } from './logger';
import { createLogger } from './logger';
import { cacheStatusPlugin } from './graphql/cache-status.plugin';
import { webhookRouter } from './http/webhooks';
import { WebhookReplayCheck } from './http/webhook-replay';
import { dashboardRouter } from './http/dashboard/router';
import { frontDoorRouter } from './http/front-door/router';
import { opensWorkbench, workbenchRouter } from './http/workbench/router';
import { Metrics } from './metrics';
import type { Tracing } from './tracing';
import { createTracing } from './tracing';
import { TieredFigureStore } from './store/figure-store';
import type { FigureServiceOptions, Generation } from './store/figure-service';
import { FigureService } from './store/figure-service';
import type { RedisTarget } from './store/redis-connection';
import { RedisConnection } from './store/redis-connection';
import type { LiveServer } from './live/server';
import { mountLiveServer } from './live/server';

/**
 * Bytes of analysts' built answers kept (`documentResponses`): a few hundred typical answers (tens of KB
 * each), within the gateway's memory budget.
 */
const DOCUMENT_RESPONSES_MAX_BYTES = 8 * 1024 * 1024;

/** What the app needs besides its config. */
export interface AppDeps extends FigureServiceOptions {
  readonly logger?: Logger;
  /** Resolves the caller of a request; by default the API keys in WHEREABOUTS_KEYS_FILE. */
  readonly resolveCaller?: CallerResolver;
  /** The API keys (loaded from WHEREABOUTS_KEYS_FILE when neither this nor resolveCaller is given). */
  readonly apiKeys?: ApiKeyStore;
  /** The server the app will be mounted on, so that shutdown drains it. */
  readonly httpServer?: Server;
  /** Redis for L2, locks and pub/sub; by default `environment.redis` (none unless configured). */
  readonly redis?: RedisTarget | null;
  /**
   * The archive; by default opened as `environment.archive` says (and then closed by `stop()`). Null: none.
   * One given here is the caller's to close.
   */
  readonly archive?: Archive | null;
  /** Tracing; by default as `environment.tracing` says (off unless switched on). */
  readonly tracing?: Tracing;
  /**
   * What the process environment says (`readEnvironment`, read once by the entry point); by default the
   * environment `env` gives (an empty one unless given), never `process.env` behind the caller's back.
   */
  readonly environment?: Environment;
  /**
   * Where sign-in sessions are kept (with `access.oidc`); by default in Redis when the gateway has Redis,
   * else in this process. Tests pass one they can look into.
   */
  readonly sessionStore?: SessionStore;
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
  /**
   * Stops refreshing sources without traffic, then stops Apollo (and drains `httpServer` when one was
   * given) and closes the store.
   */
  stop(): Promise<void>;
}

/**
 * Builds the gateway: HTTP routes, Apollo Server on the type-graphql schema, the figure service.
 * Tests drive it on port 0; `src/index.ts` listens.
 */
export async function createApp(config: GatewayConfig, deps: AppDeps = {}): Promise<App> {
  const environment = deps.environment ?? readEnvironment(deps.env ?? {});
  const logger = deps.logger ?? createLogger({});
  const metrics = deps.metrics ?? new Metrics({ defaultMetrics: true });
  const tracing = deps.tracing ?? createTracing(environment.tracing);
  const redisTarget = deps.redis === undefined ? environment.redis : (deps.redis ?? undefined);
  const redis = redisTarget ? new RedisConnection(redisTarget, logger) : undefined;
  const store = deps.store ?? new TieredFigureStore({ redis, metrics, logger });
  const ownArchive = deps.archive === undefined ? await openArchive(environment.archive) : null;
  if (ownArchive) logger.info({ archive: describeArchive(environment.archive) }, 'archive open');
  const service = new FigureService(config, {
    ...deps,
    archive: deps.archive === undefined ? ownArchive : deps.archive,
    env: environment.secrets,
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
    callerResolver(
      deps.apiKeys ??
        ApiKeyStore.load(environment.keysFile, { onReloadError: (e) => logger.error(e.message) }),
      config.access.jwt,
    );
  const approved = new ApprovedOperations(loadApprovedOperations());
  const rateLimits = new RateLimits(config.access.rateLimits, redis, metrics);
  // Sign-in for people in browsers (access.oidc): sessions in Redis when there is Redis, else here.
  const oidc = config.access.oidc;
  const sessionStore = oidc
    ? (deps.sessionStore ?? (redis ? new RedisSessionStore(redis) : new MemorySessionStore()))
    : null;
  const sessions =
    oidc && sessionStore
      ? new Sessions({
          store: sessionStore,
          origin: new URL(oidc.redirectUri).origin,
          idleMs: oidc.idleTimeoutSeconds * 1000,
          absoluteMs: oidc.absoluteTimeoutSeconds * 1000,
          now: service.now,
        })
      : undefined;
  const clientSecret = environment.secrets[OIDC_CLIENT_SECRET_ENV];
  if (oidc && !clientSecret)
    throw new Error(`access.oidc is configured but ${OIDC_CLIENT_SECRET_ENV} (the client secret) is not set`);
  // Who may do what is the access policy's (src/access/policy.ts); every transport admits through this gate.
  const gate = new AccessGate({
    resolveCaller,
    sessions,
    rateLimits,
    onResolveError: (error) => logger.warn({ err: (error as Error)?.message }, 'resolving the caller failed'),
  });
  const publicFeeds: ReadonlySet<string> = new Set(config.access.publicFeeds);
  metrics.watch({
    sources: () => service.sources.map((s) => ({ id: s.config.id, breaker: s.breakerState() })),
    l2State: () => store.l2State(),
  });
  const armor = requestLimits();

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
      // Apollo installs its inline-trace plugin unless told not to; it traces only a federated subgraph,
      // which this schema is not, and loading it loads Apollo's usage-reporting protobuf (a 360 kB source
      // the heap keeps, 0.8 MB with its objects).
      ApolloServerPluginInlineTraceDisabled(),
      ...armor.plugins,
      accessPlugin(),
      cacheStatusPlugin(),
      internalErrorLogPlugin((error, requestId) =>
        logger.error({ err: error, requestId }, 'masked internal error'),
      ),
      ...(deps.httpServer ? [drainHttpServerPlugin({ httpServer: deps.httpServer })] : []),
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
  app.use(healthRouter(storeReadiness(store, redis, () => draining)));
  // Metrics describe the service, not the public data: operator keys only (Prometheus sends a bearer token).
  app.get('/metrics', admitRequest(gate), async (_req, res) => {
    const verdict = authorise(res.locals.caller as Caller, METRICS);
    if (!verdict.ok) return sendRefusal(res, verdict.refusal);
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(
    webhookRouter(
      service,
      new WebhookReplayCheck({ redis, metrics, logger }),
      environment.secrets,
      logger,
      service.now,
    ),
  );
  app.use(frontDoorRouter());
  app.use(dashboardRouter(approved.all, { signIn: oidc !== undefined }));
  if (oidc && sessions && sessionStore && clientSecret)
    app.use(
      authRouter({
        oidc: new OidcClient(oidc, clientSecret),
        sessions,
        store: sessionStore,
        gate,
        logger,
      }),
    );
  app.use(
    workbenchRouter(
      { gate, signIn: oidc !== undefined, onNotBuilt: (error) => logger.warn(error.message) },
      approved.all,
    ),
  );
  app.use(notFound);
  app.use(
    createErrorHandler((error, requestId) => logger.error({ err: error, requestId }, 'unhandled HTTP error')),
  );

  // Built response bodies: the feeds' and /graphql's approved operations, per generation (one cache).
  const responses = new ResponseCache(service.now);
  // Analysts' own documents, repeated within a second (notebooks, dashboards polling a query of their own).
  const documentResponses = new ResponseCache(service.now, {
    maxEntries: 1000,
    maxBytes: DOCUMENT_RESPONSES_MAX_BYTES,
  });
  // Documents run outside Apollo (analysts' compiled queries, response-cache builds), on a schema
  // instance of their own: Apollo instruments the resolvers of the schema it is given.
  const compiler = new OperationCompiler(buildExecutableSchema(), {
    validationRules: armor.validationRules,
    maxTokens: HTTP_DEFAULTS.maxTokens,
  });
  const context = (caller: Caller, record?: AuditRecord, requestId?: string, generation?: Generation) =>
    createRequestContext(service, caller, {
      disclosureK: config.access.disclosureK,
      audit: record,
      requestId,
      generation,
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
  const cors = corsHandlers(config.access.corsOrigins);
  const feedsRoute = createFeedsRoute({
    approved,
    gate,
    publicFeeds,
    execute: executeApproved,
    generation,
    responses,
    disclosureClassOf: disclosureClass,
    exchanges,
    cors: cors.feeds,
  });
  const graphqlRoute = createGraphqlRoute({
    gate,
    approved,
    apollo,
    compiler,
    executeApproved,
    responses,
    documentResponses,
    generation,
    reusableGeneration: () => service.reusable(),
    disclosureClassOf: disclosureClass,
    context,
    exchanges,
    readBody: jsonBodyReader(HTTP_DEFAULTS.bodyLimitBytes),
    cors: cors.graphql,
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
    // A browser opening /graphql itself goes to the workbench (a 303 from express); the API's requests never.
    if (path === '/graphql' && !opensWorkbench(req)) return graphqlRoute(req, res);
    if (path === '/feeds' || path.startsWith('/feeds/')) return feedsRoute(req, res, path);
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
      // First: no source is fetched for the schedule while the rest drains (service.close() does it too).
      service.stopSchedule();
      return (stopping ??= Promise.resolve(live?.dispose())
        .then(() => apollo.stop())
        .finally(() => service.close())
        .finally(() => ownArchive?.close())
        .finally(() => (deps.tracing ? undefined : tracing.shutdown())));
    },
  };
}
