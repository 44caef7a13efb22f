import { stringify } from 'csv-stringify/sync';
import { FIGURE_STATUSES } from '../domain/figure';
import { neutraliseFormula } from '../domain/formula-guard';

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

/** The `status` cell of a force that has no figure in the window (no source gave one), so no row is silently missing. */
export const NO_FIGURE = 'NO_FIGURE';

/** Every value the `status` column can hold: a figure's status, or `NO_FIGURE`. README's feeds section lists each. */
export const CSV_STATUSES = [...FIGURE_STATUSES, NO_FIGURE] as const;

/** One row of a CSV feed. */
export type CsvRow = Record<(typeof CSV_COLUMNS)[number], string | number | null>;

/**
 * A cell as the CSV writer puts it out: text through `neutraliseFormula` (the one rule, shared with the
 * ingest check), so that a spreadsheet never runs it; a number as it is, since csv-stringify writes a
 * JavaScript number as digits and a spreadsheet reads `-5` as minus five, never as a formula (the `value`
 * column is a number or empty, never text); null as an empty cell.
 */
export function csvCell(cell: string | number | null): string | number {
  if (cell === null) return '';
  if (typeof cell === 'number') return cell;
  return neutraliseFormula(cell);
}

/**
 * Writes rows as CSV a spreadsheet opens correctly: UTF-8 with a byte-order mark (Excel needs it to
 * detect UTF-8), a header row, RFC 4180 quoting (csv-stringify), CRLF line ends, and formula-looking
 * cells neutralised.
 */
export function toCsv(rows: readonly CsvRow[]): string {
  const body = stringify(
    rows.map((row) => CSV_COLUMNS.map((column) => csvCell(row[column]))),
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
    status: figure?.status ?? NO_FIGURE,
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
