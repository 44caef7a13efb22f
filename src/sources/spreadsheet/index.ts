import type { SpreadsheetOptions } from '../../config/schema';
import { SourceError } from '../../errors';
import { UPSTREAM_BYTE_BUDGET } from '../byte-budget';
import type { FetchContext, RawRows, SourceAdapter } from '../fetch-context';
import { readLocationBytes } from '../location';
import { parseRange } from './a1';
import type { SheetProblem } from './grid';
import { MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, MAX_TABLE_CELLS } from './limits';
import { readSheetInWorker } from './sheet-reader';
import { tableRecords } from './table';
import { checkInflatedSizes, inspectWorkbook } from './zip-check';

const ACCEPT = [
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/octet-stream;q=0.5',
].join(', ');

const DEFAULT_OPTIONS: SpreadsheetOptions = { records: 'rows' };

/**
 * `spreadsheet`: one table of an XLSX or ODS workbook, from a file or an http(s) URL. The bytes are
 * checked before any parser sees them (`zip-check.ts`: a workbook, not encrypted, within the size
 * limits, entries no bigger than they declare), the sheet is read in a worker thread (`sheet-reader.ts`),
 * and the table becomes records of text (`table.ts`), mapped and validated by the source's shape as CSV
 * rows are.
 */
export const spreadsheetAdapter: SourceAdapter = {
  kind: 'spreadsheet',
  async fetchRows(ctx: FetchContext): Promise<RawRows> {
    const options = ctx.config.spreadsheet ?? DEFAULT_OPTIONS;
    const bytes = await readLocationBytes(ctx, ACCEPT);
    const zip = inspectWorkbook(bytes);
    if (options.format !== undefined && options.format !== zip.format)
      throw new SourceError(
        'UPSTREAM_INVALID_PAYLOAD',
        `the workbook is ${zip.format.toUpperCase()}, but the source is configured for format ${options.format}`,
      );
    await checkInflatedSizes(bytes, zip, UPSTREAM_BYTE_BUDGET, ctx.budget.signal);
    const answer = await readSheetInWorker(
      bytes,
      {
        sheet: options.sheet ?? null,
        range: options.range ? parseRange(options.range) : null,
        maxRows: MAX_SHEET_ROWS,
        maxColumns: MAX_SHEET_COLUMNS,
        maxCells: MAX_TABLE_CELLS,
      },
      ctx.budget,
    );
    if (!answer.ok) throw problemError(answer.problem, options);
    const rows = tableRecords(answer.grid, {
      options,
      mappedFields: new Set(Object.values(ctx.config.mapping)),
      asAtField: ctx.config.mapping.asAt,
    });
    return { rows, numbers: 'text' };
  },
};

/** The source error for what the parser could not give; upstream text (sheet names) goes to the detail only. */
function problemError(problem: SheetProblem, options: SpreadsheetOptions): SourceError {
  const invalid = (message: string, detail?: string) =>
    new SourceError('UPSTREAM_INVALID_PAYLOAD', message, detail);
  const sheet = options.sheet === undefined ? 'the first sheet' : `the sheet "${options.sheet}"`;
  switch (problem.kind) {
    case 'no-sheet':
      return options.sheet === undefined
        ? invalid('the workbook has no sheet')
        : invalid(
            `the workbook has no sheet named "${options.sheet}" (it has ${problem.sheets.length})`,
            `sheets: ${problem.sheets.join(' | ')}`,
          );
    case 'empty':
      return invalid(`${sheet} of the workbook is empty`);
    case 'outside':
      return invalid(`the range ${options.range} holds no cells of ${sheet} (its cells are ${problem.used})`);
    case 'too-many-rows':
      return invalid(
        `${sheet} has ${problem.rows} rows; only the first ${MAX_SHEET_ROWS} are read, so give a range within them`,
      );
    case 'too-many-columns':
      return invalid(
        `the table spans ${problem.columns} columns; at most ${MAX_SHEET_COLUMNS} are read (give a range)`,
      );
    case 'too-many-cells':
      return invalid(
        `the table holds ${problem.cells} cells; at most ${MAX_TABLE_CELLS} are read (give a range)`,
      );
    case 'unreadable':
      return /encrypt|password/i.test(problem.detail)
        ? invalid(
            'the workbook is encrypted (password-protected); accepted: an unencrypted .xlsx or .ods file',
          )
        : invalid('the workbook could not be read (damaged or not a workbook SheetJS reads)', problem.detail);
    default: {
      const unreachable: never = problem;
      throw new Error(`unknown sheet problem ${String(unreachable)}`);
    }
  }
}
