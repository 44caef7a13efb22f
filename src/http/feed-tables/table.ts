/**
 * What a feed's CSV and `.xlsx` forms are made of: a table declared once per approved operation, each
 * column with its header, its cell type, what it holds and how it is read from one item of the GraphQL
 * result. The CSV writer, the workbook writer, the `/feeds` index and the README check all read the same
 * declaration, so a column is added, renamed or explained in one place.
 */

/** A cell as a table gives it: text, a number, a yes/no, or nothing (an empty cell). */
export type Cell = string | number | boolean | null;

/** One row of a feed's table: each column's cell, by column name. */
export type CsvRow = Readonly<Record<string, Cell>>;

interface ColumnBase {
  /** The header: lower snake case, stable (scripts and spreadsheets key on it). */
  readonly name: string;
  /** What the column holds, one line: the About sheet of the `.xlsx` form shows it. */
  readonly holds: string;
}

/**
 * One column. The kind says how the `.xlsx` form types the cell, and the type of `cell` follows from it,
 * so a number column can only give numbers: text in it could carry a formula a guard would then have to
 * alter.
 * - `text`: a text cell, through the formula guard (`csvCell`);
 * - `date`: a date as a source writes it (`2018-01-17`, `2015-03`, `2015`): text in the CSV, a date cell
 *   shown at its precision in the workbook;
 * - `number`: digits in the CSV, a number cell in the workbook;
 * - `boolean`: `TRUE` or `FALSE` in the CSV (what spreadsheets write and read back), a logical cell in the
 *   workbook.
 * A null is an empty cell in every kind.
 */
export type FeedColumn<Item> =
  | (ColumnBase & { readonly kind: 'text' | 'date'; cell(item: Item): string | null })
  | (ColumnBase & { readonly kind: 'number'; cell(item: Item): number | null })
  | (ColumnBase & { readonly kind: 'boolean'; cell(item: Item): boolean | null });

/** The values one column can hold, each with its meaning: the About sheet lists them under the columns. */
export interface ColumnLegend {
  /** The column the values are of. */
  readonly column: string;
  /** Each value with what it means, in the order they are shown. */
  readonly meanings: Readonly<Record<string, string>>;
}

/**
 * The CSV and `.xlsx` forms of one approved operation: how its result splits into items (one per row) and
 * the columns read from each item, in order.
 * @example
 * const table: FeedTable<{ id: string; n: number | null }> = {
 *   rowsAre: 'one row per force',
 *   items: (data) => data?.forces ?? [],
 *   columns: [
 *     { name: 'force_id', kind: 'text', holds: "the force's id", cell: (f) => f.id },
 *     { name: 'value', kind: 'number', holds: 'the count', cell: (f) => f.n },
 *   ],
 *   notes: [],
 * };
 */
export interface FeedTable<Item = unknown> {
  /**
   * What one row is, as the README's feeds section says it before the columns (a test checks):
   * `one row per force figure`.
   */
  readonly rowsAre: string;
  /** The items of a GraphQL result (`data`), one per row, in the order the rows are written. */
  items(data: unknown): readonly Item[];
  /** The columns, in order. */
  readonly columns: ReadonlyArray<FeedColumn<Item>>;
  /** The values of a coded column, explained (the About sheet's second table); none without one. */
  readonly legend?: ColumnLegend;
  /** What the About sheet says about where the rows come from and how to read them, line by line. */
  readonly notes: readonly string[];
}

/** A table's headers, in order. */
export function columnNames(table: FeedTable): string[] {
  return table.columns.map((column) => column.name);
}

/** One item as a row: each column's cell. */
export function rowOf<Item>(table: FeedTable<Item>, item: Item): CsvRow {
  const row: Record<string, Cell> = {};
  for (const column of table.columns) row[column.name] = column.cell(item);
  return row;
}

/** The rows of a GraphQL result (`data`), one per item. */
export function rowsOf<Item>(table: FeedTable<Item>, data: unknown): CsvRow[] {
  return table.items(data).map((item) => rowOf(table, item));
}
