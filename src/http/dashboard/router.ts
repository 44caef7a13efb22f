import path from 'node:path';
import type { Response, Router } from 'express';
import express from 'express';
import type { ApprovedOperation } from '../../access/approved-operations';
import { loadApprovedOperations } from '../../access/approved-operations';
import { mayRun } from '../../access/policy';
import { PACKAGE_ROOT } from '../../paths';

/**
 * `/dashboard`: a static page for dashboard keys. The page itself is open (it holds no data); it asks for
 * a key, keeps it in sessionStorage (never in the URL), and reads everything through `/graphql` with the
 * approved operations, by document id, as any dashboard client must. It opens on the latest date the
 * sources give a headline figure for (from `national-series`); a chosen date, window, series interval and
 * breakdown dimension go in the query string (`?date=2018-01-17&window=365&every=YEAR&by=MAPPA_LEVEL`) so
 * that a view can be shared. Breakdowns come from `national-breakdown`, under the key's disclosure
 * control. Live updates come over graphql-ws (`figures-changed`), with polling as the fallback. Everything
 * it loads is served from here: no CDN.
 */

/** The page's own files (resolved from the package root, so the same from `src/` and from `dist/`). */
export const DASHBOARD_PUBLIC_DIR = path.join(PACKAGE_ROOT, 'src', 'http', 'dashboard', 'public');

/** The operations the page runs, by feed-style name. */
export const DASHBOARD_OPERATIONS = [
  'national-latest',
  'national-series',
  'national-breakdown',
  'sources-status',
  'figures-changed',
] as const;

/**
 * The page's Content-Security-Policy: scripts, styles and connections from this origin only (no inline
 * script or style; `'self'` covers the same-origin ws:/wss: of the subscription in CSP Level 3), no
 * framing, no plugins.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Vendor scripts served from node_modules, by the name the page asks for. */
function vendorFiles(): ReadonlyMap<string, string> {
  // chart.js's main file is dist/chart.cjs; its UMD build sits beside it.
  const chart = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  // graphql-ws exports no ./umd subpath, but it exports its package.json, beside which the UMD build lives.
  const graphqlWs = path.join(
    path.dirname(require.resolve('graphql-ws/package.json')),
    'umd',
    'graphql-ws.min.js',
  );
  return new Map([
    ['chart.umd.min.js', chart],
    ['graphql-ws.min.js', graphqlWs],
  ]);
}

/** The page's own files besides index.html (a fixed list: nothing else under public/ is reachable). */
const PAGE_FILES: ReadonlyMap<string, string> = new Map([
  ['app.js', 'app.js'],
  ['styles.css', 'styles.css'],
]);

/** What `GET /dashboard/operations.json` serves for one operation: its document id and its exact text. */
export interface DashboardOperation {
  readonly name: string;
  readonly operationName: string;
  /** Hex SHA-256: the APQ `sha256Hash`. */
  readonly sha256: string;
  /** The trusted document, exactly as in the manifest (a subscription is sent as this text). */
  readonly document: string;
}

/** The dashboard-approved operations the page uses (those not (yet) approved are simply absent). */
export function dashboardOperations(
  approved: readonly ApprovedOperation[],
): Record<string, DashboardOperation> {
  const out: Record<string, DashboardOperation> = {};
  for (const op of approved) {
    if (!(DASHBOARD_OPERATIONS as readonly string[]).includes(op.name)) continue;
    if (!mayRun('dashboard', op)) continue;
    out[op.name] = {
      name: op.name,
      operationName: op.operationName,
      sha256: op.sha256,
      document: op.document,
    };
  }
  return out;
}

/**
 * The headers of every page people open (the dashboard, the front door, the workbench): `csp` (by default
 * `DASHBOARD_CSP`), no sniffing, no framing, no referrer, and this origin only.
 */
export function pageHeaders(res: Response, csp: string = DASHBOARD_CSP): void {
  res.set({
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  });
}

/**
 * The dashboard's routes: the page at `/dashboard` (and `/dashboard/`), its script and styles, the vendor
 * scripts, and `operations.json` (operation names to document ids and texts, from the approved operations,
 * and whether sign-in is offered).
 */
export function dashboardRouter(
  approved: readonly ApprovedOperation[] = loadApprovedOperations(),
  options: { readonly signIn?: boolean } = {},
): Router {
  const router = express.Router({ strict: true });
  const vendor = vendorFiles();
  // `signIn`: whether /auth/* is there (access.oidc), so the page offers sign-in beside the key.
  const operations = JSON.stringify({
    operations: dashboardOperations(approved),
    signIn: options.signIn === true,
  });

  const sendFile = (res: Response, file: string, cacheControl: string) => {
    pageHeaders(res);
    res.set('cache-control', cacheControl);
    res.sendFile(file, { dotfiles: 'deny', etag: false, lastModified: false });
  };

  router.get(['/dashboard', '/dashboard/'], (_req, res) => {
    sendFile(res, path.join(DASHBOARD_PUBLIC_DIR, 'index.html'), 'no-cache');
  });
  router.get('/dashboard/operations.json', (_req, res) => {
    pageHeaders(res);
    res.set('cache-control', 'no-cache').type('application/json').send(operations);
  });
  router.get('/dashboard/vendor/:file', (req, res, next) => {
    const file = vendor.get(req.params.file);
    if (!file) return next();
    sendFile(res, file, 'public, max-age=3600');
  });
  router.get('/dashboard/:file', (req, res, next) => {
    const file = PAGE_FILES.get(req.params.file);
    if (!file) return next();
    sendFile(res, path.join(DASHBOARD_PUBLIC_DIR, file), 'no-cache');
  });
  return router;
}
