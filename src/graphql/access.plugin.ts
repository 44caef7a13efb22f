import type { ApolloServerPlugin } from '@apollo/server';
import type { DocumentNode } from 'graphql';
import { BREAK, visit } from 'graphql';
import type { Refusal } from '../access/policy';
import { INTROSPECTION, authorise } from '../access/policy';
import { WhereaboutsError } from '../errors';
import type { RequestContext } from './context';

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

/** An access refusal (`src/access/policy.ts`) as the GraphQL error a resolver or plugin throws. */
export function refusalError(refusal: Refusal): WhereaboutsError {
  return new WhereaboutsError(refusal.code, refusal.message);
}

/**
 * Per-request access rules inside Apollo: introspection as the access policy allows it (403 otherwise),
 * and the operation name recorded in the audit log. Thrown in `didResolveOperation`, where a GraphQLError
 * becomes a clean response (throwing in `requestDidStart` gives a 500).
 */
export function accessPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, document, operationName }) {
          if (contextValue.audit && !contextValue.audit.operation)
            contextValue.audit.operation = operationName ?? '(anonymous)';
          // The policy first: it costs a lookup, the walk of the document a visit of every node.
          const verdict = authorise(contextValue.caller, INTROSPECTION);
          if (!verdict.ok && introspects(document)) throw refusalError(verdict.refusal);
        },
      };
    },
  };
}
