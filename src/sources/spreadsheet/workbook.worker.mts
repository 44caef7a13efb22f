/*
 * The one module that uses SheetJS (`@e965/xlsx`, SheetJS CE 0.20.3): replacing the library means
 * replacing this file. It runs in a worker thread started per workbook by `sheet-reader.ts`, with a heap
 * limit, an empty environment and the source's time budget: a workbook that expands past the limits or
 * takes too long ends this thread, never the gateway, and its parsing never blocks the event loop.
 *
 * An ES module (`.mts`) with no relative imports but types: Node runs it as it is from `src/` in tests
 * (type stripping) and compiled (`.mjs`) from `dist/`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as XLSX from '@e965/xlsx';
import type { CellObject, ParsingOptions, WorkSheet } from '@e965/xlsx';
import type { GridCell, SheetAnswer, SheetRequest } from './grid.js';

/** Error codes of error cells (as SheetJS stores them) to their text. */
const ERROR_TEXT: Readonly<Record<number, string>> = {
  0x00: '#NULL!',
  0x07: '#DIV/0!',
  0x0f: '#VALUE!',
  0x17: '#REF!',
  0x1d: '#NAME?',
  0x24: '#NUM!',
  0x2a: '#N/A',
  0x2b: '#GETTING_DATA',
};

/**
 * Reads one sheet of a workbook (already checked by `zip-check.ts`) into a grid of values. Options: dense
 * sheets (arrays, not an object keyed by address); at most `maxRows` rows (`sheetRows`); dates as dates
 * (UTC); formulas kept only to tell a formula saved without its result, never evaluated (SheetJS has no
 * evaluator); no styles, HTML, formatted text, VBA or other parts.
 */
export function readSheetGrid(bytes: Uint8Array, request: SheetRequest): SheetAnswer {
  const options: ParsingOptions = {
    type: 'array',
    dense: true,
    cellDates: true,
    cellFormula: true,
    cellHTML: false,
    cellText: false,
    cellStyles: false,
    cellNF: false,
    bookVBA: false,
    bookFiles: false,
    sheetStubs: false,
    sheetRows: request.maxRows,
    sheets: request.sheet ?? 0,
  };
  let workbook: XLSX.WorkBook;
  try {
    workbook = XLSX.read(bytes, options);
  } catch (error) {
    return { ok: false, problem: { kind: 'unreadable', detail: String((error as Error)?.message ?? error) } };
  }
  const name = sheetName(workbook.SheetNames, request.sheet);
  const sheet = name === undefined ? undefined : workbook.Sheets[name];
  if (name === undefined || !sheet)
    return { ok: false, problem: { kind: 'no-sheet', sheets: workbook.SheetNames } };
  return gridOf(sheet, name, request);
}

/** The sheet asked for: its exact name, else the one name equal but for case (Excel's rule), else the first. */
function sheetName(names: readonly string[], wanted: string | null): string | undefined {
  if (wanted === null) return names[0];
  if (names.includes(wanted)) return wanted;
  const folded = names.filter((n) => n.toLowerCase() === wanted.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

function gridOf(sheet: WorkSheet, name: string, request: SheetRequest): SheetAnswer {
  const data = (sheet['!data'] ?? []) as (CellObject | undefined)[][];
  if (!sheet['!ref'] || !data.some((row) => row?.some((cell) => cellOf(cell) !== null)))
    return { ok: false, problem: { kind: 'empty' } };
  const used = usedRange(sheet, data);
  const want = request.range ?? {
    start: { row: used.s.r, column: used.s.c },
    end: { row: used.e.r, column: used.e.c },
  };
  if (!request.range && used.e.r >= request.maxRows)
    return { ok: false, problem: { kind: 'too-many-rows', rows: used.e.r + 1 } };
  const top = Math.max(want.start.row, used.s.r);
  const bottom = Math.min(want.end.row, used.e.r, request.maxRows - 1);
  const left = Math.max(want.start.column, used.s.c);
  const right = Math.min(want.end.column, used.e.c);
  if (top > bottom || left > right)
    return { ok: false, problem: { kind: 'outside', used: XLSX.utils.encode_range(used) } };
  const columns = right - left + 1;
  const rows = bottom - top + 1;
  if (columns > request.maxColumns) return { ok: false, problem: { kind: 'too-many-columns', columns } };
  if (rows * columns > request.maxCells)
    return { ok: false, problem: { kind: 'too-many-cells', cells: rows * columns } };
  const grid: GridCell[][] = [];
  for (let r = top; r <= bottom; r++) {
    const source = data[r];
    const row: GridCell[] = new Array<GridCell>(columns).fill(null);
    if (source) for (let c = left; c <= right; c++) row[c - left] = cellOf(source[c]);
    grid.push(row);
  }
  // The origin is the sheet's own address of the first cell, so messages name cells as the sheet does.
  return { ok: true, grid: { sheet: name, origin: { row: top, column: left }, rows: grid } };
}

/**
 * The sheet's extent: its `!ref`, widened to every cell the sheet holds (SheetJS leaves the columns of an
 * ODS cell repeated at a row's end out of `!ref`), and lengthened to `!fullref` when `sheetRows` cut the
 * sheet short (so a table longer than the rows read is refused, not cut).
 */
function usedRange(sheet: WorkSheet, data: readonly (readonly (CellObject | undefined)[] | undefined)[]) {
  const range = XLSX.utils.decode_range(sheet['!ref']!);
  data.forEach((row, r) => {
    if (!row?.length) return;
    range.s.r = Math.min(range.s.r, r);
    range.e.r = Math.max(range.e.r, r);
    range.e.c = Math.max(range.e.c, row.length - 1);
  });
  if (sheet['!fullref']) range.e.r = Math.max(range.e.r, XLSX.utils.decode_range(sheet['!fullref']).e.r);
  return range;
}

/** A cell's value as the grid carries it. */
function cellOf(cell: CellObject | undefined): GridCell {
  if (!cell) return null;
  const value = cell.v;
  if (value === undefined || value === null) return cell.f ? { uncalculated: true } : null;
  switch (cell.t) {
    case 's':
      return String(value);
    case 'n':
      return typeof value === 'number' && Number.isFinite(value) ? value : { error: '#NUM!' };
    case 'b':
      return value === true;
    case 'd': {
      const date = value instanceof Date ? value : new Date(String(value));
      return Number.isNaN(date.getTime()) ? { error: '#VALUE!' } : { date: date.toISOString().slice(0, 10) };
    }
    case 'e':
      return { error: ERROR_TEXT[value as number] ?? '#ERROR' };
    default:
      return null;
  }
}

/** What the worker was given: the workbook's bytes and what to read from it. */
interface WorkerInput {
  readonly bytes: Uint8Array;
  readonly request: SheetRequest;
}

if (parentPort) {
  const input = workerData as WorkerInput;
  parentPort.postMessage(readSheetGrid(input.bytes, input.request));
}
