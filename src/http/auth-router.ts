import type { Request, Response, Router } from 'express';
import express from 'express';
import { auditOf } from '../access/audit';
import type { OidcClient } from '../access/oidc';
import { SignInError } from '../access/oidc';
import type { AccessGate } from '../access/policy';
import type { SessionStore } from '../access/session-store';
import type { Sessions } from '../access/sessions';
import { SESSION_COOKIE, SIGN_IN_COOKIE, callerOf, handleOf, randomId, readCookie } from '../access/sessions';
import type { ErrorCode } from '../errors';
import { httpStatusOf } from '../errors';
import type { Logger } from '../logger';
import { pageHeaders } from './dashboard/router';
import { sendError } from './errors';
import { sendRefusal } from './express-access';

/**
 * Sign-in for people in browsers, when `access.oidc` is configured (without it none of these routes
 * exist: 404):
 *
 * - `GET /auth/sign-in[?return=/dashboard...]`: begins the authorization code flow (PKCE, state, nonce)
 *   and sends the browser to the provider. What the callback needs is kept server-side for 10 minutes
 *   under a hash of a random id, given to this browser alone in a short-lived cookie.
 * - `GET /auth/callback`: checks the provider's answer against that (once: a second use finds nothing),
 *   exchanges the code, reads the role from the ID token's claim, makes a session and sets its cookie,
 *   then sends the browser back where it began. No role: 403 page and no session.
 * - `POST /auth/sign-out`: ends the session everywhere (CSRF-checked like any session request).
 * - `GET /auth/session`: whether this browser is signed in, as which role, and the CSRF token its page
 *   must send. Nothing personal.
 *
 * Pages a person sees (sign-in and callback) are small HTML pages under the dashboard's CSP; they never
 * show a stack trace, an internal URL or the provider's own answer (those are logged).
 */

/** What the routes need. */
export interface AuthRouterDeps {
  readonly oidc: OidcClient;
  readonly sessions: Sessions;
  /** Where sign-ins under way are kept (the sessions' store). */
  readonly store: SessionStore;
  /** Counts sign-in requests per address (`anonymous` limit). */
  readonly gate: AccessGate;
  readonly logger: Logger;
}

/** How long a sign-in may take from `/auth/sign-in` to the callback. */
export const SIGN_IN_TTL_MS = 10 * 60_000;

/** Where a browser goes after signing in when it did not say. */
const DEFAULT_RETURN = '/dashboard';

/** A path on this gateway to return to: absolute-path only (no scheme, host or `//`), printable, short. */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 512) return DEFAULT_RETURN;
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(value)) return DEFAULT_RETURN;
  return value;
}

/** A Set-Cookie value: always HttpOnly and Secure, on the whole origin (`__Host-` requires both). */
function cookie(name: string, value: string, maxAgeSeconds: number, sameSite: 'Strict' | 'Lax'): string {
  return `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=${sameSite}`;
}

/** A Set-Cookie value that removes a cookie. */
function cleared(name: string, sameSite: 'Strict' | 'Lax'): string {
  return cookie(name, '', 0, sameSite);
}

const escapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const html = (text: string) => text.replace(/[&<>"']/g, (c) => escapes[c]!);

/** A small page a person sees when sign-in goes wrong: the code, what happened, and what to do. */
function sendPage(res: Response, code: ErrorCode, title: string, message: string): void {
  pageHeaders(res);
  res
    .status(httpStatusOf(code))
    .set('cache-control', 'no-store')
    .type('html')
    .send(
      [
        '<!doctype html>',
        '<html lang="en"><head><meta charset="utf-8" />',
        '<meta name="viewport" content="width=device-width, initial-scale=1" />',
        `<title>${html(title)}: Whereabouts</title>`,
        '<link rel="stylesheet" href="/dashboard/styles.css" /></head>',
        `<body data-error-code="${code}"><main class="card auth-page">`,
        `<h1>${html(title)}</h1><p>${html(message)}</p>`,
        `<p class="hint">Error code: <code>${code}</code></p>`,
        '<p><a href="/dashboard">Back to the dashboard</a></p>',
        '</main></body></html>',
      ].join('\n'),
    );
}

/** The routes of sign-in, callback, sign-out and session (see the module comment). */
export function authRouter(deps: AuthRouterDeps): Router {
  const { oidc, sessions, store, gate, logger } = deps;
  const router = express.Router({ strict: true });
  const noStore = (res: Response) => res.set('cache-control', 'no-store');

  /** Counts a request per address; answers 429 and returns false when over the limit. */
  const counted = async (req: Request, res: Response): Promise<boolean> => {
    const refusal = await gate.countAnonymous(req.socket.remoteAddress);
    if (!refusal) return true;
    sendRefusal(res, refusal);
    return false;
  };

  const unavailable = (res: Response, error: unknown, requestId: unknown) => {
    logger.warn({ err: (error as Error).message, requestId }, 'sign-in unavailable');
    sendPage(
      res,
      'SIGN_IN_UNAVAILABLE',
      'Sign-in is unavailable',
      'The identity provider or the session store did not answer just now. Try again in a minute; API keys still work.',
    );
  };

  router.get('/auth/sign-in', async (req, res, next) => {
    try {
      if (!(await counted(req, res))) return;
      let begun;
      try {
        begun = await oidc.begin(safeReturnPath(req.query.return));
        const binding = randomId();
        await store.putPending(handleOf(binding), begun.pending, SIGN_IN_TTL_MS);
        res.append('set-cookie', cookie(SIGN_IN_COOKIE, binding, SIGN_IN_TTL_MS / 1000, 'Lax'));
      } catch (error) {
        return unavailable(res, error, res.locals.requestId);
      }
      noStore(res).redirect(303, begun.url.href);
    } catch (error) {
      next(error);
    }
  });

  router.get('/auth/callback', async (req, res, next) => {
    try {
      if (!(await counted(req, res))) return;
      // The sign-in cookie is spent whatever happens next.
      res.append('set-cookie', cleared(SIGN_IN_COOKIE, 'Lax'));
      const binding = readCookie(req.headers.cookie, SIGN_IN_COOKIE);
      let pending;
      try {
        pending = binding ? await store.takePending(handleOf(binding)) : null;
      } catch (error) {
        return unavailable(res, error, res.locals.requestId);
      }
      const search = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      if (!pending) {
        logger.info({ requestId: res.locals.requestId }, 'sign-in refused: no sign-in under way here');
        return sendPage(
          res,
          'SIGN_IN_FAILED',
          'Sign-in did not complete',
          'This sign-in was not begun in this browser, took longer than 10 minutes, or was used already. Sign in again.',
        );
      }
      let claims;
      try {
        claims = await oidc.complete(search, pending);
      } catch (error) {
        if (error instanceof SignInError && error.kind === 'failed') {
          logger.info({ requestId: res.locals.requestId, reason: error.detail }, 'sign-in refused');
          return sendPage(
            res,
            'SIGN_IN_FAILED',
            'Sign-in did not complete',
            "The identity provider's answer could not be accepted for this sign-in. Sign in again.",
          );
        }
        return unavailable(res, error, res.locals.requestId);
      }
      // A browser signing in again leaves its earlier session behind: end it.
      const earlier = readCookie(req.headers.cookie, SESSION_COOKIE);
      const role = oidc.roleOf(claims);
      if (!role) {
        await sessions.end(earlier).catch(() => undefined);
        res.append('set-cookie', cleared(SESSION_COOKIE, 'Strict'));
        logger.info({ requestId: res.locals.requestId }, 'sign-in refused: the role claim maps to no role');
        return sendPage(
          res,
          'SIGN_IN_NO_ROLE',
          'No access',
          'You signed in, but your account has no role at this gateway. Ask its operator for access.',
        );
      }
      let made;
      try {
        await sessions.end(earlier);
        made = await sessions.create(role);
      } catch (error) {
        return unavailable(res, error, res.locals.requestId);
      }
      auditOf(res).caller = callerOf(made.record);
      res.append('set-cookie', cookie(SESSION_COOKIE, made.id, sessions.absoluteMs / 1000, 'Strict'));
      noStore(res).redirect(303, pending.returnTo);
    } catch (error) {
      next(error);
    }
  });

  router.post('/auth/sign-out', async (req, res, next) => {
    try {
      const id = readCookie(req.headers.cookie, SESSION_COOKIE);
      const record = id === undefined ? null : await sessions.lookup(id);
      if (record) {
        auditOf(res).caller = callerOf(record);
        const problem = sessions.csrfProblem(req.headers, record);
        if (problem) return sendError(res, 'CSRF_REJECTED', problem);
        await sessions.end(id);
      }
      res.append('set-cookie', cleared(SESSION_COOKIE, 'Strict'));
      noStore(res).status(204).end();
    } catch (error) {
      next(error);
    }
  });

  router.get('/auth/session', async (req, res, next) => {
    try {
      let record;
      try {
        record = await sessions.fromHeaders(req.headers);
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'session store not answering');
        return sendError(res, 'SIGN_IN_UNAVAILABLE', 'the session store did not answer; try again shortly');
      }
      noStore(res).type('application/json');
      if (!record) {
        if (readCookie(req.headers.cookie, SESSION_COOKIE) !== undefined)
          res.append('set-cookie', cleared(SESSION_COOKIE, 'Strict'));
        return res.send(JSON.stringify({ signIn: true, signedIn: false }));
      }
      auditOf(res).caller = callerOf(record);
      res.send(
        JSON.stringify({
          signIn: true,
          signedIn: true,
          role: record.role,
          csrfToken: record.csrfToken,
          expiresAt: new Date(
            Math.min(record.lastSeenAt + sessions.idleMs, record.createdAt + sessions.absoluteMs),
          ).toISOString(),
        }),
      );
    } catch (error) {
      next(error);
    }
  });

  return router;
}
