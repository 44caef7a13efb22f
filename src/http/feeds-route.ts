import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApprovedOperation } from '../access/approved-operations';
import { hashVariables } from '../access/audit';
import type { FeedAction } from '../access/policy';
import { PUBLIC_FEED, authorise } from '../access/policy';
import type { ErrorCode } from '../errors';
import type { Exchange, ExchangeLog } from './exchange';
import { memoByString } from './string-memo';
import { FEED_FORMATS, feedFormatsOf, feedTable } from './feed-tables';
import { columnNames } from './feed-tables/table';
import type { FeedFormat, FeedsDeps } from './feeds';
import {
  feedAction,
  feedAnswer,
  feedOperations,
  findFeed,
  parseVariables,
  renderFeed,
  variablesOf,
} from './feeds';

/** What the /feeds route needs from the app. */
export interface FeedsRouteDeps extends FeedsDeps {
  readonly exchanges: ExchangeLog;
  /** Sets the CORS headers of `access.corsOrigins` and answers preflights; calls `next` otherwise. */
  readonly cors: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
}

/** What is wrong with a feed URL: an error of the registry. */
interface UrlError {
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * A feed URL read: no feed (`unknown`: 404 whoever asks), a feed with parameters that are wrong
 * (`invalid`: refused after access is decided, so that a caller who may not read the feed learns nothing
 * of its parameters), or a feed to run.
 */
type FeedRequest =
  | { readonly kind: 'unknown'; readonly error: UrlError }
  | {
      readonly kind: 'invalid';
      readonly op: ApprovedOperation;
      readonly action: FeedAction;
      readonly error: UrlError;
    }
  | {
      readonly kind: 'feed';
      readonly op: ApprovedOperation;
      readonly action: FeedAction;
      readonly format: FeedFormat;
      readonly variables: Readonly<Record<string, unknown>>;
      readonly variablesKey: string;
      readonly variablesHash: string | null;
    };

/** The message of a path under /feeds that is not a feed's, or of a method other than GET. */
const NO_SUCH_RESOURCE = 'no such resource; see /graphql, /feeds, /dashboard, /healthz and /readyz';

/** A feed's path in each form, null for a form it does not have (the listing's shape). */
function pathsOf(name: string): Record<FeedFormat, string | null> {
  const formats = feedFormatsOf(name);
  return Object.fromEntries(
    FEED_FORMATS.map((format) => [format, formats.includes(format) ? `/feeds/${name}.${format}` : null]),
  ) as Record<FeedFormat, string | null>;
}

/**
 * Journalists' data feeds on the one request path: every approved query is also
 * `GET /feeds/<name>.json`, `.csv` and `.xlsx`, with variables from the query string (validated by the
 * operation's own types), ETag / Last-Modified / Cache-Control, 304s and compression (`feedAnswer`), so
 * that a spreadsheet or a script can poll it cheaply; `GET /feeds` lists them. Who may read which feed is
 * the access policy's (`authorise`): the roles a feed's operation is approved for, and anyone for a feed
 * in `access.publicFeeds` (read without a key as a journalist). Bodies are built once per snapshot
 * generation, disclosure class and variables (`renderFeed`). Every answer goes out through the
 * `ExchangeLog`. The handler takes the request's path as the app routed it (not parsed again).
 */
export function createFeedsRoute(
  deps: FeedsRouteDeps,
): (req: IncomingMessage, res: ServerResponse, path: string) => void {
  const feeds = feedOperations(deps.approved);

  /** A feed URL (`<file>?<search>`) read, once per distinct URL: pollers repeat theirs all day. */
  const readFeedUrl = memoByString(
    (url: string): FeedRequest => {
      const q = url.indexOf('?');
      return readFeedRequest(url.slice(0, q), url.slice(q + 1));
    },
    { max: 1000, maxLength: 4096 },
  );

  function readFeedRequest(file: string, search: string): FeedRequest {
    const found = findFeed(feeds, file);
    if ('code' in found) return { kind: 'unknown', error: found };
    const action = feedAction(deps.publicFeeds, found.op);
    // A repeated parameter is an array here, so that parseVariables says it must be given once.
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of new URLSearchParams(search)) {
      const before = query[name];
      query[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
    }
    const parsed = parseVariables(found.op, query);
    if ('error' in parsed)
      return {
        kind: 'invalid',
        op: found.op,
        action,
        error: { code: 'BAD_USER_INPUT', message: parsed.error },
      };
    // Frozen: one parse is shared by every request that sends the same URL.
    const variables = Object.freeze(parsed.variables);
    return {
      kind: 'feed',
      op: found.op,
      action,
      format: found.format,
      variables,
      variablesKey: JSON.stringify(variables),
      variablesHash: hashVariables(variables),
    };
  }

  const index = async (ex: Exchange): Promise<void> => {
    const admission = await deps.gate.admit(ex.req.headers, ex.req.socket.remoteAddress);
    ex.audit.caller = admission.caller;
    if (!admission.ok) return deps.exchanges.refuseAccess(ex, admission.refusal);
    ex.audit.operation = 'feeds';
    const caller = admission.caller;
    const body = JSON.stringify({
      feeds: feeds
        .filter((op) => authorise(caller, feedAction(deps.publicFeeds, op)).ok)
        .map((op) => {
          const table = feedTable(op.name);
          return {
            name: op.name,
            description: op.description,
            ...pathsOf(op.name),
            // Each feed's own: the columns differ by feed (a figure per row, a point per row).
            csvColumns: table ? columnNames(table) : null,
            parameters: variablesOf(op),
            roles: op.roles,
            approvedBy: op.approvedBy,
            approvedOn: op.approvedOn,
            public: deps.publicFeeds.has(op.name),
          };
        }),
    });
    deps.exchanges.respond(ex, 200, ['content-type', 'application/json; charset=utf-8'], body);
  };

  const feed = async (ex: Exchange, file: string, search: string): Promise<void> => {
    const read = readFeedUrl(`${file}?${search}`);
    // A file that names no feed is 404 whoever asks: no key is needed to learn that.
    if (read.kind === 'unknown') return deps.exchanges.refuse(ex, read.error.code, read.error.message);
    const { req } = ex;
    const admission = await deps.gate.admit(
      req.headers,
      req.socket.remoteAddress,
      read.action.public ? PUBLIC_FEED : undefined,
    );
    ex.audit.caller = admission.caller;
    if (!admission.ok) return deps.exchanges.refuseAccess(ex, admission.refusal);
    const caller = admission.caller;
    ex.audit.operation = `feed:${read.op.name}`;
    const verdict = authorise(caller, read.action);
    if (!verdict.ok) return deps.exchanges.refuseAccess(ex, verdict.refusal);
    if (read.kind === 'invalid') return deps.exchanges.refuse(ex, read.error.code, read.error.message);
    ex.audit.variablesHash = read.variablesHash;
    const built = await renderFeed(deps, read.op, read.format, read.variables, caller, read.variablesKey);
    if ('code' in built) return deps.exchanges.refuse(ex, built.code, built.message);
    const inm = req.headers['if-none-match'];
    const answer = feedAnswer(built, caller, read.format, {
      ifNoneMatch: Array.isArray(inm) ? inm.join(',') : inm,
      ifModifiedSince: req.headers['if-modified-since'],
      acceptEncoding: req.headers['accept-encoding'],
    });
    deps.exchanges.respond(ex, answer.status, answer.headers, req.method === 'HEAD' ? null : answer.body);
  };

  const serve = (ex: Exchange): Promise<void> => {
    const method = ex.req.method;
    if (method !== 'GET' && method !== 'HEAD') {
      deps.exchanges.refuse(ex, 'NOT_FOUND', NO_SUCH_RESOURCE);
      return Promise.resolve();
    }
    if (ex.path === '/feeds' || ex.path === '/feeds/') return index(ex);
    const url = ex.req.url ?? '';
    const file = ex.path.slice('/feeds/'.length);
    if (file.includes('/')) {
      deps.exchanges.refuse(ex, 'NOT_FOUND', NO_SUCH_RESOURCE);
      return Promise.resolve();
    }
    let name = file;
    if (file.includes('%')) {
      try {
        name = decodeURIComponent(file);
      } catch {
        // Not valid percent-encoding: looked up as it is, and not found.
      }
    }
    return feed(ex, name, url.length > ex.path.length ? url.slice(ex.path.length + 1) : '');
  };

  return (req, res, path) => {
    const ex = deps.exchanges.begin(req, res, path, '/feeds');
    const run = () => {
      serve(ex).catch((error: unknown) => deps.exchanges.failed(ex, error));
    };
    if (req.headers.origin === undefined) return run();
    deps.cors(req, res, run);
    // A preflight is answered by the CORS handler itself.
    if (res.writableEnded) deps.exchanges.record(ex, res.statusCode);
  };
}
