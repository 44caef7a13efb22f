import type { SpreadsheetOptions } from '../../config/schema';
import { SourceError } from '../../errors';
import type { CellAddress } from './a1';
import { cellName, columnLetters } from './a1';
import type { GridCell, SheetGrid } from './grid';

/** What `tableRecords` needs besides the grid. */
export interface TableContext {
  readonly options: SpreadsheetOptions;
  /** The source fields the mapping reads: an error cell in one of them refuses the workbook. */
  readonly mappedFields: ReadonlySet<string>;
  /** The source field `asAt` is mapped from, for `yearDay`. */
  readonly asAtField: string | undefined;
}

/** One record: field names to cell text. No prototype, so a header `__proto__` is a field like any other. */
export type SheetRecord = Record<string, string>;

function invalid(message: string, detail?: string): SourceError {
  return new SourceError('UPSTREAM_INVALID_PAYLOAD', message, detail);
}

/**
 * Turns a sheet's grid into records of text, as the CSV kind gives them, so that the same mapping and
 * row validation apply (`numbers: 'text'`: counts must be whole numbers, dates YYYY-MM-DD, YYYY-MM or
 * YYYY). The header row names the fields (`records: rows`), or the first column does (`records:
 * columns`). Cell values become text: numbers as written in full (4948, never "4,948"), date cells as their
 * day (YYYY-MM-DD), booleans TRUE or FALSE, text trimmed (formula-like text is left to the shapes, which
 * neutralise it as for CSV). Empty records are skipped. Names (header cells and labels) have their
 * whitespace collapsed, so a label with a line break in it is mapped with a space.
 *
 * Refused: a header that is blank or repeats a name; an error cell (`#N/A`) or a formula saved without
 * its result in a mapped field (in other fields they are dropped, as they are never read). Messages name
 * cells by address, never by what they hold.
 */
export function tableRecords(grid: SheetGrid, ctx: TableContext): SheetRecord[] {
  const header = headerIndex(grid, ctx.options.headerRow);
  const records =
    ctx.options.records === 'columns' ? byColumns(grid, header, ctx) : byRows(grid, header, ctx);
  const { yearDay } = ctx.options;
  const field = ctx.asAtField;
  if (yearDay !== undefined && field !== undefined) {
    for (const record of records) {
      const value = record[field];
      if (value !== undefined && /^\d{4}$/.test(value)) record[field] = `${value}-${yearDay}`;
    }
  }
  return records;
}

/** Where a grid cell is in the sheet. */
function at(grid: SheetGrid, row: number, column: number): CellAddress {
  return { row: grid.origin.row + row, column: grid.origin.column + column };
}

/** The row of the grid the header is in. */
function headerIndex(grid: SheetGrid, headerRow: SpreadsheetOptions['headerRow']): number {
  const first = grid.origin.row + 1;
  const last = grid.origin.row + grid.rows.length;
  if (headerRow === undefined) return 0;
  if (typeof headerRow === 'number') {
    if (headerRow < first || headerRow > last)
      throw invalid(`the header row ${headerRow} is outside the table read (rows ${first} to ${last})`);
    return headerRow - first;
  }
  const wanted = nameKey(headerRow);
  const index = grid.rows.findIndex((row) => {
    const cell = row[0];
    return cell !== undefined && nameKey(nameOf(cell)) === wanted;
  });
  if (index < 0)
    throw invalid(
      `no row of the table read (rows ${first} to ${last}) has the configured header text in its first cell (column ${columnLetters(grid.origin.column)})`,
    );
  return index;
}

/** `records: rows`: the header names the columns; each row below it is a record. */
function byRows(grid: SheetGrid, header: number, ctx: TableContext): SheetRecord[] {
  const names = uniqueNames(
    grid.rows[header]!.map((cell, c) => ({ name: nameOf(cell), address: at(grid, header, c) })),
    'the header row',
  );
  const records: SheetRecord[] = [];
  for (let r = header + 1; r < grid.rows.length; r++) {
    const record = fields(
      grid.rows[r]!.map((cell, c) => ({ name: names[c], cell, address: at(grid, r, c) })),
      ctx,
    );
    if (record) records.push(record);
  }
  return records;
}

/**
 * `records: columns`: the first column's cells below the header are labels naming the fields; each
 * column right of it is a record, and its header cell is the field the header row's first cell names
 * ("Category" above years 2023, 2024).
 */
function byColumns(grid: SheetGrid, header: number, ctx: TableContext): SheetRecord[] {
  const headerRow = grid.rows[header]!;
  const keyName = nameOf(headerRow[0] ?? null);
  if (keyName === '')
    throw invalid(
      `the header row's first cell (${cellName(at(grid, header, 0))}) is blank; with records: columns it names the field each column's header goes in`,
    );
  // The header row's first cell is checked with the labels: it names a field of every record too.
  const labels = uniqueNames(
    grid.rows
      .slice(header)
      .map((row, i) => ({ name: nameOf(row[0] ?? null), address: at(grid, header + i, 0) })),
    'the first column',
  ).slice(1);
  const records: SheetRecord[] = [];
  for (let c = 1; c < headerRow.length; c++) {
    const cells = grid.rows
      .slice(header + 1)
      .map((row, i) => ({ name: labels[i], cell: row[c] ?? null, address: at(grid, header + 1 + i, c) }));
    if (!cells.some(({ name, cell }) => name !== undefined && cell !== null)) continue;
    const record = fields(
      [{ name: keyName, cell: headerRow[c] ?? null, address: at(grid, header, c) }, ...cells],
      ctx,
    );
    if (record) records.push(record);
  }
  return records;
}

/** Names by position (undefined for a blank one), refusing a name given twice. */
function uniqueNames(
  cells: ReadonlyArray<{ readonly name: string; readonly address: CellAddress }>,
  what: string,
): Array<string | undefined> {
  const seen = new Map<string, CellAddress>();
  const names = cells.map(({ name, address }) => {
    if (name === '') return undefined;
    const key = nameKey(name);
    const before = seen.get(key);
    if (before)
      throw invalid(
        `${what} gives one name twice (${cellName(before)} and ${cellName(address)}); each field needs its own`,
        `name: ${name}`,
      );
    seen.set(key, address);
    return name;
  });
  if (names.every((n) => n === undefined))
    throw invalid(
      `${what} of the table (from ${cellName(cells[0]?.address ?? { row: 0, column: 0 })}) is blank`,
    );
  return names;
}

/** A record of the named, non-empty cells; null when there are none. */
function fields(
  cells: ReadonlyArray<{
    readonly name: string | undefined;
    readonly cell: GridCell;
    readonly address: CellAddress;
  }>,
  ctx: TableContext,
): SheetRecord | null {
  const record: SheetRecord = Object.create(null) as SheetRecord;
  let any = false;
  for (const { name, cell, address } of cells) {
    if (name === undefined || cell === null) continue;
    const text = valueOf(cell);
    if (text === null) {
      if (ctx.mappedFields.has(name)) throw unusable(cell, address);
      continue;
    }
    if (text === '') continue;
    record[name] = text;
    any = true;
  }
  return any ? record : null;
}

function unusable(cell: GridCell, address: CellAddress): SourceError {
  return typeof cell === 'object' && cell !== null && 'error' in cell
    ? invalid(
        `cell ${cellName(address)} holds the spreadsheet error ${cell.error}; a mapped field must hold a value`,
      )
    : invalid(
        `cell ${cellName(address)} is a formula saved without its result; formulas are never evaluated, so the workbook must be saved by a program that calculates them`,
      );
}

/** A cell as record text; null for an error or an uncalculated formula. */
function valueOf(cell: Exclude<GridCell, null>): string | null {
  if (typeof cell === 'string') return cell.trim();
  if (typeof cell === 'number') return numberText(cell);
  if (typeof cell === 'boolean') return cell ? 'TRUE' : 'FALSE';
  if ('date' in cell) return cell.date;
  return null;
}

/** A number in full: integers in digits (never an exponent below 1e21), others as JavaScript writes them. */
function numberText(n: number): string {
  return Object.is(n, -0) ? '0' : String(n);
}

/** A header cell or label as a field name: its text with whitespace collapsed. */
function nameOf(cell: GridCell): string {
  if (cell === null) return '';
  const text = valueOf(cell);
  return text === null ? '' : text.replace(/\s+/g, ' ').trim();
}

/** Names compare without case (as the configured header text does). */
function nameKey(name: string): string {
  return name.replace(/\s+/g, ' ').trim().toLowerCase();
}
