import type { IncomingHttpHeaders } from 'node:http';

/**
 * Headers whose presence shows that a GraphQL GET could not have been sent cross-site by a browser
 * without a CORS preflight, which the CORS policy (`access.corsOrigins`) then answers: Apollo's CSRF
 * prevention lets a GET through only with one of them (`csrfPrevention.requestHeaders`), and the request path
 * applies the same list (`passesCsrfPrevention`).
 *
 * Apollo's recommended two, plus `authorization`: it is not a CORS-safelisted header either, and CSRF
 * prevention protects credentials a browser attaches by itself (cookies), which a request authenticated by
 * a bearer header does not use. urql and graphql-request send their GETs with the bearer header and no
 * Apollo header, and were refused (issue 21). Requests without credentials keep the protection.
 */
export const CSRF_PREFLIGHTED_HEADERS: readonly string[] = Object.freeze([
  'authorization',
  'x-apollo-operation-name',
  'apollo-require-preflight',
  // The session's CSRF token (src/access/sessions.ts): a request signed in by the session cookie is
  // admitted only with it, so its GETs pass here too.
  'x-csrf-token',
]);

/** Whether a GET carries one of `CSRF_PREFLIGHTED_HEADERS` with a value (as Apollo's own check reads them). */
export function passesCsrfPrevention(headers: IncomingHttpHeaders): boolean {
  return CSRF_PREFLIGHTED_HEADERS.some((name) => {
    const value = headers[name];
    return value !== undefined && value.length > 0;
  });
}
