import { createRequire } from 'node:module';
import path from 'node:path';
import type * as XLSX from '@e965/xlsx';
import { daysBetween, parseAsAt } from '../domain/dates';
import type { Precision } from '../domain/figure';
import { csvCell } from './feed-csv';
import type { Cell, CsvRow, FeedTable } from './feed-tables/table';

/** SheetJS while it is held (see `sheetJs`), and the timer that lets it go. */
let loaded: { readonly xlsx: typeof XLSX; readonly release: NodeJS.Timeout } | undefined;

/** How long SheetJS stays loaded after the last workbook built with it. */
const SHEETJS_KEPT_MS = 30_000;

/**
 * SheetJS, loaded when a workbook is built rather than at start, and let go again once no workbook has
 * been built for `SHEETJS_KEPT_MS`. Loaded, it holds 12.8 MB of heap (`require('@e965/xlsx')` measured
 * alone on Node 26: its 1.4 MB of source, codepage tables, compiled code), while a gateway builds each
 * .xlsx feed once per generation of figures (feeds.ts keeps the bytes) and serves the bytes after that:
 * kept for the process's life, it would cost that much RSS to save a load (100-300 ms of CPU) per
 * generation. The 30 s keep it for the burst of workbooks that follows a new generation, and for tests.
 */
function sheetJs(): typeof XLSX {
  if (loaded) {
    loaded.release.refresh();
    return loaded.xlsx;
  }
  const load = createRequire(__filename);
  const entry = load.resolve('@e965/xlsx');
  const dir = entry.slice(0, entry.lastIndexOf(path.sep) + 1);
  const xlsx = load(entry) as typeof XLSX;
  const release = setTimeout(() => {
    // Out of the module cache (its own files only): once this reference goes too, nothing holds it.
    for (const file of Object.keys(load.cache)) if (file.startsWith(dir)) delete load.cache[file];
    loaded = undefined;
  }, SHEETJS_KEPT_MS);
  release.unref();
  loaded = { xlsx, release };
  return xlsx;
}

/** The media type of an `.xlsx` feed response. */
export const XLSX_MEDIA_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * The workbook's sheets: the rows (the CSV's columns, in order), then what they are. The rows' sheet is
 * "Figures" for every feed, so that a script reads any feed's workbook the same way.
 */
export const XLSX_SHEETS = { figures: 'Figures', about: 'About' } as const;

/**
 * The number format of an `as_at` cell by the precision its text is written in. A month or year figure is
 * stored as the first day of its period (the day "How figures are counted" already dates it from: the
 * oldest it could be), so the column sorts and filters as dates, while the format shows only what the
 * source said: `2015-03`, not a day it never named. The cell shows the CSV's text exactly.
 */
export const XLSX_DATE_FORMATS: Readonly<Record<Precision, string>> = {
  DAY: 'yyyy-mm-dd',
  MONTH: 'yyyy-mm',
  YEAR: 'yyyy',
};

/** The number format of the About sheet's generated-at cell (UTC). */
export const XLSX_TIMESTAMP_FORMAT = 'yyyy-mm-dd hh:mm:ss';

/** What the About sheet says of the feed the rows came from. */
export interface XlsxMeta {
  /** The feed's name, e.g. `national-latest`. */
  readonly feed: string;
  /** The variables the feed ran with (validated from the query string), as the JSON form's `parameters`. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /**
   * The newest report time of the snapshot the rows come from (epoch ms; the feed's Last-Modified), or 0
   * when nothing has been retrieved. Never the wall clock: one snapshot gives the same bytes every time.
   */
  readonly generatedAtMs: number;
}

/**
 * A table's rows as an Excel workbook (SheetJS CE): sheet "Figures" has the CSV's columns in the same
 * order, typed by each column's kind (`FeedColumn`): numbers as number cells, yes/no as logical cells, dates
 * as date cells whose format shows the source's precision (`XLSX_DATE_FORMATS`), every text cell exactly
 * as the CSV writes it (`csvCell`, so through `neutraliseFormula`), no cell where the CSV's is empty; the
 * header row frozen and filterable, columns sized to their text. Sheet "About" names the feed, its
 * parameters, the generated-at time, what each column holds, the values of the table's coded column
 * (`legend`) and its notes. The same table, rows and meta give the same bytes (no wall clock, zip entries
 * without times).
 * @example toXlsx(NATIONAL_LATEST, rowsOf(NATIONAL_LATEST, data), { feed: 'national-latest', parameters: { asAt: '2018-01-17' }, generatedAtMs })
 */
export function toXlsx(table: FeedTable, rows: readonly CsvRow[], meta: XlsxMeta): Buffer {
  const workbook = sheetJs().utils.book_new();
  sheetJs().utils.book_append_sheet(workbook, figuresSheet(table, rows), XLSX_SHEETS.figures);
  sheetJs().utils.book_append_sheet(workbook, aboutSheet(table, meta), XLSX_SHEETS.about);
  workbook.Props = { Title: `Whereabouts feed ${meta.feed}` };
  // Stored, not deflated: the package is opened again at once to freeze the header (withFrozenHeader).
  // bookSST: shared strings (t="s"), the form Excel itself writes and every reader knows.
  const stored = sheetJs().write(workbook, {
    type: 'buffer',
    bookType: 'xlsx',
    bookSST: true,
    compression: false,
  });
  return withFrozenHeader(stored as Buffer);
}

/** Excel's day zero in the 1900 date system: serial n is n days after it (from 1900-03-01 on). */
const EXCEL_EPOCH = '1899-12-30';

/**
 * The first day whose 1900-system serial is right: Excel counts a 1900-02-29 that never was, so earlier
 * serials are off by one. No figure is that old; should one be, its date stays text rather than be wrong.
 */
const FIRST_EXACT_SERIAL_DAY = '1900-03-01';

/** Widest column, in characters: a long source title is cut at its edge, not pushing the rest off screen. */
const MAX_COLUMN_WIDTH = 60;

function figuresSheet(table: FeedTable, rows: readonly CsvRow[]): XLSX.WorkSheet {
  const cells: Array<Array<XLSX.CellObject | undefined>> = [
    table.columns.map((column) => textCell(column.name)),
    ...rows.map((row) =>
      table.columns.map((column) => {
        const cell = row[column.name] ?? null;
        return column.kind === 'date' && typeof cell === 'string' ? asAtCell(cell) : cellOf(cell);
      }),
    ),
  ];
  const sheet = sheetOf(cells);
  const lastCell = sheetJs().utils.encode_cell({ r: rows.length, c: table.columns.length - 1 });
  sheet['!autofilter'] = { ref: `A1:${lastCell}` };
  return sheet;
}

function aboutSheet(table: FeedTable, meta: XlsxMeta): XLSX.WorkSheet {
  const parameters = Object.keys(meta.parameters)
    .sort()
    .map((name) => [cellOf(name), cellOf(parameterText(meta.parameters[name]))]);
  const generatedAt =
    meta.generatedAtMs > 0 ? timestampCell(meta.generatedAtMs) : textCell('no source has been read yet');
  const line = (label: string, value?: string) => [
    label ? textCell(label) : undefined,
    cellOf(value ?? null),
  ];
  return sheetOf([
    line('Whereabouts feed', meta.feed),
    line('Same rows as', `/feeds/${meta.feed}.csv`),
    [textCell('Generated at (UTC)'), generatedAt],
    line('', 'the newest time a source was read for these figures, not the time this file was made'),
    [],
    line('Parameters', parameters.length === 0 ? '(none)' : undefined),
    ...parameters,
    [],
    line('column', 'what it holds'),
    ...table.columns.map((column) => line(column.name, column.holds)),
    [],
    ...(table.legend
      ? [
          line(table.legend.column, 'meaning'),
          ...Object.entries(table.legend.meanings).map(([value, meaning]) => line(value, meaning)),
          [],
        ]
      : []),
    line('Provenance'),
    ...table.notes.map((note) => line('', note)),
  ]);
}

/** A sheet from rows of cells (undefined: no cell), with `!ref` and columns sized to their shown text. */
function sheetOf(rows: ReadonlyArray<ReadonlyArray<XLSX.CellObject | undefined>>): XLSX.WorkSheet {
  const sheet: XLSX.WorkSheet = {};
  const widths: number[] = [];
  rows.forEach((row, r) =>
    row.forEach((cell, c) => {
      if (!cell) return;
      sheet[sheetJs().utils.encode_cell({ r, c })] = cell;
      widths[c] = Math.max(widths[c] ?? 0, shownLength(cell));
    }),
  );
  const columns = Math.max(1, ...rows.map((row) => row.length));
  sheet['!ref'] = sheetJs().utils.encode_range({
    s: { r: 0, c: 0 },
    e: { r: Math.max(0, rows.length - 1), c: columns - 1 },
  });
  // +2: room for the filter button of the header row.
  sheet['!cols'] = Array.from({ length: columns }, (_, c) => ({
    wch: Math.min(MAX_COLUMN_WIDTH, (widths[c] ?? 8) + 2),
  }));
  return sheet;
}

/** The length of what a cell shows: a date shows as long as its format, a number as its digits. */
function shownLength(cell: XLSX.CellObject): number {
  if (cell.t === 'n' && typeof cell.z === 'string') return cell.z.replace(/"/g, '').length;
  return String(cell.v).length;
}

/**
 * A CSV cell as an xlsx cell: the very text or number `csvCell` gives the CSV, a yes/no as a logical cell
 * (shown `TRUE` or `FALSE`, as the CSV writes it); no cell where it is empty.
 */
function cellOf(value: Cell): XLSX.CellObject | undefined {
  if (typeof value === 'boolean') return { t: 'b', v: value };
  const csv = csvCell(value);
  if (typeof csv === 'number') return { t: 'n', v: csv };
  return csv === '' ? undefined : { t: 's', v: csv };
}

/** Text that is ours (headers, labels): no guard needed, and none applied, as `csvCell` would apply none. */
function textCell(text: string): XLSX.CellObject {
  return { t: 's', v: text };
}

/**
 * An `as_at` text as a date cell: its first day as a serial number with the format of the precision its
 * text is written in (the same text `precision` names, by `parseAsAt`). A serial with a date format is
 * how Excel itself stores dates (SheetJS's `t: 'd'` cells are an ISO-text extension fewer readers take).
 * Text that is not a source date, or a day before serials are exact, stays text, as the CSV has it.
 */
function asAtCell(text: string): XLSX.CellObject | undefined {
  const asAt = parseAsAt(text);
  if (!asAt || asAt.date !== text || asAt.start < FIRST_EXACT_SERIAL_DAY) return cellOf(text);
  return { t: 'n', v: daysBetween(EXCEL_EPOCH, asAt.start), z: XLSX_DATE_FORMATS[asAt.precision] };
}

/** Epoch ms as a date-time cell (UTC), to the second, as Last-Modified gives it. */
function timestampCell(ms: number): XLSX.CellObject {
  const seconds = Math.floor(ms / 1000);
  return { t: 'n', v: daysBetween(EXCEL_EPOCH, '1970-01-01') + seconds / 86_400, z: XLSX_TIMESTAMP_FORMAT };
}

/** A feed variable as text: a string as it is, anything else (number, boolean, list) as JSON. */
function parameterText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

/** Where SheetJS puts the first sheet in the package, and the view it writes for it. */
const FIGURES_SHEET_PATH = '/xl/worksheets/sheet1.xml';
const PLAIN_SHEET_VIEW = '<sheetView workbookViewId="0"/>';
const FROZEN_SHEET_VIEW =
  '<sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>';

/** The part of SheetJS's bundled zip library (`sheetJs().CFB`, typed `any`) this module uses. */
interface ZipEntry {
  content: Uint8Array;
  mt?: Date;
}
interface Zip {
  FileIndex: ZipEntry[];
}
interface ZipLibrary {
  read(data: Buffer, options: { type: 'buffer' }): Zip;
  find(zip: Zip, path: string): ZipEntry | null;
  write(zip: Zip, options: { fileType: 'zip'; type: 'buffer'; compression: boolean }): Buffer;
  utils: { cfb_add(zip: Zip, path: string, content: Uint8Array): void };
}
const zipLibrary = (): ZipLibrary => sheetJs().CFB as ZipLibrary;

/**
 * The package with the Figures sheet's header row frozen, deflated. SheetJS CE writes no panes (frozen
 * panes are a SheetJS Pro feature), so its sheet view is swapped for one with a frozen pane, using the zip
 * library SheetJS bundles. The version is pinned exactly; a test fails if its sheet view changes.
 */
function withFrozenHeader(stored: Buffer): Buffer {
  const zip = zipLibrary().read(stored, { type: 'buffer' });
  const sheet = zipLibrary().find(zip, FIGURES_SHEET_PATH);
  const xml = sheet ? Buffer.from(sheet.content).toString('utf8') : '';
  if (!xml.includes(PLAIN_SHEET_VIEW))
    throw new Error(
      `SheetJS wrote no ${PLAIN_SHEET_VIEW} in ${FIGURES_SHEET_PATH}; cannot freeze the header`,
    );
  zipLibrary().utils.cfb_add(
    zip,
    FIGURES_SHEET_PATH,
    Buffer.from(xml.replace(PLAIN_SHEET_VIEW, FROZEN_SHEET_VIEW)),
  );
  // Reading gives each entry a time (parsed from the zero DOS time SheetJS wrote, through the local time
  // zone), which writing would put back: without it every entry keeps the zero time, whatever the zone.
  for (const entry of zip.FileIndex) delete entry.mt;
  return zipLibrary().write(zip, { fileType: 'zip', type: 'buffer', compression: true });
}
