import { stringify } from 'csv-stringify/sync';
import { neutraliseFormula } from '../domain/formula-guard';
import type { Cell, CsvRow, FeedTable } from './feed-tables/table';
import { columnNames } from './feed-tables/table';

/**
 * A cell as the CSV writer puts it out: text through `neutraliseFormula` (the one rule, shared with the
 * ingest check), so that a spreadsheet never runs it; a number as it is, since csv-stringify writes a
 * JavaScript number as digits and a spreadsheet reads `-5` as minus five, never as a formula (a number
 * column gives a number or nothing, never text: `FeedColumn`); a yes/no as `TRUE` or `FALSE`, which
 * spreadsheets read back as one (csv-stringify alone would write `1` or nothing); null as an empty cell.
 */
export function csvCell(cell: Cell): string | number {
  if (cell === null) return '';
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'boolean') return cell ? 'TRUE' : 'FALSE';
  return neutraliseFormula(cell);
}

/**
 * Writes a table's rows as CSV a spreadsheet opens correctly: UTF-8 with a byte-order mark (Excel needs it
 * to detect UTF-8), a header row of the table's columns, RFC 4180 quoting (csv-stringify), CRLF line
 * ends, and formula-looking cells neutralised.
 * @example toCsv(NATIONAL_SERIES, rowsOf(NATIONAL_SERIES, result.data))
 */
export function toCsv(table: FeedTable, rows: readonly CsvRow[]): string {
  const columns = columnNames(table);
  const body = stringify(
    rows.map((row) => columns.map((column) => csvCell(row[column] ?? null))),
    { header: true, columns, record_delimiter: '\r\n', quoted_match: /[",\r\n]/ },
  );
  return `\ufeff${body}`;
}
