/*
 * How the workbench talks to /graphql: POST, JSON, the key as a bearer token (never in the address, never
 * in GraphiQL's own storage), or, for a person signed in, the session cookie with the session's CSRF
 * token in `X-CSRF-Token` and no Authorization header. A document that is, once printed, exactly an approved operation is sent by
 * its document id (`extensions.persistedQuery.sha256Hash`) and never as text, whoever runs it. Other
 * text is sent as text only for a key that may send its own query text (analyst, operator); for any other
 * key it is not sent at all, and the result pane says why.
 */
import { parse, print } from 'graphql';

/** Where every request goes (this origin only: `connect-src 'self'`). */
export const GRAPHQL_PATH = '/graphql';

/** A document printed in GraphQL's canonical form, or null when it does not parse. */
export function normalise(text) {
  try {
    return print(parse(text));
  } catch {
    return null;
  }
}

/** The approved operation a document is, or null. */
export function approvedOperationOf(byText, query, operationName) {
  const printed = normalise(query || '');
  const op = printed === null ? null : byText.get(printed);
  if (!op) return null;
  if (operationName && operationName !== op.operationName) return null;
  return op;
}

/** The result shown when text is not sent: a key that runs approved operations only. */
export function notSentResult() {
  return {
    errors: [
      {
        message:
          'Not sent: this key may run approved operations only, by document id. Open one from ' +
          '"Approved operations" in the sidebar and change only its variables; this text is not one of them.',
        extensions: { code: 'FORBIDDEN', sent: false },
      },
    ],
  };
}

/**
 * The fetch options of a credential: `{ key }` is sent as a bearer token and no cookie; `{ csrf }` (a
 * signed-in session) sends this origin's cookies with the session's CSRF token, and no Authorization
 * header (a bearer credential would win over the session).
 */
export function credentialInit(credential) {
  if (credential.csrf) return { credentials: 'same-origin', headers: { 'x-csrf-token': credential.csrf } };
  return { credentials: 'omit', headers: { authorization: `Bearer ${credential.key}` } };
}

/** POSTs a GraphQL request body with the credential; the response's JSON, or an error saying what came back. */
export async function post(credential, body) {
  const { credentials, headers } = credentialInit(credential);
  let res;
  try {
    res = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      credentials,
      cache: 'no-store',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...headers,
      },
      body: JSON.stringify(body),
    });
  } catch (error) {
    return { status: 0, json: { errors: [{ message: `The gateway did not answer: ${error.message}` }] } };
  }
  const text = await res.text();
  try {
    return { status: res.status, json: JSON.parse(text) };
  } catch {
    return {
      status: res.status,
      json: { errors: [{ message: `HTTP ${res.status} ${res.statusText}: the answer was not JSON` }] },
    };
  }
}

/**
 * GraphiQL's fetcher for one credential (`{ key }` or `{ csrf }`: see `credentialInit`). `operations` are
 * the approved operations (from /workbench/operations.json); `ownQueries` says whether the caller may
 * send its own text.
 */
export function createFetcher({ credential, operations, ownQueries, onSent }) {
  const byText = new Map();
  for (const op of operations) {
    const printed = normalise(op.document);
    if (printed !== null) byText.set(printed, op);
  }
  return async ({ query, variables, operationName }) => {
    const op = approvedOperationOf(byText, query, operationName);
    let body;
    if (op) {
      body = {
        operationName: op.operationName,
        variables: variables || {},
        extensions: { persistedQuery: { version: 1, sha256Hash: op.sha256 } },
      };
    } else if (ownQueries) {
      body = { query, variables: variables || {}, ...(operationName ? { operationName } : {}) };
    } else {
      return notSentResult();
    }
    const { status, json } = await post(credential, body);
    if (onSent) onSent({ byId: Boolean(op), operation: op ? op.name : null, status });
    return json;
  };
}
