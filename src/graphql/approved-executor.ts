import type { FormattedExecutionResult } from 'graphql';
import type { ApprovedOperation } from '../access/approved-operations';
import type { Caller } from '../access/caller';
import { withCacheStatus } from './cache-status.plugin';
import type { OperationCompiler } from './compiled-operations';
import type { RequestContext } from './context';

/** Runs an approved operation as a caller; the result as Apollo would send it. */
export type ExecuteApproved = (
  op: ApprovedOperation,
  variables: Record<string, unknown>,
  caller: Caller,
) => Promise<FormattedExecutionResult>;

/**
 * Runs approved operations for the response caches (feed bodies and persisted documents, built again
 * each second while they are polled, as the ages in them move): compiled once per document with
 * graphql-jit, as the request path runs analysts' documents, with `extensions.cacheStatus` added as Apollo's
 * plugin adds it. Through Apollo, building the national feed took 3-5 ms in one go every second, which
 * each request arriving meanwhile waited for (the feed's p99 at a steady load).
 *
 * A result with errors, or a document the compiler will not run, goes through Apollo (`viaApollo`), so
 * refusals keep Apollo's error formatting and codes. Approved documents are queries without side
 * effects, so running one twice is safe.
 */
export function approvedExecutor(deps: {
  readonly compiler: OperationCompiler;
  /** A request context for a build, as Apollo's would be given. */
  readonly context: (caller: Caller) => RequestContext;
  readonly viaApollo: ExecuteApproved;
}): ExecuteApproved {
  return async (op, variables, caller) => {
    const prepared = deps.compiler.prepare(op.document, op.operationName);
    if (prepared) {
      const context = deps.context(caller);
      const result = await prepared.run(context, variables);
      if (!result.errors?.length) return withCacheStatus(result.data, context.loaders);
    }
    return deps.viaApollo(op, variables, caller);
  };
}
