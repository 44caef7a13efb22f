import { stringify } from 'csv-stringify/sync';

/** The documented columns of every CSV feed, in order. */
export const CSV_COLUMNS = [
  'force_id',
  'force_name',
  'as_at',
  'precision',
  'value',
  'status',
  'basis',
  'freshness',
  'source_title',
] as const;

/** One row of a CSV feed. */
export type CsvRow = Record<(typeof CSV_COLUMNS)[number], string | number | null>;

/**
 * Neutralises a cell a spreadsheet would read as a formula (= + - @, and tab or carriage return that
 * some programs strip first) by prefixing a single quote: CSV injection (OWASP). Numbers are left alone:
 * a negative count cannot occur, and a number cell is never interpreted as a formula.
 */
export function neutraliseFormula(cell: string | number | null): string | number {
  if (cell === null) return '';
  if (typeof cell === 'number') return cell;
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

/**
 * Writes rows as CSV a spreadsheet opens correctly: UTF-8 with a byte-order mark (Excel needs it to
 * detect UTF-8), a header row, RFC 4180 quoting (csv-stringify), CRLF line ends, and formula-looking
 * cells neutralised.
 */
export function toCsv(rows: readonly CsvRow[]): string {
  const body = stringify(
    rows.map((row) => CSV_COLUMNS.map((column) => neutraliseFormula(row[column]))),
    { header: true, columns: [...CSV_COLUMNS], record_delimiter: '\r\n', quoted_match: /[",\r\n]/ },
  );
  return `\ufeff${body}`;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- GraphQL result data is walked by the feed's shape */

function figureRow(force: { id: string; name: string }, figure: any): CsvRow {
  return {
    force_id: force.id,
    force_name: force.name,
    as_at: figure?.asAt?.date ?? null,
    precision: figure?.asAt?.precision ?? null,
    value: figure?.value ?? null,
    status: figure?.status ?? 'NO_FIGURE',
    basis: figure?.basis ?? null,
    freshness: figure?.freshness ?? null,
    source_title: figure?.provenance?.title ?? null,
  };
}

/**
 * How each approved operation's result becomes CSV rows (one row per force figure). Operations that
 * are not lists of figures (source status) have no CSV form.
 */
export const CSV_ROWS: Readonly<Record<string, (data: any) => CsvRow[]>> = {
  'national-latest': (data) =>
    (data?.national?.forces ?? []).map((entry: any) => figureRow(entry.force, entry.figure)),
  'force-history': (data) =>
    data?.force ? (data.force.history ?? []).map((figure: any) => figureRow(data.force, figure)) : [],
};
