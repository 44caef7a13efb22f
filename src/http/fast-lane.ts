import type { IncomingMessage, OutgoingHttpHeader, ServerResponse } from 'node:http';
import type { ApprovedOperation, ApprovedOperations } from '../access/approved-operations';
import type { AuditLog, AuditRecord } from '../access/audit';
import { hashVariables } from '../access/audit';
import type { Caller } from '../access/caller';
import type { AccessGate, AdmitOptions, FeedAction } from '../access/policy';
import { OWN_QUERY, PUBLIC_FEED, authorise } from '../access/policy';
import { httpStatusOf } from '../errors';
import { withCacheStatus } from '../graphql/cache-status.plugin';
import type { OperationCompiler } from '../graphql/compiled-operations';
import type { RequestContext } from '../graphql/context';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Generation } from '../store/figure-service';
import type { Tracer } from '../tracing';
import { SpanKind } from '../tracing';
import { handOver } from './admission';
import { passesCsrfPrevention } from './csrf';
import { errorBody } from './errors';
import { exceedsJsonDepth, isPlainObject, jsonTooDeepMessage } from './json-guard';
import type { FeedFormat, FeedsDeps } from './feeds';
import { feedAction, feedAnswer, feedOperations, findFeed, parseVariables, renderFeed } from './feeds';
import { REQUEST_ID_HEADER, operationLabeller, requestIdOf } from './request-logging';
import type { BuiltBody, ResponseCache } from './response-cache';
import { LRUCache } from 'lru-cache';

/** What the hot path needs from the app. */
export interface FastLaneDeps {
  /** Admission, as on the full path (one `AccessGate` for the app). */
  readonly gate: AccessGate;
  readonly approved: ApprovedOperations;
  readonly compiler: OperationCompiler;
  readonly feeds: Pick<
    FeedsDeps,
    'execute' | 'generation' | 'responses' | 'disclosureClassOf' | 'publicFeeds'
  >;
  /** Built responses of approved operations run through /graphql (shared with nothing else). */
  readonly responses: ResponseCache<BuiltBody>;
  /** Runs an approved operation for the response cache (see `approvedExecutor`). */
  readonly executeApproved: FeedsDeps['execute'];
  /** A request context, exactly as the full path builds it. */
  readonly context: (caller: Caller, audit: AuditRecord) => RequestContext;
  readonly logger: Logger;
  /** The audit log, shared with the full path. */
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  /** The tracer when tracing is on; null when off (no span objects are made per request). */
  readonly tracer: Tracer | null;
  /** Largest request body read (bytes); larger ones go the full way (and get its 413). */
  readonly bodyLimitBytes: number;
}

/** Hands a request on to the full path (express, Apollo). */
export type FullPath = (req: IncomingMessage, res: ServerResponse) => void;

const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';

/** Header name/value pairs in one flat list, as node's `writeHead` takes them; shared, never changed. */
type HeaderList = readonly OutgoingHttpHeader[];

/** The headers Apollo gives a 200 GraphQL response of a media type. */
function graphqlHeaders(mediaType: string): HeaderList {
  return Object.freeze(['cache-control', 'no-store', 'content-type', mediaType]);
}
const JSON_HEADERS = graphqlHeaders(JSON_TYPE);
const GRAPHQL_RESPONSE_HEADERS = graphqlHeaders(GRAPHQL_RESPONSE_TYPE);

const ERROR_HEADERS: HeaderList = Object.freeze(['content-type', JSON_TYPE]);

/**
 * The headers of a 200 in the response media type Apollo would choose for these Accept values, for the
 * common ones; undefined for anything else (the full path negotiates it properly).
 */
function graphqlHeadersFor(accept: string | undefined): HeaderList | undefined {
  if (accept === undefined || accept === '' || accept === '*/*' || accept === 'application/json')
    return JSON_HEADERS;
  if (
    accept === 'application/graphql-response+json' ||
    accept === 'application/graphql-response+json, application/json;q=0.9' ||
    accept === 'application/graphql-response+json, application/json'
  )
    return GRAPHQL_RESPONSE_HEADERS;
  return undefined;
}

function jsonContentType(value: string | undefined): boolean {
  return value === 'application/json' || value === 'application/json; charset=utf-8';
}

/** The persisted-query hash of an APQ `extensions` value, when it is exactly one (version 1). */
function persistedHash(extensions: unknown): string | null {
  const pq = (extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | null)
    ?.persistedQuery;
  return pq && pq.version === 1 && typeof pq.sha256Hash === 'string' ? pq.sha256Hash : null;
}

/** A GET naming a persisted document: its id, variables and operation name. */
interface ParsedGet {
  readonly hash: string;
  readonly variables: Record<string, unknown> | undefined;
  readonly operationName: string | undefined;
  /** The variables as part of a response-cache key, and their audit hash: computed once, too. */
  readonly variablesKey: string;
  readonly variablesHash: string | null;
}

/** The variables of a request as part of a response-cache key. */
function variablesKeyOf(variables: Record<string, unknown> | undefined): string {
  return variables === undefined ? '' : JSON.stringify(variables);
}

/** The persisted document a GET's parameters name, or null when they are anything else. */
function readPersistedGet(search: URLSearchParams): ParsedGet | null {
  if (search.has('query')) return null;
  let extensions: unknown;
  let variables: unknown;
  const extensionsText = search.get('extensions') ?? 'null';
  const text = search.get('variables');
  // Too deep: the full path refuses it (checkGraphqlRequestJson) before anything parses it.
  if (exceedsJsonDepth(extensionsText) || (text !== null && exceedsJsonDepth(text))) return null;
  try {
    extensions = JSON.parse(extensionsText);
    variables = text === null ? undefined : JSON.parse(text);
  } catch {
    return null;
  }
  const hash = persistedHash(extensions);
  if (!hash || (variables !== undefined && !isPlainObject(variables))) return null;
  // Frozen: one parse is shared by every request that sends the same query string.
  const frozen = variables === undefined ? undefined : Object.freeze(variables as Record<string, unknown>);
  return {
    hash,
    variables: frozen,
    operationName: search.get('operationName') ?? undefined,
    variablesKey: variablesKeyOf(frozen),
    variablesHash: hashVariables(frozen),
  };
}

/** A feed URL's operation, format and variables (with their cache key and audit hash, computed once). */
interface FeedRequest {
  readonly op: ApprovedOperation;
  /** What reading it asks of the access policy, and how it is admitted (public feeds without a key too). */
  readonly action: FeedAction;
  readonly admitOptions: AdmitOptions | undefined;
  readonly format: FeedFormat;
  readonly variables: Record<string, unknown>;
  readonly variablesKey: string;
  readonly variablesHash: string | null;
}

/** The feed a `/feeds/<file>?<search>` names, or null when the full path must explain what is wrong. */
function readFeedRequest(
  feedOps: readonly ApprovedOperation[],
  publicFeeds: ReadonlySet<string>,
  file: string,
  search: string,
): FeedRequest | null {
  const found = findFeed(feedOps, file);
  if ('code' in found) return null;
  const query: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(search)) {
    if (name in query) return null; // a repeated parameter: the full path explains
    query[name] = value;
  }
  const parsed = parseVariables(found.op, query);
  if ('error' in parsed) return null;
  // Frozen: one parse is shared by every request that sends the same URL.
  const variables = Object.freeze(parsed.variables);
  const action = feedAction(publicFeeds, found.op);
  return {
    ...found,
    action,
    admitOptions: action.public ? PUBLIC_FEED : undefined,
    variables,
    variablesKey: JSON.stringify(variables),
    variablesHash: hashVariables(variables),
  };
}

const NOT_PLAIN = Symbol('not a plain hot-path request');

/**
 * `read`, remembered per distinct request string (at most 1,000 strings of up to 4 KB): pollers send
 * the same query string all day. `null` (the full path answers) is remembered too.
 */
function readOnce<T extends object>(read: (text: string) => T | null): (text: string) => T | null {
  const seen = new LRUCache<string, T | typeof NOT_PLAIN>({ max: 1000 });
  return (text) => {
    let parsed = seen.get(text);
    if (parsed === undefined) {
      parsed = read(text) ?? NOT_PLAIN;
      if (text.length <= 4096) seen.set(text, parsed);
    }
    return parsed === NOT_PLAIN ? null : parsed;
  };
}

/**
 * `json` and a newline (as Apollo ends a response) as bytes, copied once. Appending the newline to the
 * string instead made a second string that was flattened (copied) to measure it and encoded again to
 * write it: two copies of an analyst result (tens of KB) on the heap per request.
 */
function jsonLine(json: string): Buffer {
  const size = Buffer.byteLength(json);
  const bytes = Buffer.allocUnsafe(size + 1);
  bytes.write(json, 0, size, 'utf8');
  bytes[size] = 0x0a;
  return bytes;
}

/** Reads a request body of at most `limit` bytes (by its declared length); null when it cannot. */
function readBody(req: IncomingMessage, length: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= length) chunks.push(chunk);
    });
    req.on('end', () => resolve(size === length ? Buffer.concat(chunks, size) : null));
    req.on('error', () => resolve(null));
    req.on('aborted', () => resolve(null));
  });
}

/**
 * The hot path, straight on node:http before express: the requests analysts, dashboards and newsroom
 * pollers send all day, answered with the fewest steps that keep every rule of the full path.
 *
 * - `GET|POST /graphql` running an approved operation by document id (any role allowed to run it), and
 *   `GET /feeds/<name>.json|.csv`: served from pre-serialized bytes built once per snapshot generation,
 *   disclosure class and variables (`ResponseCache`);
 * - `POST /graphql` with a query document from an analyst or operator: parsed, validated (armor's limits
 *   included) and compiled once per document (`OperationCompiler`), run with graphql-jit.
 *
 * The caller is authenticated and rate-limited exactly as on the full path, and the request is logged,
 * audited, measured and traced the same way. Whatever is not plainly one of these successes (no key, over
 * the limit, a browser's cross-origin request, an unusual Accept, a refused or unknown operation, a
 * document with errors, a mutation, introspection, a result with errors) is handed to the full path
 * unchanged, with the caller and limit decision already made, so its answer, errors and status codes are
 * the full path's own. Queries have no side effects, so running one again there is safe.
 */
export function createFastLane(
  deps: FastLaneDeps,
): (req: IncomingMessage, res: ServerResponse, full: FullPath) => void {
  const operationLabel = operationLabeller(deps.approved.all.map((op) => op.name));
  const feedOps = feedOperations(deps.approved);

  /**
   * Writes a response the hot path answers, and records it as the full path would. `headers` are the
   * response's own; the request id and the body's length are added here.
   */
  const answer = (
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    route: string,
    path: string,
    audit: AuditRecord,
    status: number,
    headers: HeaderList,
    body: Buffer | string | null,
  ): void => {
    const requestId = requestIdOf(req.headers[REQUEST_ID_HEADER]);
    res.writeHead(
      status,
      body === null
        ? [...headers, REQUEST_ID_HEADER, requestId]
        : [...headers, REQUEST_ID_HEADER, requestId, 'content-length', Buffer.byteLength(body)],
    );
    res.end(body ?? undefined);
    const seconds = (performance.now() - started) / 1000;
    const operation = operationLabel(audit.operation);
    const role = audit.caller?.role ?? 'anonymous';
    deps.metrics.httpRequestDuration.observe({ route, operation, role, status: String(status) }, seconds);
    deps.tracer
      ?.startSpan(`${req.method} ${route}`, {
        kind: SpanKind.SERVER,
        startTime: Date.now() - seconds * 1000,
        attributes: {
          'http.request.method': req.method ?? 'GET',
          'http.route': route,
          'whereabouts.request_id': requestId,
          'http.response.status_code': status,
          'whereabouts.operation': operation,
          'whereabouts.role': role,
        },
      })
      .end();
    deps.audit.write({ requestId, method: req.method, path }, audit, status, seconds * 1000, 'fast');
  };

  /** A 200 GraphQL response from the hot path, with the headers Apollo gives one. */
  const answerGraphql = (
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    audit: AuditRecord,
    headers: HeaderList,
    body: Buffer | string,
  ) => answer(req, res, started, '/graphql', '/graphql', audit, 200, headers, body);

  const disclosureClass = (caller: Caller) => deps.feeds.disclosureClassOf(caller);

  /** An approved operation's /graphql response body, built once per generation, class and variables. */
  const persistedResponse = async (
    op: ApprovedOperation,
    variables: Record<string, unknown> | undefined,
    variablesKey: string,
    caller: Caller,
  ): Promise<BuiltBody | null> => {
    const generation: Generation = await deps.feeds.generation();
    const key = `graphql|${op.id}|${disclosureClass(caller)}|${variablesKey}`;
    return deps.responses.get(key, generation, async () => {
      const result = await deps.executeApproved(op, variables ?? {}, caller);
      if (result.errors?.length) return null;
      return {
        body: Buffer.from(`${JSON.stringify({ data: result.data, extensions: result.extensions })}\n`),
      };
    });
  };

  /** Runs an approved operation by id for an admitted caller; false when the full path must answer. */
  const servePersisted = async (
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    hash: string,
    variables: Record<string, unknown> | undefined,
    operationName: unknown,
    caller: Caller,
    headers: HeaderList,
    known?: Pick<ParsedGet, 'variablesKey' | 'variablesHash'>,
  ): Promise<boolean> => {
    const op = deps.approved.bySha256(hash);
    if (!op || !authorise(caller, { kind: 'approvedOperation', op }).ok) return false;
    if (operationName !== undefined && operationName !== null && operationName !== op.operationName)
      return false;
    const built = await persistedResponse(
      op,
      variables,
      known?.variablesKey ?? variablesKeyOf(variables),
      caller,
    );
    if (!built) return false;
    const audit: AuditRecord = {
      caller,
      operation: op.name,
      variablesHash: known ? known.variablesHash : hashVariables(variables),
    };
    answerGraphql(req, res, started, audit, headers, built.body);
    return true;
  };

  /**
   * What a GET's query string asks for, read once per distinct string: pollers send the same one all day.
   * `null` when it is not a plain persisted-document request (the full path then answers it).
   */
  const parseGet = readOnce((search) => readPersistedGet(new URLSearchParams(search)));

  const graphqlGet = async (
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    search: string,
    headers: HeaderList,
  ): Promise<boolean> => {
    // Apollo's CSRF prevention, with the same headers (csrf.ts); the full path refuses the rest.
    if (!passesCsrfPrevention(req.headers)) return false;
    const parsed = parseGet(search);
    if (!parsed) return false;
    // Admitted (and counted) here, and the admission handed on: if the full path answers instead, it
    // neither counts the request again nor decides otherwise, and it renders any refusal. `admit` is
    // called inline, not through a wrapper, so admission costs no await beyond its own.
    const admission = await deps.gate.admit(req.headers, req.socket.remoteAddress);
    handOver(req, admission);
    if (!admission.ok) return false;
    const caller = admission.caller;
    return servePersisted(
      req,
      res,
      started,
      parsed.hash,
      parsed.variables,
      parsed.operationName,
      caller,
      headers,
      parsed,
    );
  };

  const graphqlPost = async (
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    headers: HeaderList,
  ): Promise<'answered' | 'unread' | 'read'> => {
    const length = Number(req.headers['content-length']);
    if (
      !jsonContentType(req.headers['content-type']) ||
      !Number.isInteger(length) ||
      length <= 0 ||
      length > deps.bodyLimitBytes ||
      req.headers['content-encoding']
    )
      return 'unread';
    const admission = await deps.gate.admit(req.headers, req.socket.remoteAddress);
    handOver(req, admission);
    if (!admission.ok) return 'unread';
    const caller = admission.caller;
    const raw = await readBody(req, length);
    /** A body it has read and cannot hand on: refused here, as the full path refuses it. */
    const refuse = (code: 'JSON_TOO_DEEP' | 'MALFORMED_JSON', message: string): 'answered' => {
      const audit: AuditRecord = { caller, operation: null, variablesHash: null };
      answer(
        req,
        res,
        started,
        '/graphql',
        '/graphql',
        audit,
        httpStatusOf(code),
        ERROR_HEADERS,
        errorBody(code, message),
      );
      return 'answered';
    };
    if (raw !== null && exceedsJsonDepth(raw))
      return refuse('JSON_TOO_DEEP', jsonTooDeepMessage('the request body'));
    let body: unknown;
    try {
      body = raw === null ? undefined : JSON.parse(raw.toString('utf8'));
    } catch {
      return refuse('MALFORMED_JSON', 'the request body is not valid JSON');
    }
    (req as IncomingMessage & { body?: unknown }).body = body;
    if (!isPlainObject(body)) return 'read';
    const { query, variables, operationName, extensions } = body;
    if (variables !== undefined && variables !== null && !isPlainObject(variables)) return 'read';
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string')
      return 'read';
    const vars = (variables ?? undefined) as Record<string, unknown> | undefined;
    const hash = extensions === undefined ? null : persistedHash(extensions);
    if (hash !== null) {
      if (query !== undefined) return 'read';
      return (await servePersisted(req, res, started, hash, vars, operationName, caller, headers))
        ? 'answered'
        : 'read';
    }
    if (extensions !== undefined || typeof query !== 'string' || !authorise(caller, OWN_QUERY).ok)
      return 'read';
    const prepared = deps.compiler.prepare(query, operationName ?? undefined);
    if (!prepared) return 'read';
    const audit: AuditRecord = {
      caller,
      operation: prepared.operationName ?? '(anonymous)',
      variablesHash: hashVariables(vars),
    };
    const context = deps.context(caller, audit);
    const result = await prepared.run(context, vars);
    if (result.errors?.length) return 'read';
    const json = JSON.stringify(withCacheStatus(result.data, context.loaders));
    answerGraphql(req, res, started, audit, headers, jsonLine(json));
    return 'answered';
  };

  /**
   * What a feed URL asks for, read once per distinct path and query string (pollers repeat theirs all
   * day); `null` when the full path must explain what is wrong with it.
   */
  const parseFeedRequest = readOnce((url) => {
    const q = url.indexOf('?');
    return readFeedRequest(feedOps, deps.feeds.publicFeeds, url.slice('/feeds/'.length, q), url.slice(q + 1));
  });

  const feedGet = async (
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    path: string,
    search: string,
  ): Promise<boolean> => {
    const parsed = parseFeedRequest(`${path}?${search}`);
    if (!parsed) return false;
    const { op, format } = parsed;
    const admission = await deps.gate.admit(req.headers, req.socket.remoteAddress, parsed.admitOptions);
    handOver(req, admission);
    if (!admission.ok || !authorise(admission.caller, parsed.action).ok) return false;
    const caller = admission.caller;
    const built = await renderFeed(deps.feeds, op, format, parsed.variables, caller, parsed.variablesKey);
    if ('code' in built) return false;
    const audit: AuditRecord = {
      caller,
      operation: `feed:${op.name}`,
      variablesHash: parsed.variablesHash,
    };
    const inm = req.headers['if-none-match'];
    const reply = feedAnswer(built, caller, format, {
      ifNoneMatch: Array.isArray(inm) ? inm.join(',') : inm,
      ifModifiedSince: req.headers['if-modified-since'],
      acceptEncoding: req.headers['accept-encoding'],
    });
    answer(req, res, started, '/feeds', path, audit, reply.status, reply.headers, reply.body);
    return true;
  };

  return (req, res, full) => {
    // Browsers' cross-origin requests need CORS handling: the full path's.
    if (req.headers.origin !== undefined) return full(req, res);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const started = performance.now();
    const fail = (error: unknown) => {
      deps.logger.error({ err: error }, 'hot path failed; handing the request on');
      if (!res.headersSent) full(req, res);
    };
    if (path === '/graphql') {
      const headers = graphqlHeadersFor(req.headers.accept);
      if (headers === undefined) return full(req, res);
      if (req.method === 'GET') {
        graphqlGet(req, res, started, q < 0 ? '' : url.slice(q + 1), headers).then((done) => {
          if (!done) full(req, res);
        }, fail);
        return;
      }
      if (req.method === 'POST' && q < 0) {
        graphqlPost(req, res, started, headers).then((outcome) => {
          if (outcome !== 'answered') full(req, res);
        }, fail);
        return;
      }
      return full(req, res);
    }
    if (req.method === 'GET' && path.startsWith('/feeds/')) {
      feedGet(req, res, started, path, q < 0 ? '' : url.slice(q + 1)).then((done) => {
        if (!done) full(req, res);
      }, fail);
      return;
    }
    full(req, res);
  };
}
