import { parse } from 'csv-parse/sync';
import { SourceError } from '../../errors';
import type { FetchContext, RawRows, SourceAdapter } from '../fetch-context';
import { readLocationText } from '../location';

/**
 * Parses CSV text with a header row into objects; empty cells become absent. Text in the common plain
 * form (printable ASCII, no quotes, one kind of line break) is read by `parsePlainCsv`; anything else, and
 * any plain text that does not read cleanly, goes to csv-parse, which gives the same rows and names the
 * error.
 */
export function parseCsvRows(text: string): Record<string, string>[] {
  if (/^\s*</.test(text))
    throw new SourceError('UPSTREAM_INVALID_PAYLOAD', 'the payload is an HTML page, not CSV');
  const plain = parsePlainCsv(text);
  if (plain) return plain;
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

/** Header names read by `parsePlainCsv` only if they are none of these (csv-parse's objects are plain). */
const AWKWARD_NAMES = new Set(['', '__proto__']);

/**
 * Reads plain CSV as csv-parse does with the options above (header row, empty and blank lines skipped,
 * cells trimmed, a UTF-8 BOM dropped, every row as wide as the header), or gives null when the text is not
 * plain: a quote, a character outside printable ASCII (other than tab and the line breaks), line breaks of
 * both kinds, an empty or repeated header name, or a row of another width. csv-parse costs about 0.3 ms
 * a call whatever the size (setting up its state dominates a feed of a few rows), which a cold fan-out
 * over thousands of CSV sources paid once each; this costs a few microseconds.
 */
export function parsePlainCsv(text: string): Record<string, string>[] | null {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let crs = 0;
  let lfs = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 0x0a) lfs += 1;
    else if (c === 0x0d) {
      if (body.charCodeAt(i + 1) !== 0x0a) return null;
      crs += 1;
    } else if ((c < 0x20 && c !== 0x09) || c > 0x7e || c === 0x22) return null;
  }
  if (crs !== 0 && crs !== lfs) return null;
  const lines = body.split(crs === 0 ? '\n' : '\r\n');
  let columns: string[] | null = null;
  const rows: Record<string, string>[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const cells = line.split(',');
    if (!columns) {
      columns = cells.map((cell) => cell.trim());
      if (columns.some((name) => AWKWARD_NAMES.has(name)) || new Set(columns).size !== columns.length)
        return null;
      continue;
    }
    if (cells.length !== columns.length) return null;
    const row: Record<string, string> = {};
    for (let i = 0; i < cells.length; i++) {
      const value = cells[i]!.trim();
      if (value !== '') row[columns[i]!] = value;
    }
    rows.push(row);
  }
  return rows;
}

/** `csv`: a CSV file or URL with a header row; each row is one record of the configured shape. */
export const csvAdapter: SourceAdapter = {
  kind: 'csv',
  async fetchRows(ctx: FetchContext): Promise<RawRows> {
    const text = await readLocationText(ctx, 'text/csv, text/plain;q=0.5');
    return { rows: parseCsvRows(text), numbers: 'text' };
  },
};
