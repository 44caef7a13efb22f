import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response, Router } from 'express';
import express from 'express';
import { PACKAGE_JSON, PACKAGE_ROOT } from '../../paths';
import { pageHeaders } from '../dashboard/router';
import { sendError } from '../errors';

/**
 * `/`: the front door. A browser gets a small page saying what this service is, with links to where
 * people and programs go next; an API client (`Accept: application/json`, or no preference) gets the
 * same facts as JSON. It holds no data and no personal data, asks no key, and loads nothing from
 * elsewhere: its one stylesheet is served from here under a content-hashed name, cached for a year.
 */

/** A place the front door points to. */
export interface Door {
  readonly name: string;
  readonly path: string;
  readonly what: string;
}

/** What the front door says, in both forms. */
export interface FrontDoorFacts {
  readonly service: 'Whereabouts';
  readonly description: string;
  readonly version: string;
  readonly runtime: string;
  readonly doors: readonly Door[];
}

/** The facts of this gateway: its version and runtime, and the doors it has. */
export function frontDoorFacts(): FrontDoorFacts {
  return {
    service: 'Whereabouts',
    description:
      'National counts of registered sex offenders whose whereabouts are unknown, gathered from each UK ' +
      "police force's source, with the forces each total covers and how fresh each figure is. Counts only: " +
      'no personal data.',
    version: PACKAGE_JSON.version,
    runtime: `Node.js ${process.versions.node}`,
    doors: [
      {
        name: 'Dashboard',
        path: '/dashboard',
        what: 'the national picture and its history, for a dashboard key',
      },
      {
        name: 'Workbench',
        path: '/workbench',
        what: 'write and run GraphQL queries in the browser (GraphiQL), with an API key',
      },
      {
        name: 'Data feeds',
        path: '/feeds',
        what: 'approved operations as JSON, CSV and .xlsx, for journalists and scripts (a key, unless public)',
      },
      {
        name: 'GraphQL',
        path: '/graphql',
        what: 'the API, for analysts and operators (POST with a key; see the README for clients)',
      },
      { name: 'Health', path: '/healthz', what: 'whether the process is up' },
      { name: 'Readiness', path: '/readyz', what: 'whether it can serve, and why not' },
    ],
  };
}

/** The page's stylesheet, read once, and its name with its content hash (a new file is a new name). */
function stylesheet(): { readonly name: string; readonly body: Buffer } {
  const body = fs.readFileSync(path.join(PACKAGE_ROOT, 'src', 'http', 'front-door', 'front-door.css'));
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return { name: `front-door.${hash}.css`, body };
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML content and quoted attributes. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The page: the facts, with links; no script, and styles only from the hashed stylesheet. */
export function frontDoorPage(facts: FrontDoorFacts, stylesheetPath: string): string {
  const doors = facts.doors
    .map(
      (d) =>
        `      <li><a href="${escapeHtml(d.path)}">${escapeHtml(d.name)}</a> <code>${escapeHtml(d.path)}</code><span>${escapeHtml(d.what)}</span></li>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en-GB">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeHtml(facts.service)}</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${escapeHtml(stylesheetPath)}" />
  </head>
  <body>
    <main>
      <h1>${escapeHtml(facts.service)}</h1>
      <p class="lead">${escapeHtml(facts.description)}</p>
      <ul class="doors">
${doors}
      </ul>
    </main>
    <footer>Version ${escapeHtml(facts.version)} · ${escapeHtml(facts.runtime)}</footer>
  </body>
</html>
`;
}

/** The front door's routes: `/` in either form, and its stylesheet. */
export function frontDoorRouter(facts: FrontDoorFacts = frontDoorFacts()): Router {
  const router = express.Router({ strict: true });
  const css = stylesheet();
  const cssPath = `/${css.name}`;
  const page = frontDoorPage(facts, cssPath);
  const json = JSON.stringify(facts);

  router.get('/', (req: Request, res: Response) => {
    pageHeaders(res);
    // The answer depends on Accept: a shared cache must keep the two forms apart.
    res.set({ vary: 'Accept', 'cache-control': 'no-cache' });
    // JSON first: a client with no preference (curl's */*) is a program; a browser prefers text/html.
    const form = req.accepts(['json', 'html']);
    if (form === 'html') res.type('html').send(page);
    else if (form === 'json') res.type('json').send(json);
    else sendError(res, 'NOT_ACCEPTABLE', 'the front door is served as application/json or text/html');
  });
  router.get(cssPath, (_req: Request, res: Response) => {
    pageHeaders(res);
    res.set('cache-control', 'public, max-age=31536000, immutable').type('css').send(css.body);
  });
  return router;
}
