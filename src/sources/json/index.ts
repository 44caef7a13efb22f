import { SourceError } from '../../errors';
import type { FetchContext, RawRows, SourceAdapter } from '../fetch-context';
import { readLocationText } from '../location';
import { pickPath } from '../mapping';

/** Parses a JSON payload, naming HTML pages and truncated bodies as such. */
export function parseJsonPayload(text: string): unknown {
  if (/^\s*</.test(text))
    throw new SourceError('UPSTREAM_INVALID_PAYLOAD', 'the payload is an HTML page, not JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SourceError(
      'UPSTREAM_INVALID_PAYLOAD',
      'the payload is not valid JSON (truncated or malformed)',
    );
  }
}

/** Finds the array of rows at a dotted path; the whole payload when no path is configured. */
export function rowsAt(payload: unknown, path: string | undefined): unknown[] {
  const rows = path ? pickPath(payload, path) : payload;
  if (!Array.isArray(rows)) {
    throw new SourceError(
      'UPSTREAM_INVALID_PAYLOAD',
      path ? `the payload has no array at "${path}"` : 'the payload is not an array of rows',
    );
  }
  return rows;
}

/** `json`: a JSON document from a file or URL; rows are the array at `path`. */
export const jsonAdapter: SourceAdapter = {
  kind: 'json',
  async fetchRows(ctx: FetchContext): Promise<RawRows> {
    const payload = parseJsonPayload(await readLocationText(ctx, 'application/json'));
    return { rows: rowsAt(payload, ctx.config.path), numbers: 'native' };
  },
};
