import type { ApolloServerPlugin } from '@apollo/server';
import type { DocumentNode } from 'graphql';
import { BREAK, visit } from 'graphql';
import type { Role } from '../access/caller';
import { WhereaboutsError } from '../errors';
import type { RequestContext } from './context';

/** Roles that may introspect the schema (and see field suggestions). */
export const INTROSPECTION_ROLES: ReadonlySet<Role> = new Set(['analyst', 'operator']);

/** Whether a document asks for `__schema` or `__type` (introspection). */
export function introspects(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Per-request access rules inside Apollo: introspection only for analyst and operator keys (403
 * otherwise), and the operation name recorded in the audit log. Thrown in `didResolveOperation`, where
 * a GraphQLError becomes a clean response (throwing in `requestDidStart` gives a 500).
 */
export function accessPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, document, operationName }) {
          if (contextValue.audit && !contextValue.audit.operation)
            contextValue.audit.operation = operationName ?? '(anonymous)';
          if (!INTROSPECTION_ROLES.has(contextValue.caller.role) && introspects(document)) {
            throw new WhereaboutsError(
              'FORBIDDEN',
              'introspection is available to analyst and operator keys only',
            );
          }
        },
      };
    },
  };
}
