import { createHash } from 'node:crypto';
import type { FormattedExecutionResult, OperationDefinitionNode } from 'graphql';
import { Kind, parse } from 'graphql';
import type { ApprovedOperation, ApprovedOperations } from '../access/approved-operations';
import type { Caller } from '../access/caller';
import type { AccessGate, FeedAction } from '../access/policy';
import type { ErrorCode } from '../errors';
import { ERROR_CODES } from '../errors';
import type { ContentCoding } from './content-coding';
import { chooseCoding, CodedBody } from './content-coding';
import { toCsv } from './feed-csv';
import { FEED_FORMATS, feedFormatsOf, feedTable } from './feed-tables';
import { rowsOf } from './feed-tables/table';
import { toXlsx, XLSX_MEDIA_TYPE } from './feed-xlsx';
import type { ExecuteApproved } from '../graphql/approved-executor';
import type { BuiltResponse, ResponseCache } from './response-cache';
import type { Generation } from '../store/figure-service';

/** What the feeds need from the app. */
export interface FeedsDeps {
  readonly approved: ApprovedOperations;
  /** Admission (credentials and rate limits), as for every transport. */
  readonly gate: AccessGate;
  /** Feeds anyone may read, without a key too (`access.publicFeeds`); see the access policy. */
  readonly publicFeeds: ReadonlySet<string>;
  /** Runs an approved operation as a caller (see `approvedExecutor`). */
  readonly execute: ExecuteApproved;
  /** The current snapshot generation: what a built feed response belongs to. */
  generation(): Promise<Generation>;
  /** Built feed responses (`ResponseCache`, shared with /graphql's approved operations). */
  readonly responses: ResponseCache;
  /** The disclosure class of a caller (responses differ only between classes), e.g. `all` or `k3`. */
  disclosureClassOf(caller: Caller): string;
}

import type { FeedFormat } from './feed-tables';
export type { FeedFormat };

/** A feed request that cannot be answered: the error code and message to send. */
export interface FeedRefusal {
  readonly code: ErrorCode;
  readonly message: string;
}

/** The feed a `/feeds/<file>` path names, or why there is none. */
export function findFeed(
  feeds: readonly ApprovedOperation[],
  file: string,
): { op: ApprovedOperation; format: FeedFormat } | FeedRefusal {
  const match = /^([a-z0-9-]+)\.(json|csv|xlsx)$/.exec(file);
  const op = match ? feeds.find((f) => f.name === match[1]) : undefined;
  if (!match || !op) return { code: 'NOT_FOUND', message: 'no such feed; see GET /feeds' };
  const format = match[2] as FeedFormat;
  if (!feedFormatsOf(op.name).includes(format)) {
    return {
      code: 'NOT_FOUND',
      message: `the feed "${op.name}" has no ${format.toUpperCase()} form (it is not a list of rows); use /feeds/${op.name}.json`,
    };
  }
  return { op, format };
}

/** The approved query operations that are feeds. */
export function feedOperations(approved: ApprovedOperations): ApprovedOperation[] {
  return approved.all.filter((op) => /^\s*query\b/.test(op.document));
}

function newestReport(generation: Generation): number {
  let newest = 0;
  for (const at of generation.snapshot.retrievedAt.values()) if (at > newest) newest = at;
  return newest;
}

/**
 * A feed's body, built once per snapshot generation, variables and disclosure class and then served as
 * bytes (see `ResponseCache`); an error result is never cached and comes back as a refusal.
 */
export async function renderFeed(
  deps: Pick<FeedsDeps, 'execute' | 'generation' | 'responses' | 'disclosureClassOf'>,
  op: ApprovedOperation,
  format: FeedFormat,
  variables: Record<string, unknown>,
  caller: Caller,
  variablesKey: string = JSON.stringify(variables),
): Promise<BuiltResponse | FeedRefusal> {
  const generation = await deps.generation();
  const key = `feed|${op.name}|${format}|${deps.disclosureClassOf(caller)}|${variablesKey}`;
  let refused: FeedRefusal | null = null;
  const build = async (): Promise<BuiltResponse | null> => {
    const result = await deps.execute(op, variables, caller);
    if (statusOf(result) !== 200) {
      const first = result.errors![0]!;
      refused = { code: (first.extensions?.code as ErrorCode) ?? 'BAD_REQUEST', message: first.message };
      return null;
    }
    const lastModifiedMs = newestReport(generation);
    const body = feedBody(op, format, variables, result.data, lastModifiedMs);
    return {
      body,
      // An .xlsx is a zip already: compressing it again gains nothing.
      coded: new CodedBody(body, format !== 'xlsx'),
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      lastModifiedMs,
    };
  };
  const built = await deps.responses.get(key, generation, build);
  if (built) return built;
  if (refused) return refused;
  // A concurrent build (shared with this request) failed: build once more, uncached, for this answer.
  return (await build()) ?? refused ?? { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' };
}

/** A feed's body in one format from the operation's result (`data`); CSV and .xlsx by the feed's table. */
function feedBody(
  op: ApprovedOperation,
  format: FeedFormat,
  parameters: Record<string, unknown>,
  data: FormattedExecutionResult['data'],
  generatedAtMs: number,
): Buffer {
  if (format === 'json') return Buffer.from(JSON.stringify({ feed: op.name, parameters, data }));
  // findFeed refuses a CSV or .xlsx of an operation without a table before anything runs.
  const table = feedTable(op.name)!;
  const rows = rowsOf(table, data);
  if (format === 'csv') return Buffer.from(toCsv(table, rows));
  return toXlsx(table, rows, { feed: op.name, parameters, generatedAtMs });
}

/** A feed response's headers for one cache scope, format and content coding, made once per built response. */
interface FeedHeaderSet {
  /** Those of a 200 and of its 304 alike (no media type or coding: a 304 has no body). */
  readonly common: Readonly<Record<string, string>>;
  /** A 200's, media type and coding included, as the flat name/value list node's `writeHead` takes. */
  readonly ok: readonly string[];
  /** A 304's, as the same list. */
  readonly notModified: readonly string[];
}

const CODINGS: readonly ContentCoding[] = ['identity', 'br', 'gzip'];

/**
 * Feed headers per built response, cache scope, format and coding: pollers get the same bytes, so the same
 * headers. The request path writes the lists as they are; copying an object and adding fields to it per
 * request cost about 8 µs (V8 took a slow path for each field added to the copy).
 */
const headersOfBuilt = new WeakMap<BuiltResponse, Array<FeedHeaderSet | undefined>>();

/**
 * The ETag of a built body sent in `coding`. A compressed form is another representation, so it gets its
 * own strong validator (RFC 9110 §8.8.3): the body's, with the coding added inside the quotes.
 */
export function feedEtag(built: Pick<BuiltResponse, 'etag'>, coding: ContentCoding): string {
  return coding === 'identity' ? built.etag : `${built.etag.slice(0, -1)}-${coding}"`;
}

function feedHeaderSet(
  built: BuiltResponse,
  caller: Caller,
  format: FeedFormat,
  coding: ContentCoding,
): FeedHeaderSet {
  const scope = caller.via === 'public-feed' ? 'public' : 'private';
  let sets = headersOfBuilt.get(built);
  if (!sets) headersOfBuilt.set(built, (sets = []));
  // One slot per scope, format and coding (no key string made per request).
  const slot =
    ((scope === 'public' ? 0 : 1) * FEED_FORMATS.length + FEED_FORMATS.indexOf(format)) * CODINGS.length +
    CODINGS.indexOf(coding);
  let set = sets[slot];
  if (!set) {
    const common = {
      etag: feedEtag(built, coding),
      'last-modified': new Date(Math.floor(built.lastModifiedMs / 1000) * 1000).toUTCString(),
      'cache-control': `${scope}, max-age=${FEED_MAX_AGE_SECONDS}, must-revalidate`,
      // Origin: the CORS headers depend on it (access.corsOrigins), so a shared cache must not give a
      // response made for one page (or for none) to another. Accept-Encoding: the coding depends on it.
      vary: 'Authorization, Origin, Accept-Encoding',
    };
    const notModified = Object.entries(common).flat();
    const ok = [...notModified, 'content-type', feedContentType(format)];
    if (coding !== 'identity') ok.push('content-encoding', coding);
    set = Object.freeze({
      common: Object.freeze(common),
      ok: Object.freeze(ok),
      notModified: Object.freeze(notModified),
    });
    sets[slot] = set;
  }
  return set;
}

/** How a feed response goes out to one request: its coding, body and header list. */
export interface FeedAnswer {
  readonly status: 200 | 304;
  /** The 200's body in the chosen coding; null for a 304. */
  readonly body: Buffer | null;
  /** Flat name/value list as node's `writeHead` takes (shared: not to be changed). */
  readonly headers: readonly string[];
}

/**
 * The answer to a GET of a built feed: 304 when the request's validators match (`notModified`), else the
 * body in the coding its Accept-Encoding prefers (`chooseCoding`), with that coding's ETag and headers.
 * One function for both request paths, so the two cannot answer differently.
 */
export function feedAnswer(
  built: BuiltResponse,
  caller: Caller,
  format: FeedFormat,
  request: {
    ifNoneMatch: string | undefined;
    ifModifiedSince: string | undefined;
    acceptEncoding: string | string[] | undefined;
  },
): FeedAnswer {
  const coding = built.coded.codingFor(chooseCoding(request.acceptEncoding));
  const set = feedHeaderSet(built, caller, format, coding);
  if (notModified(request, built)) return { status: 304, body: null, headers: set.notModified };
  return { status: 200, body: built.coded.bytes(coding), headers: set.ok };
}

/**
 * Whether an If-None-Match header names this body, in any of its codings: a client that cached the gzip
 * form and now asks without gzip still holds the same content, so it gets its 304.
 */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || CODINGS.some((coding) => tag === feedEtag({ etag }, coding));
  });
}

/**
 * Whether a conditional GET of a built feed is answered 304 (RFC 9110 §13.2.2): by its ETag when the
 * request has If-None-Match (which then decides alone), else by If-Modified-Since against Last-Modified
 * at the whole second it is sent with. A date that cannot be read is ignored, as the RFC says.
 */
export function notModified(
  headers: { ifNoneMatch: string | undefined; ifModifiedSince: string | undefined },
  built: Pick<BuiltResponse, 'etag' | 'lastModifiedMs'>,
): boolean {
  if (headers.ifNoneMatch !== undefined) return matchesEtag(headers.ifNoneMatch, built.etag);
  if (headers.ifModifiedSince === undefined) return false;
  const since = Date.parse(headers.ifModifiedSince);
  return !Number.isNaN(since) && Math.floor(built.lastModifiedMs / 1000) * 1000 <= since;
}

/** The media type of a feed format. */
export function feedContentType(format: FeedFormat): string {
  return FEED_MEDIA_TYPES[format];
}

const FEED_MEDIA_TYPES: Readonly<Record<FeedFormat, string>> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xlsx: XLSX_MEDIA_TYPE,
};

/** Longest a client or proxy may reuse a feed response before revalidating (seconds). */
export const FEED_MAX_AGE_SECONDS = 60;

/** A variable a feed takes as a query-string parameter. */
export interface VariableSpec {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
}

/** Variable specs per operation, read once from its document (feeds are polled all day). */
const variableSpecs = new WeakMap<ApprovedOperation, VariableSpec[]>();

/** The variables a feed takes, from its operation's document. */
export function variablesOf(op: ApprovedOperation): VariableSpec[] {
  let specs = variableSpecs.get(op);
  if (!specs) variableSpecs.set(op, (specs = readVariables(op)));
  return specs;
}

function readVariables(op: ApprovedOperation): VariableSpec[] {
  const def = parse(op.document).definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  return (def?.variableDefinitions ?? []).map((v) => {
    const required = v.type.kind === Kind.NON_NULL_TYPE;
    const named = required ? (v.type as { type: { kind: string; name?: { value: string } } }).type : v.type;
    return {
      name: v.variable.name.value,
      type: named.kind === Kind.NAMED_TYPE ? (named.name?.value ?? 'Unknown') : 'List',
      required,
    };
  });
}

/** Query-string values to GraphQL variables, by the operation's declared types; coercion errors come from GraphQL. */
export function parseVariables(
  op: ApprovedOperation,
  query: Record<string, unknown>,
): { variables: Record<string, unknown> } | { error: string } {
  const specs = variablesOf(op);
  const known = new Set(specs.map((s) => s.name));
  const unknown = Object.keys(query).filter((k) => !known.has(k));
  if (unknown.length) {
    const accepted =
      specs.map((s) => `${s.name} (${s.type}${s.required ? ', required' : ''})`).join(', ') || 'none';
    return { error: `unknown parameter(s) ${unknown.join(', ')}; accepted: ${accepted}` };
  }
  const variables: Record<string, unknown> = {};
  for (const spec of specs) {
    const raw = query[spec.name];
    if (raw === undefined) continue;
    if (typeof raw !== 'string') return { error: `parameter ${spec.name} must be given once` };
    if (spec.type === 'Int') {
      if (!/^-?\d{1,10}$/.test(raw))
        return { error: `parameter ${spec.name} must be a whole number; got "${raw.slice(0, 40)}"` };
      variables[spec.name] = Number(raw);
    } else variables[spec.name] = raw;
  }
  return { variables };
}

function statusOf(result: FormattedExecutionResult): number {
  if (!result.errors?.length) return 200;
  const code = String(result.errors[0]?.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
  return code in ERROR_CODES ? ERROR_CODES[code as ErrorCode].status : 400;
}

/** What reading a feed asks of the access policy (`authorise`). */
export function feedAction(publicFeeds: ReadonlySet<string>, op: ApprovedOperation): FeedAction {
  return { kind: 'feed', op, public: publicFeeds.has(op.name) };
}
