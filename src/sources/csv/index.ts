import { parse } from 'csv-parse/sync';
import { SourceError } from '../../errors';
import type { FetchContext, RawRows, SourceAdapter } from '../fetch-context';
import { readLocationText } from '../location';

/** Parses CSV text with a header row into objects; empty cells become absent. */
export function parseCsvRows(text: string): Record<string, string>[] {
  if (/^\s*</.test(text))
    throw new SourceError('UPSTREAM_INVALID_PAYLOAD', 'the payload is an HTML page, not CSV');
  let rows: Record<string, string>[];
  try {
    rows = parse(text, {
      columns: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: false,
    });
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'CSV_ERROR';
    const line = (error as { lines?: number }).lines;
    throw new SourceError(
      'UPSTREAM_INVALID_PAYLOAD',
      `the CSV could not be parsed (${code}${line ? ` at line ${line}` : ''})`,
    );
  }
  return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([, v]) => v !== '')));
}

/** `csv`: a CSV file or URL with a header row; each row is one record of the configured shape. */
export const csvAdapter: SourceAdapter = {
  kind: 'csv',
  async fetchRows(ctx: FetchContext): Promise<RawRows> {
    const text = await readLocationText(ctx, 'text/csv, text/plain;q=0.5');
    return { rows: parseCsvRows(text), numbers: 'text' };
  },
};
