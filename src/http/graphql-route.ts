import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import Negotiator from 'negotiator';
import type { ApprovedOperation, ApprovedOperations } from '../access/approved-operations';
import type { AuditRecord } from '../access/audit';
import { hashVariables } from '../access/audit';
import type { Caller } from '../access/caller';
import type { AccessGate, Action } from '../access/policy';
import { OWN_QUERY, UNKNOWN_DOCUMENT, authorise } from '../access/policy';
import { withCacheStatus } from '../graphql/cache-status.plugin';
import type { OperationCompiler } from '../graphql/compiled-operations';
import type { RequestContext } from '../graphql/context';
import type { ExecuteApproved } from '../graphql/approved-executor';
import type { Generation } from '../store/figure-service';
import { passesCsrfPrevention } from './csrf';
import type { Exchange, ExchangeLog, HeaderList } from './exchange';
import { exceedsJsonDepth, isPlainObject, jsonTooDeepMessage } from './json-guard';
import type { BuiltBody, ResponseCache } from './response-cache';
import type { BodyReading } from './request-body';
import { memoByString } from './string-memo';

/** What the /graphql route needs from the app. */
export interface GraphqlRouteDeps {
  readonly gate: AccessGate;
  readonly approved: ApprovedOperations;
  readonly apollo: ApolloServer<RequestContext>;
  /** Analysts' documents, compiled once per document and run with graphql-jit. */
  readonly compiler: OperationCompiler;
  /** Runs an approved operation for the response cache (see `approvedExecutor`). */
  readonly executeApproved: ExecuteApproved;
  /** Built responses: approved operations' bodies, shared with the feeds. */
  readonly responses: ResponseCache;
  /**
   * Built responses of analysts' own documents (bounded in bytes): a document sent again within a second
   * and the same snapshot generation, with the same variables and disclosure class, is answered with the
   * bytes its first run made, unless the request says `Cache-Control: no-cache`.
   */
  readonly documentResponses: ResponseCache;
  generation(): Promise<Generation>;
  /** The snapshot generation when it is reusable now, without building one (`FigureService.reusable`). */
  reusableGeneration(): Generation | null;
  /** The disclosure class of a caller: responses differ only between classes. */
  disclosureClassOf(caller: Caller): string;
  /** A request context for a caller (the audit record and request id go into it), on `generation` if given. */
  context(caller: Caller, audit: AuditRecord, requestId: string, generation?: Generation): RequestContext;
  readonly exchanges: ExchangeLog;
  readonly readBody: (req: IncomingMessage, res: ServerResponse) => Promise<BodyReading>;
  /** Sets the CORS headers of `access.corsOrigins` and answers preflights; calls `next` otherwise. */
  readonly cors: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
}

/** Media types a /graphql response can be sent in; anything else gets 406. */
const GRAPHQL_MEDIA_TYPES = ['application/graphql-response+json', 'application/json', 'multipart/mixed'];

/** Apollo's names for the two single-result media types (`MEDIA_TYPES` in @apollo/server). */
const APPLICATION_JSON = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json; charset=utf-8';
const APOLLO_CANDIDATES = [APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, 'application/json; callback=true'];

/** What an Accept header allows a /graphql response to be. */
interface AcceptOutcome {
  /** None of GraphQL's media types is acceptable: 406. */
  readonly refused: boolean;
  /**
   * The media type Apollo would send a single result in: the same negotiation (negotiator, Apollo's
   * candidates in Apollo's order), so a response the route writes itself is the one Apollo would have
   * written. Undefined when Apollo would choose something the route does not write itself (the JSONP
   * callback type, or nothing acceptable): Apollo then answers.
   */
  readonly singleResultType: string | undefined;
}

const NO_ACCEPT: AcceptOutcome = Object.freeze({ refused: false, singleResultType: APPLICATION_JSON });

/** The Accept header's outcome, negotiated once per distinct header (clients send the same one). */
const acceptOutcome = memoByString(
  (accept: string): AcceptOutcome => {
    const negotiator = new Negotiator({ headers: { accept } });
    const preferred = negotiator.mediaType(APOLLO_CANDIDATES);
    return {
      refused: !negotiator.mediaType(GRAPHQL_MEDIA_TYPES),
      singleResultType:
        preferred === APPLICATION_JSON || preferred === GRAPHQL_RESPONSE_JSON ? preferred : undefined,
    };
  },
  { max: 64, maxLength: 1024 },
);

/** The headers Apollo gives a 200 single result, per media type. */
const SUCCESS_HEADERS: Readonly<Record<string, HeaderList>> = {
  [APPLICATION_JSON]: Object.freeze(['cache-control', 'no-store', 'content-type', APPLICATION_JSON]),
  [GRAPHQL_RESPONSE_JSON]: Object.freeze([
    'cache-control',
    'no-store',
    'content-type',
    GRAPHQL_RESPONSE_JSON,
  ]),
};

/** A GraphQL-over-HTTP request as sent (GET parameters or a POST body), before anything is run. */
interface GraphqlRequest {
  readonly query: unknown;
  readonly variables: unknown;
  readonly operationName: unknown;
  readonly extensions: unknown;
}

/** The parts of a request the route acts on, read once per distinct GET query string (pollers repeat it). */
interface ReadRequest {
  /** The document id (APQ `extensions.persistedQuery.sha256Hash`), when one is named. */
  readonly hash: string | null;
  readonly hasQuery: boolean;
  readonly query: string | undefined;
  /** Variables when they are a plain object (or absent); `invalid` when they are anything else. */
  readonly variables: Readonly<Record<string, unknown>> | undefined | 'invalid';
  readonly operationName: string | undefined | 'invalid';
  readonly variablesKey: string;
  readonly variablesHash: string | null;
  /** What the caller asks to run, for `authorise`; the operation when a known one is named. */
  readonly op: ApprovedOperation | undefined;
  /** A request the route must refuse before anything runs, whoever sends it. */
  readonly refusal?: { readonly code: 'JSON_TOO_DEEP' | 'BAD_REQUEST'; readonly message: string };
}

const BAD_PERSISTED_QUERY =
  'extensions.persistedQuery must be an object { version: 1, sha256Hash } whose sha256Hash is the document id as a string ("sha256:<hex>")';

function readRequest(approved: ApprovedOperations, request: GraphqlRequest): ReadRequest {
  const { query, variables, operationName, extensions } = request;
  const persisted = isPlainObject(extensions) ? extensions.persistedQuery : undefined;
  let refusal: ReadRequest['refusal'];
  if (persisted !== undefined && !(isPlainObject(persisted) && typeof persisted.sha256Hash === 'string'))
    refusal = { code: 'BAD_REQUEST', message: BAD_PERSISTED_QUERY };
  const hash =
    isPlainObject(persisted) && typeof persisted.sha256Hash === 'string' ? persisted.sha256Hash : null;
  const plainVariables =
    variables === undefined || variables === null
      ? undefined
      : isPlainObject(variables)
        ? Object.freeze(variables)
        : 'invalid';
  return {
    hash,
    hasQuery: query !== undefined,
    query: typeof query === 'string' ? query : undefined,
    variables: plainVariables,
    operationName:
      operationName === undefined || operationName === null
        ? undefined
        : typeof operationName === 'string'
          ? operationName
          : 'invalid',
    variablesKey:
      plainVariables === undefined || plainVariables === 'invalid' ? '' : JSON.stringify(plainVariables),
    variablesHash: hashVariables(variables),
    op: hash === null ? undefined : approved.bySha256(hash),
    ...(refusal ? { refusal } : {}),
  };
}

/** What a GET's parameters ask, or the refusal of a parameter nested too deep. */
function readGet(approved: ApprovedOperations, search: string): ReadRequest {
  const params = new URLSearchParams(search);
  const parsed: Record<string, unknown> = {};
  for (const name of ['variables', 'extensions'] as const) {
    const text = params.get(name);
    if (text === null) continue;
    if (exceedsJsonDepth(text))
      return {
        ...readRequest(approved, {
          query: undefined,
          variables: undefined,
          operationName: undefined,
          extensions: undefined,
        }),
        refusal: { code: 'JSON_TOO_DEEP', message: jsonTooDeepMessage(`the ${name} parameter`) },
      };
    try {
      parsed[name] = JSON.parse(text);
    } catch {
      // Apollo words its own error for a parameter that is not JSON.
      parsed[name] = text;
    }
  }
  return readRequest(approved, {
    query: params.get('query') ?? undefined,
    variables: parsed.variables,
    operationName: params.get('operationName') ?? undefined,
    extensions: parsed.extensions,
  });
}

/** Whether a request asks for an answer built afresh rather than one kept (`Cache-Control: no-cache`). */
function asksForFresh(headers: IncomingHttpHeaders): boolean {
  const control = headers['cache-control'];
  return control !== undefined && /\b(?:no-cache|no-store|max-age=0)\b/i.test(control);
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

/**
 * `GET` and `POST /graphql`: one path for every request, in this order:
 *
 * 1. CORS for `access.corsOrigins` (a preflight is answered here), and 406 for an Accept that allows no
 *    GraphQL media type;
 * 2. admission (`AccessGate.admit`: 401 / 429) and the request read once: a POST body as JSON within the
 *    limits (`readBody`), GET parameters through the JSON depth guard;
 * 3. authorisation of what it asks to run (`authorise`: an approved operation by id, an unknown id, or
 *    the caller's own text, which restricted roles may not send and which is then never parsed);
 * 4. the answer: an approved operation from its built bytes (`ResponseCache`, once per snapshot
 *    generation, disclosure class and variables), an analyst's document compiled once and run with
 *    graphql-jit, or else Apollo Server through its documented integration seam,
 *    `executeHTTPGraphQLRequest`, which also answers every error, mutation, introspection and unusual
 *    request as Apollo does (CSRF prevention included). A document is run again by Apollo only when the
 *    compiled run had errors: queries have no side effects, so that is safe.
 *
 * Every answer goes out through the `ExchangeLog` (request id, metrics, span, audit line).
 */
export function createGraphqlRoute(
  deps: GraphqlRouteDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  /** A GET's query string read, once per distinct string: pollers send the same one all day. */
  const readGetOnce = memoByString((search) => readGet(deps.approved, search), {
    max: 1000,
    maxLength: 4096,
  });

  /** An approved operation's /graphql response body, built once per generation, class and variables. */
  const builtResponse = async (
    op: ApprovedOperation,
    read: ReadRequest,
    caller: Caller,
  ): Promise<BuiltBody | null> => {
    const generation = await deps.generation();
    const key = `graphql|${op.id}|${deps.disclosureClassOf(caller)}|${read.variablesKey}`;
    return deps.responses.get(key, generation, async () => {
      const variables = read.variables === 'invalid' ? {} : (read.variables ?? {});
      const result = await deps.executeApproved(op, variables, caller);
      if (result.errors?.length) return null;
      return {
        body: Buffer.from(`${JSON.stringify({ data: result.data, extensions: result.extensions })}\n`),
      };
    });
  };

  /** The answer from built bytes or a compiled run, when there is one; null when Apollo must answer. */
  const answerDirectly = async (ex: Exchange, read: ReadRequest, caller: Caller): Promise<Buffer | null> => {
    if (read.variables === 'invalid' || read.operationName === 'invalid') return null;
    if (read.op && !read.hasQuery) {
      if (read.operationName !== undefined && read.operationName !== read.op.operationName) return null;
      return (await builtResponse(read.op, read, caller))?.body ?? null;
    }
    if (read.query === undefined || read.hash !== null) return null;
    // Null for anything but a valid query without introspection: Apollo runs (or refuses) the rest.
    const prepared = deps.compiler.prepare(read.query, read.operationName);
    if (!prepared) return null;
    ex.audit.operation = prepared.operationName ?? '(anonymous)';
    const { variables } = read;
    // A query's answer depends on its text, operation, variables, the caller's disclosure class and the
    // snapshot (no resolver of a query reads more of the caller: mutations and introspection never come
    // here), so one built answer serves every request that repeats them (see `documentResponses`), on
    // the generation there is now. When there is none to reuse, this request's run builds one (its
    // cacheStatus says BUILT) and the next request's answer is kept.
    const generation = deps.reusableGeneration();
    const run = async (): Promise<BuiltBody | null> => {
      const context = deps.context(caller, ex.audit, ex.requestId, generation ?? undefined);
      const result = await prepared.run(context, variables);
      if (result.errors?.length) return null;
      return { body: jsonLine(JSON.stringify(withCacheStatus(result.data, context.loaders))) };
    };
    if (!generation) return (await run())?.body ?? null;
    const key = `${deps.disclosureClassOf(caller)}\n${read.operationName ?? ''}\n${read.variablesKey}\n${read.query}`;
    const built = await deps.documentResponses.get(key, generation, run, !asksForFresh(ex.req.headers));
    return built?.body ?? null;
  };

  /** Apollo's answer, through its integration seam, written as Apollo's express integration writes it. */
  const answerByApollo = async (ex: Exchange, caller: Caller, body: unknown): Promise<void> => {
    const { req, res } = ex;
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers))
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const response = await deps.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: (req.method ?? 'GET').toUpperCase(),
        headers,
        search: q < 0 ? '' : url.slice(q),
        body,
      },
      context: async () => deps.context(caller, ex.audit, ex.requestId),
    });
    const list: string[] = [];
    for (const [key, value] of response.headers) list.push(key, value);
    const status = response.status ?? 200;
    if (response.body.kind === 'complete') {
      deps.exchanges.respond(ex, status, list, req.method === 'HEAD' ? null : response.body.string);
      return;
    }
    res.writeHead(status, [...list, 'x-request-id', ex.requestId]);
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
    deps.exchanges.record(ex, status);
  };

  const serve = async (ex: Exchange): Promise<void> => {
    const { req, res } = ex;
    const accepted = req.headers.accept ? acceptOutcome(req.headers.accept) : NO_ACCEPT;
    // An Accept that allows none of GraphQL's media types (text/html only, say) gets a clear 406.
    if (accepted.refused)
      return deps.exchanges.refuse(
        ex,
        'NOT_ACCEPTABLE',
        `accepted media types: ${GRAPHQL_MEDIA_TYPES.slice(0, 2).join(', ')}`,
      );
    const admission = await deps.gate.admit(req.headers, req.socket.remoteAddress);
    ex.audit.caller = admission.caller;
    if (!admission.ok) return deps.exchanges.refuseAccess(ex, admission.refusal);
    const caller = admission.caller;
    const method = req.method ?? 'GET';

    let body: unknown;
    let read: ReadRequest | null = null;
    if (method === 'POST') {
      const reading = await deps.readBody(req, res);
      if (!reading.ok) return deps.exchanges.refuse(ex, reading.code, reading.message, reading.headers);
      body = reading.value;
      if (isPlainObject(body)) read = readRequest(deps.approved, body as unknown as GraphqlRequest);
    } else if (method === 'GET') {
      const url = req.url ?? '';
      const q = url.indexOf('?');
      read = readGetOnce(q < 0 ? '' : url.slice(q + 1));
    }
    if (read?.refusal) return deps.exchanges.refuse(ex, read.refusal.code, read.refusal.message);

    if (read) {
      ex.audit.variablesHash = read.variablesHash;
      let action: Action = OWN_QUERY;
      if (read.hash !== null && !read.hasQuery)
        action = read.op ? { kind: 'approvedOperation', op: read.op } : UNKNOWN_DOCUMENT;
      const verdict = authorise(caller, action);
      if (!verdict.ok) return deps.exchanges.refuseAccess(ex, verdict.refusal);
      if (read.op) ex.audit.operation = read.op.name;
      const type = accepted.singleResultType;
      // Apollo's CSRF prevention, with the same headers (csrf.ts): what fails it is Apollo's to refuse.
      if (type && passesCsrfPrevention(req.headers)) {
        const bytes = await answerDirectly(ex, read, caller);
        if (bytes) return deps.exchanges.respond(ex, 200, SUCCESS_HEADERS[type]!, bytes);
      }
    } else {
      // Not a request the route can read (a batch, a JSON string, no body, another method): it asks to
      // run the caller's own text if anything, so restricted roles are refused here and Apollo words the
      // refusal for the rest.
      const verdict = authorise(caller, OWN_QUERY);
      if (!verdict.ok) return deps.exchanges.refuseAccess(ex, verdict.refusal);
    }
    await answerByApollo(ex, caller, body);
  };

  return (req, res) => {
    const ex = deps.exchanges.begin(req, res, '/graphql', '/graphql');
    const run = () => {
      serve(ex).catch((error: unknown) => deps.exchanges.failed(ex, error));
    };
    if (req.headers.origin === undefined) return run();
    deps.cors(req, res, run);
    // A preflight is answered by the CORS handler itself.
    if (res.writableEnded) deps.exchanges.record(ex, res.statusCode);
  };
}
