/*
 * A workbook is a zip of XML: a few kilobytes sent can declare gigabytes, and SheetJS builds an object per
 * cell. Every limit below is checked before the step it protects, and a workbook over one is a source
 * error (UPSTREAM_INVALID_PAYLOAD) naming the limit, never a partial table.
 */

/*
 * The bytes of the workbook itself are capped as every upstream body is (`MAX_UPSTREAM_BYTES`, 20 MB,
 * also for a file location), and count against the shared byte budget while they are read.
 */

/**
 * @default 32 MiB: most bytes the workbook's zip entries may declare and hold once inflated, all entries
 * together. Published tables are kilobytes; 32 MiB is a 10,000 x 20 sheet of numbers as ODS XML (24 MB)
 * or 50,000 x 20 as XLSX XML (32 MB). Checked on the zip's central directory before anything is inflated,
 * then each entry is inflated (streamed, counted, dropped) to check it holds no more than it declares.
 */
export const MAX_UNCOMPRESSED_BYTES = 32 * 1024 * 1024;

/** Most entries in the zip (an XLSX of one sheet has about 10, an ODS about 6). */
export const MAX_ZIP_ENTRIES = 1000;

/**
 * @default 10,000: rows of a sheet read (SheetJS `sheetRows`). A table that reaches past it is refused
 * unless `range` ends within it: rows are never dropped silently.
 */
export const MAX_SHEET_ROWS = 10_000;

/** Most columns a table may span (XLSX allows 16,384). */
export const MAX_SHEET_COLUMNS = 256;

/** Most cells in the table read (its range's rows x columns), so that what the parser returns stays small. */
export const MAX_TABLE_CELLS = 200_000;

/**
 * @default 256: the parser's V8 heap (old generation), in MiB. SheetJS runs in a worker thread with this
 * limit, so a workbook that expands past it (ODS `number-columns-repeated` and `number-rows-repeated`
 * can make billions of cells from a few bytes) ends that worker, not the gateway. The largest workbook
 * the limits above allow (32 MiB of XLSX XML) needs about 150 MiB.
 */
export const PARSER_HEAP_MB = 256;
