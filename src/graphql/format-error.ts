import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { ERROR_CODES } from '../errors';
import type { RequestContext } from './context';

/** Codes whose messages are written for clients and may be shown as they are. */
const PUBLIC_CODES: ReadonlySet<string> = new Set([
  ...Object.keys(ERROR_CODES),
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** The code of the innermost GraphQLError in an `originalError` chain, if any. */
function innermostCode(error: unknown): string | undefined {
  let found: string | undefined;
  let current: unknown = error;
  for (let depth = 0; current instanceof GraphQLError && depth < 5; depth += 1) {
    if (typeof current.extensions?.code === 'string') found = current.extensions.code;
    current = current.originalError;
  }
  return found;
}

/** Logs what was masked; never throws. */
export type MaskedErrorLogger = (error: unknown) => void;

/**
 * Apollo's `formatError`: passes client errors (a registered code) through without internals, and masks
 * everything else as INTERNAL_SERVER_ERROR. Apollo does not mask resolver errors itself, so an upstream
 * URL or body in an exception would otherwise reach the client.
 */
export function createFormatError(log: MaskedErrorLogger = () => undefined) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    try {
      const original = unwrapResolverError(error);
      const code = String(formatted.extensions?.code ?? '');
      // A scalar's own code (INVALID_DATE) arrives wrapped in Apollo's validation or input code.
      const ownCode = innermostCode(original);
      const finalCode = ownCode && PUBLIC_CODES.has(ownCode) ? ownCode : code;
      if (PUBLIC_CODES.has(finalCode) && finalCode !== 'INTERNAL_SERVER_ERROR') {
        const extensions: Record<string, unknown> = { code: finalCode };
        const unknownIds = formatted.extensions?.unknownIds;
        if (Array.isArray(unknownIds)) extensions.unknownIds = unknownIds;
        return {
          message: formatted.message,
          locations: formatted.locations,
          path: formatted.path,
          extensions,
        };
      }
      log(original);
      return {
        message: 'Internal server error',
        path: formatted.path,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      };
    } catch {
      return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
  };
}

/**
 * Whether `error` carries a registered code whose message is written for clients (`formatError` passes
 * those through); anything else is an internal error, masked as INTERNAL_SERVER_ERROR.
 */
export function isClientError(error: unknown): boolean {
  const code = innermostCode(unwrapResolverError(error)) ?? innermostCode(error);
  return code !== undefined && PUBLIC_CODES.has(code) && code !== 'INTERNAL_SERVER_ERROR';
}

/**
 * An Apollo plugin that logs each internal (masked) error of a request with the request's id, so that a
 * client's INTERNAL_SERVER_ERROR can be found in the log by the `x-request-id` it was given (`formatError`
 * sees no request). Never throws.
 */
export function internalErrorLogPlugin(
  log: (error: unknown, requestId: string | null) => void,
): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            try {
              if (!isClientError(error)) log(unwrapResolverError(error), contextValue?.requestId ?? null);
            } catch {
              // Logging must not turn an answer into a failure.
            }
          }
        },
      };
    },
  };
}
