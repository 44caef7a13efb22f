import { randomUUID } from 'node:crypto';

/** The request id header: accepted from the caller when well formed, else generated; always echoed. */
export const REQUEST_ID_HEADER = 'x-request-id';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The caller's `x-request-id` if it is at most 64 of [A-Za-z0-9._-], else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Routes as labelled in metrics and spans: the first path segment if it is one of the gateway's, else `other`. */
const ROUTES = new Set([
  'graphql',
  'metrics',
  'healthz',
  'readyz',
  'feeds',
  'hooks',
  'dashboard',
  'workbench',
]);

/** The route label of a path (see `ROUTES`). */
export function routeLabel(path: string): string {
  const first = path.split('/')[1] ?? '';
  return ROUTES.has(first) ? `/${first}` : 'other';
}

/** Most distinct non-approved operation names one process labels before it says `other`. */
const MAX_OTHER_OPERATIONS = 50;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The `operation` label, with bounded cardinality: an approved operation's name as it is; `none` when no
 * operation was run (not GraphQL, or refused before parsing); `anonymous` for an unnamed operation; any
 * other GraphQL operation name (a client's choice) truncated to 40 characters, for the first 50 distinct
 * names a process sees, then `other`.
 */
export function operationLabeller(approvedNames: Iterable<string>): (operation: string | null) => string {
  const approved = new Set(approvedNames);
  const seen = new Set<string>();
  return (operation) => {
    if (operation === null) return 'none';
    if (approved.has(operation)) return operation;
    if (operation === '(anonymous)') return 'anonymous';
    if (!OPERATION_NAME.test(operation)) return 'other';
    const name = operation.slice(0, 40);
    if (seen.has(name)) return name;
    if (seen.size >= MAX_OTHER_OPERATIONS) return 'other';
    seen.add(name);
    return name;
  };
}
