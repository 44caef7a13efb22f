/*
 * Workbooks for the spreadsheet tests, made with SheetJS's own writer (the reader's library, so the files
 * are what a SheetJS user would produce; Excel and LibreOffice files differ in layout, not in what is read)
 * and, for hostile zips, with a small zip writer below that writes exactly the headers a test needs.
 */
import zlib from 'node:zlib';
import * as XLSX from '@e965/xlsx';

/** A cell as the fixtures write it: a value, a date, a formula with (or without) its saved result, an error. */
export type FixtureCell =
  | string
  | number
  | boolean
  | Date
  | null
  | { readonly formula: string; readonly result?: number | string }
  /** An error cell, by its code as SheetJS stores it (0x2a is #N/A). */
  | { readonly errorCode: number };

/**
 * The Scottish Government's table "Numbers of Registered Sex Offenders in Scotland, 2023 to 2024"
 * (MAPPA in Scotland: national overview report 2023-24, Appendix C), laid out as on the page: title
 * rows, a header row "Category | 2023 | 2024", one row per measure, a note below. Values as published
 * (those in shared/data/more/scotland-mappa.csv: in the community 4,747 and 4,948; wanted 13 and 12;
 * missing 0 and 1; the other rows from the same cited page).
 */
export const SCOTLAND_TITLE =
  'MAPPA in Scotland: national overview report 2023-24, Appendix C (Scottish Government)';
export const SCOTLAND_URL =
  'https://gov.scot/publications/multi-agency-public-protection-arrangements-mappa-scotland-national-overview-report-2023-24/pages/14';

export const SCOTLAND_TABLE: FixtureCell[][] = [
  ['Multi-Agency Public Protection Arrangements (MAPPA) in Scotland: national overview report 2023-24'],
  ['Appendix C: MAPPA National Data'],
  ['Numbers of Registered Sex Offenders in Scotland, 2023 to 2024'],
  ['Category', 2023, 2024],
  ['RSOs managed in custody and in the community on 31 March', 6420, 6878],
  ['RSOs managed in the community on 31 March', 4747, 4948],
  ['RSOs managed at Level 1 in the community on 31 March', 4584, 4848],
  ['RSOs managed at Level 2 in the community on 31 March', 140, 95],
  ['RSOs managed at Level 3 in the community on 31 March', 1, 0],
  ['RSOs reported for breaches of notification', 465, 390],
  ['RSOs convicted of a further group 1 or 2 crime[7]', 139, 254],
  ['RSOs wanted on 31 March', 13, 12],
  ['RSOs missing on 31 March', 0, 1],
  [],
  ['Extracted from the ViSOR database on 31 March of each year.'],
];

/** The source options that read `SCOTLAND_TABLE` as counts for Police Scotland (README example). */
export const SCOTLAND_SOURCE = {
  kind: 'spreadsheet' as const,
  shape: 'counts' as const,
  title: SCOTLAND_TITLE,
  url: SCOTLAND_URL,
  forces: ['police-scotland'],
  spreadsheet: { sheet: 'Appendix C', range: 'A4:C13', records: 'columns' as const, yearDay: '03-31' },
  mapping: {
    asAt: 'Category',
    unaccounted: 'RSOs wanted on 31 March',
    registered: 'RSOs managed in the community on 31 March',
  },
  constants: { forceId: 'police-scotland', basis: 'WANTED' },
};

function isSpecial(
  cell: FixtureCell,
): cell is Extract<FixtureCell, { readonly errorCode: number } | { readonly formula: string }> {
  return cell !== null && typeof cell === 'object' && !(cell instanceof Date);
}

function sheetOf(rows: readonly FixtureCell[][]): XLSX.WorkSheet {
  const sheet = XLSX.utils.aoa_to_sheet(
    rows.map((row) => row.map((cell) => (isSpecial(cell) ? null : cell))),
    { cellDates: true },
  );
  rows.forEach((row, r) =>
    row.forEach((cell, c) => {
      if (!isSpecial(cell)) return;
      const address = XLSX.utils.encode_cell({ r, c });
      if ('errorCode' in cell) {
        sheet[address] = { t: 'e', v: cell.errorCode };
        return;
      }
      const result = cell.result;
      sheet[address] =
        result === undefined
          ? { t: 'n', f: cell.formula }
          : { t: typeof result === 'number' ? 'n' : 's', v: result, f: cell.formula };
    }),
  );
  const range = XLSX.utils.decode_range(sheet['!ref'] ?? 'A1:A1');
  range.e.r = Math.max(range.e.r, rows.length - 1);
  range.e.c = Math.max(range.e.c, ...rows.map((row) => row.length - 1));
  sheet['!ref'] = XLSX.utils.encode_range(range);
  return sheet;
}

/** A workbook of the named sheets, in the order given, as the bytes of an .xlsx or .ods file. */
export function workbook(sheets: Record<string, readonly FixtureCell[][]>, format: 'xlsx' | 'ods'): Buffer {
  const book = XLSX.utils.book_new();
  for (const [name, rows] of Object.entries(sheets)) XLSX.utils.book_append_sheet(book, sheetOf(rows), name);
  return XLSX.write(book, { type: 'buffer', bookType: format, compression: true }) as Buffer;
}

/** One entry of a hand-made zip. */
export interface ZipFixtureEntry {
  readonly name: string;
  readonly data: Buffer;
  /** Deflate it (default) or store it. */
  readonly deflate?: boolean;
  /** The inflated size the headers declare (default: the true size). */
  readonly declaredSize?: number;
  /** General-purpose flags (bit 0: encrypted). */
  readonly flags?: number;
}

/** A zip file with exactly these entries and headers (no data descriptors, no comment). */
export function zipOf(entries: readonly ZipFixtureEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'latin1');
    const deflate = entry.deflate ?? true;
    const body = deflate ? zlib.deflateRawSync(entry.data) : entry.data;
    const size = entry.declaredSize ?? entry.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(entry.flags ?? 0, 6);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(entry.flags ?? 0, 8);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The entries of a zip SheetJS wrote, unpacked (for hand-made variants of a real workbook). */
export function unzip(bytes: Buffer): ZipFixtureEntry[] {
  // SheetJS types its bundled zip reader (CFB) as `any`: the shape used here.
  const container = XLSX.CFB.read(bytes, { type: 'buffer' }) as {
    FileIndex: Array<{ type: number; content: Uint8Array }>;
    FullPaths: string[];
  };
  return container.FileIndex.map((file, i) => ({ file, path: container.FullPaths[i]! }))
    .filter(({ file }) => file.type === 2)
    .map(({ file, path }) => ({
      name: path.replace(/^[^/]*\//, ''),
      data: Buffer.from(file.content),
    }));
}

/**
 * A minimal ODS whose one sheet is `rowsXml` (table:table-row elements), for layouts SheetJS's writer
 * does not make (repeated rows and cells).
 */
export function odsWithRows(rowsXml: string): Buffer {
  const content = `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Data">${rowsXml}</table:table></office:spreadsheet></office:body></office:document-content>`;
  const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`;
  return zipOf([
    { name: 'mimetype', data: Buffer.from('application/vnd.oasis.opendocument.spreadsheet'), deflate: false },
    { name: 'content.xml', data: Buffer.from(content) },
    {
      name: 'styles.xml',
      data: Buffer.from(
        '<?xml version="1.0" encoding="UTF-8"?><office:document-styles xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2"/>',
      ),
    },
    { name: 'META-INF/manifest.xml', data: Buffer.from(manifest) },
  ]);
}
