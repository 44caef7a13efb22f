/*
 * What the main thread and the parser's worker thread (`workbook.worker.mts`) send each other. Types
 * only: the worker imports them with `import type`, which leaves nothing to load at run time.
 */

/** One cell as the parser gives it: values only, never a formula. */
export type GridCell =
  | null
  | string
  | number
  | boolean
  /** A date cell, as its UTC day (YYYY-MM-DD); the time of day, if any, is dropped. */
  | { readonly date: string }
  /** An error cell (`#N/A`, `#DIV/0!`...). */
  | { readonly error: string }
  /** A formula cell saved without its result: we never evaluate formulas. */
  | { readonly uncalculated: true };

/** What the worker is asked to read. Rows and columns are zero-based. */
export interface SheetRequest {
  /** The sheet's name; null for the first sheet. */
  readonly sheet: string | null;
  /** The rectangle to return; null for the sheet's whole used range. */
  readonly range: {
    readonly start: { readonly row: number; readonly column: number };
    readonly end: { readonly row: number; readonly column: number };
  } | null;
  readonly maxRows: number;
  readonly maxColumns: number;
  readonly maxCells: number;
}

/** The cells of the requested rectangle, clipped to the sheet's used range. */
export interface SheetGrid {
  /** The sheet read (its name as the workbook gives it). */
  readonly sheet: string;
  /** Zero-based address of `rows[0][0]`. */
  readonly origin: { readonly row: number; readonly column: number };
  /** Rows of the rectangle; each is as wide as the rectangle (cells past a row's end are null). */
  readonly rows: readonly (readonly GridCell[])[];
}

/** Why the worker could not give a grid, for the main thread to word. */
export type SheetProblem =
  | { readonly kind: 'no-sheet'; readonly sheets: readonly string[] }
  | { readonly kind: 'empty' }
  | { readonly kind: 'outside'; readonly used: string }
  | { readonly kind: 'too-many-rows'; readonly rows: number }
  | { readonly kind: 'too-many-columns'; readonly columns: number }
  | { readonly kind: 'too-many-cells'; readonly cells: number }
  | { readonly kind: 'unreadable'; readonly detail: string };

/** The worker's one answer. */
export type SheetAnswer =
  { readonly ok: true; readonly grid: SheetGrid } | { readonly ok: false; readonly problem: SheetProblem };
