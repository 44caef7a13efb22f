import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Request, Response, Router } from 'express';
import express from 'express';
import Negotiator from 'negotiator';
import { Kind, parse } from 'graphql';
import type { OperationDefinitionNode } from 'graphql';
import type { ApprovedOperation } from '../../access/approved-operations';
import { loadApprovedOperations } from '../../access/approved-operations';
import type { Caller } from '../../access/caller';
import type { AccessGate } from '../../access/policy';
import { INTROSPECTION, OWN_QUERY, authorise } from '../../access/policy';
import { pageHeaders } from '../dashboard/router';
import { sendError } from '../errors';
import { admitRequest } from '../express-access';
import type { VariableSpec } from '../feeds';
import { variablesOf } from '../feeds';
import type { WorkbenchManifest } from './bundle';
import { WORKBENCH_DIST_DIR, readWorkbenchManifest } from './bundle';

/**
 * `/workbench`: the analysts' workbench, GraphiQL 5 served from this gateway's own files (bundled at
 * `npm run build` by `build.ts`; nothing from a CDN, fonts included). The page is open (it holds no data);
 * it asks for an API key, keeps it in the tab's sessionStorage and sends it as a bearer token, or, where
 * sign-in is configured (`access.oidc`), lets the person sign in instead and then sends the session cookie
 * with its CSRF token (as the dashboard does). What the key or session may do comes from the access policy (`GET /workbench/key.json`): a key that may send its own query
 * text (analyst, operator) gets the whole IDE with the schema from introspection; any other key gets the
 * approved operations its role may run, run by document id. A browser that opens `GET /graphql` itself
 * is sent here (303); API clients are not.
 */

/** Where the workbench is. */
export const WORKBENCH_PATH = '/workbench';

/** Where its bundled files are served, each under its content-hashed name. */
export const WORKBENCH_ASSETS_PATH = `${WORKBENCH_PATH}/assets`;

/** Assets are named by their content: a new build is a new name, so each is cached for a year. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The workbench's Content-Security-Policy: the dashboard's (`DASHBOARD_CSP`), extended only as far as
 * GraphiQL and its Monaco editors need.
 *
 * - `worker-src 'self'`: Monaco's language services run in web workers, each a bundled file from here.
 * - `style-src-elem 'self' 'nonce-…'`: Monaco writes its theme and decoration rules into <style> elements
 *   it creates at run time. They get this response's nonce (`client/csp-nonce.js` stamps every <style>
 *   the page's own scripts create), so a <style> in injected markup is still refused.
 * - `style-src-attr 'unsafe-inline'`: Monaco renders each line of an editor as an HTML string whose
 *   elements are placed by `style="top:…px; height:…px"` attributes (viewLine.js, viewOverlays.js). An
 *   attribute cannot carry a nonce, and the values change with every scroll, so no hash can list them:
 *   without this the editors draw every line on top of the first. It admits style attributes only, which
 *   have no selectors (nothing can be read out of the page with them) and load nothing: images and fonts
 *   still come from this origin only (`img-src`, `font-src`).
 * - `style-src 'self'`: the stylesheet, and the fallback for a browser without the two directives above
 *   (such a browser is then refused the editors' styles; it predates Chrome 75, Firefox 108, Safari 15.4).
 *
 * Everything else is the dashboard's: scripts and connections from this origin only, no inline script,
 * no eval, no framing, no plugins, no forms posting elsewhere.
 */
export function workbenchCsp(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `style-src-elem 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A fresh nonce per page: 128 random bits, base64 (as CSP's nonce-source grammar allows). */
function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/** The page: the stylesheet and the one script, under their hashed names, and the nonce for Monaco's styles. */
export function workbenchPage(manifest: WorkbenchManifest, nonce: string): string {
  return `<!doctype html>
<html lang="en-GB">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta property="csp-nonce" nonce="${nonce}" />
    <title>Whereabouts: workbench</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${WORKBENCH_ASSETS_PATH}/${manifest.stylesheet}" />
    <script src="${WORKBENCH_ASSETS_PATH}/${manifest.script}" defer></script>
  </head>
  <body data-state="loading">
    <div id="workbench"></div>
    <noscript>
      The workbench is a GraphQL editor that runs in the browser, and needs JavaScript. Without it, send
      queries to /graphql with any GraphQL client.
    </noscript>
  </body>
</html>
`;
}

/** What `GET /workbench/operations.json` says of one approved operation. */
export interface WorkbenchOperation {
  /** Feed-style name (`national-latest`). */
  readonly name: string;
  readonly operationName: string;
  readonly kind: 'query' | 'mutation' | 'subscription';
  readonly description: string;
  /** The roles its `@roles` metadata names. */
  readonly roles: readonly string[];
  /** Hex SHA-256: the APQ `sha256Hash` it is sent by. */
  readonly sha256: string;
  /** The trusted document, exactly as in the manifest. */
  readonly document: string;
  readonly variables: readonly VariableSpec[];
}

/** Every approved operation, as the workbench lists and sends them. */
export function workbenchOperations(approved: readonly ApprovedOperation[]): WorkbenchOperation[] {
  return approved.map((op) => {
    const definition = parse(op.document).definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    return {
      name: op.name,
      operationName: op.operationName,
      kind: definition?.operation ?? 'query',
      description: op.description,
      roles: op.roles,
      sha256: op.sha256,
      document: op.document,
      variables: variablesOf(op),
    };
  });
}

/** What `GET /workbench/key.json` tells a key about itself: what the access policy lets it do. */
export interface KeyAbilities {
  readonly role: string;
  /** It may send its own query text (else approved operations only, by document id). */
  readonly ownQueries: boolean;
  /** It may introspect the schema (`__schema`, `__type`). */
  readonly introspection: boolean;
  /** The approved operations it may run, by name, in file order. */
  readonly operations: readonly string[];
}

/** What `caller` may do, asked of the access policy (`authorise`) and decided nowhere else. */
export function keyAbilities(caller: Caller, approved: readonly ApprovedOperation[]): KeyAbilities {
  return {
    role: caller.role,
    ownQueries: authorise(caller, OWN_QUERY).ok,
    introspection: authorise(caller, INTROSPECTION).ok,
    operations: approved
      .filter((op) => authorise(caller, { kind: 'approvedOperation', op }).ok)
      .map((op) => op.name),
  };
}

/** Media types a GET /graphql can be answered in: the API's, in the route's order, then a page. */
const GRAPHQL_OR_PAGE = ['application/json', 'application/graphql-response+json', 'text/html'];

/**
 * Whether a request to `/graphql` is a browser opening it: a GET with no query string whose Accept
 * prefers HTML to JSON (a browser's address bar does). Such a request asks no operation, so the API would
 * only refuse it; it is sent to the workbench instead. Any other request (a POST, a GET with parameters,
 * an Accept that prefers JSON, takes any type alike or says nothing) is the API's, unchanged.
 */
export function opensWorkbench(req: IncomingMessage): boolean {
  if (req.method !== 'GET') return false;
  const url = req.url ?? '';
  if (url !== '/graphql' && url !== '/graphql?') return false;
  const accept = req.headers.accept;
  if (!accept) return false;
  return new Negotiator({ headers: { accept } }).mediaType(GRAPHQL_OR_PAGE) === 'text/html';
}

/** What a client is told when the workbench is not built on this server. */
export const NOT_BUILT = 'the workbench is not built on this server (npm run build builds it)';

/** Options of `workbenchRouter`. */
export interface WorkbenchRouterOptions {
  /** Admits the caller of `key.json` (credentials and rate limit), as every keyed route does. */
  readonly gate: AccessGate;
  /** Where the built files are; by default `dist/workbench/`. */
  readonly dir?: string;
  /** Told once when the workbench is not built (it then answers 503 and says how to build it). */
  readonly onNotBuilt?: (error: Error) => void;
  /** Whether /auth/* is there (access.oidc), so the page offers sign-in beside the key. */
  readonly signIn?: boolean;
}

/**
 * The workbench's routes: the page at `/workbench` (and `/workbench/`), its hashed assets,
 * `operations.json` (every approved operation, and whether sign-in is offered: open, like the dashboard's),
 * `key.json` (what the key or session sent may do: 401 without a valid one, 403 for a session cookie
 * without its CSRF token), and the browser's `GET /graphql` (303 to the page; see
 * `opensWorkbench`, which the app asks before routing /graphql here).
 */
export function workbenchRouter(
  options: WorkbenchRouterOptions,
  approved: readonly ApprovedOperation[] = loadApprovedOperations(),
): Router {
  const router = express.Router({ strict: true });
  const dir = options.dir ?? WORKBENCH_DIST_DIR;
  let manifest: WorkbenchManifest | null = null;
  try {
    manifest = readWorkbenchManifest(dir);
  } catch (error) {
    // The details (paths) go to the log, not to a client.
    options.onNotBuilt?.(error as Error);
  }
  const operations = JSON.stringify({
    operations: workbenchOperations(approved),
    signIn: options.signIn === true,
  });

  router.get('/graphql', (_req: Request, res: Response) => {
    pageHeaders(res);
    res.set({ vary: 'Accept', 'cache-control': 'no-store' }).redirect(303, WORKBENCH_PATH);
  });
  router.get([WORKBENCH_PATH, `${WORKBENCH_PATH}/`], (_req: Request, res: Response) => {
    if (!manifest) return sendError(res, 'SERVICE_UNAVAILABLE', NOT_BUILT);
    const nonce = newNonce();
    pageHeaders(res, workbenchCsp(nonce));
    // The page carries this response's nonce: never kept, so never reused.
    res.set('cache-control', 'no-store').type('html').send(workbenchPage(manifest, nonce));
  });
  router.get(`${WORKBENCH_PATH}/operations.json`, (_req: Request, res: Response) => {
    pageHeaders(res);
    res.set('cache-control', 'no-cache').type('application/json').send(operations);
  });
  router.get(`${WORKBENCH_PATH}/key.json`, admitRequest(options.gate), (_req: Request, res: Response) => {
    pageHeaders(res);
    res
      .set('cache-control', 'no-store')
      .type('application/json')
      .send(JSON.stringify(keyAbilities(res.locals.caller as Caller, approved)));
  });
  router.get(`${WORKBENCH_ASSETS_PATH}/:file`, (req: Request, res: Response, next) => {
    const name = String(req.params.file);
    // Only the files the manifest lists (hashed names): nothing else in the folder is reachable.
    const file = manifest && Object.hasOwn(manifest.files, name) ? manifest.files[name]! : null;
    if (!file) return next();
    pageHeaders(res);
    res.set({ 'cache-control': IMMUTABLE, 'content-type': file.contentType });
    let served = name;
    if (file.gzipBytes !== null) {
      res.vary('Accept-Encoding');
      // Gzip only when asked for: no Accept-Encoding at all gets the bytes as they are.
      if (req.headers['accept-encoding'] && req.acceptsEncodings('gzip', 'identity') === 'gzip') {
        res.set('content-encoding', 'gzip');
        served = `${name}.gz`;
      }
    }
    res.sendFile(path.join(dir, served), { dotfiles: 'deny', etag: false, lastModified: false });
  });
  return router;
}
