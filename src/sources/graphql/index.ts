import { SourceError } from '../../errors';
import type { FetchContext, RawRows, SourceAdapter } from '../fetch-context';
import { httpRequest } from '../http';
import { parseJsonPayload, rowsAt } from '../json';

/**
 * `graphql`: a remote GraphQL endpoint. Sends the configured query; rows are the array at `path`
 * (default: the first field of `data`). A response with `errors` and no data is a source error.
 */
export const graphqlAdapter: SourceAdapter = {
  kind: 'graphql',
  async fetchRows(ctx: FetchContext): Promise<RawRows> {
    const res = await httpRequest(ctx, {
      method: 'POST',
      url: ctx.config.location,
      accept: 'application/graphql-response+json, application/json',
      body: JSON.stringify({ query: ctx.config.query, variables: ctx.config.variables }),
    });
    const payload = parseJsonPayload(res.body);
    if (typeof payload !== 'object' || payload === null) {
      throw new SourceError('UPSTREAM_INVALID_PAYLOAD', 'the GraphQL response is not an object');
    }
    const { data, errors } = payload as { data?: unknown; errors?: unknown };
    if ((data === null || data === undefined) && Array.isArray(errors)) {
      throw new SourceError(
        'UPSTREAM_INVALID_PAYLOAD',
        `the GraphQL endpoint returned ${errors.length} error(s) and no data`,
      );
    }
    if (typeof data !== 'object' || data === null) {
      throw new SourceError('UPSTREAM_INVALID_PAYLOAD', 'the GraphQL response has no data');
    }
    const path = ctx.config.path ?? `data.${Object.keys(data)[0] ?? ''}`;
    return { rows: rowsAt(payload, path), numbers: 'native' };
  },
};
