/*
 * How the workbench talks to /graphql: POST, JSON, the key as a bearer token (never in the address, never
 * in GraphiQL's own storage). A document that is, once printed, exactly an approved operation is sent by
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

/** POSTs a GraphQL request body with the key; the response's JSON, or an error saying what came back. */
export async function post(key, body) {
  let res;
  try {
    res = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      credentials: 'omit',
      cache: 'no-store',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${key}`,
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
 * GraphiQL's fetcher for one key. `operations` are the approved operations (from
 * /workbench/operations.json); `ownQueries` says whether the key may send its own text.
 */
export function createFetcher({ key, operations, ownQueries, onSent }) {
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
    const { status, json } = await post(key, body);
    if (onSent) onSent({ byId: Boolean(op), operation: op ? op.name : null, status });
    return json;
  };
}
