import { execFileSync } from 'node:child_process';
import * as XLSX from '@e965/xlsx';
import { parse } from 'csv-parse/sync';
import { toCsv as writeCsv } from '../../../src/http/feed-csv';
import {
  CSV_STATUSES,
  FORCE_HISTORY,
  NATIONAL_LATEST,
  PROVENANCE_NOTES,
  STATUS_MEANINGS,
} from '../../../src/http/feed-tables/figures';
import type { CsvRow } from '../../../src/http/feed-tables/table';
import { columnNames, rowsOf } from '../../../src/http/feed-tables/table';
import type { XlsxMeta } from '../../../src/http/feed-xlsx';
import {
  XLSX_DATE_FORMATS,
  XLSX_SHEETS,
  XLSX_TIMESTAMP_FORMAT,
  toXlsx as writeXlsx,
} from '../../../src/http/feed-xlsx';

// The figure feeds' table (national-latest and force-history share its columns).
const CSV_COLUMNS = columnNames(NATIONAL_LATEST);
const toCsv = (rows: readonly CsvRow[]) => writeCsv(NATIONAL_LATEST, rows);
const toXlsx = (rows: readonly CsvRow[], meta: XlsxMeta) => writeXlsx(NATIONAL_LATEST, rows, meta);

// Made-up figures in the shape of the real feeds' GraphQL results; every title says it is a fixture.
const FIXTURE = 'Test fixture (made-up figure)';
const HOSTILE_TITLES = ['=HYPERLINK("http://x")', ' @SUM(1)', '\u200b＋1', '－2+3', '\t=1'];
const figure = (overrides: Record<string, unknown>) => ({
  value: 5,
  status: 'REPORTED',
  basis: 'WHEREABOUTS_UNKNOWN',
  freshness: 'FRESH',
  ageSeconds: 0,
  asAt: { date: '2018-01-17', precision: 'DAY' },
  provenance: {
    sourceId: 'fixture',
    title: FIXTURE,
    url: null,
    retrievedAt: '2018-01-17T12:00:00Z',
    simulated: false,
  },
  ...overrides,
});
const entry = (id: string, name: string, fig: Record<string, unknown> | null) => ({
  force: { id, name, nation: 'ENGLAND', region: null },
  outcome: fig ? 'REPORTING' : 'NO_FIGURE',
  stale: false,
  figure: fig,
});
const nationalLatest = {
  national: {
    forces: [
      entry('dorset', 'Dorset Police', figure({ value: 5 })),
      entry('kent', 'Kent Police', figure({ value: 0, freshness: 'STALE' })),
      entry('essex', 'Essex Police', figure({ value: 12, asAt: { date: '2015-03', precision: 'MONTH' } })),
      entry(
        'cumbria',
        'Cumbria Constabulary',
        figure({
          value: 7,
          provenance: {
            sourceId: 'sim-cumbria',
            title: 'SIMULATED cumbria feed (json)',
            url: null,
            retrievedAt: '2018-01-17T12:00:00Z',
            simulated: true,
          },
        }),
      ),
      entry('suffolk', 'Suffolk Constabulary', figure({ value: null, status: 'WITHHELD' })),
      entry('gwent', 'Gwent Police', null),
    ],
  },
};
const forceHistory = {
  force: {
    id: 'dorset',
    name: 'Dorset Police',
    history: [
      figure({ value: 4, asAt: { date: '2013', precision: 'YEAR' }, basis: 'WANTED' }),
      figure({ value: 6, asAt: { date: '2015-02', precision: 'MONTH' } }),
    ],
  },
};
const NATIONAL_ROWS = rowsOf(NATIONAL_LATEST, nationalLatest);
const META: XlsxMeta = {
  feed: 'national-latest',
  parameters: { windowDays: 90, asAt: '2018-01-17' },
  generatedAtMs: Date.UTC(2018, 0, 17, 12, 30, 5, 250),
};

const read = (bytes: Buffer, options: XLSX.ParsingOptions = {}) =>
  XLSX.read(bytes, { type: 'buffer', cellNF: true, cellStyles: true, ...options });
const figuresOf = (bytes: Buffer) => read(bytes).Sheets[XLSX_SHEETS.figures]!;
const shownText = (sheet: XLSX.WorkSheet) =>
  XLSX.utils.sheet_to_json<string[]>(sheet, { header: 1, raw: false, defval: '' });
/** The serial Excel gives a day in the 1900 date system. */
const serial = (iso: string) => (Date.parse(`${iso}T00:00:00Z`) - Date.UTC(1899, 11, 30)) / 86_400_000;

describe('xlsx feeds: the Figures sheet (issue 21, item 4)', () => {
  test('the header row is the CSV header in its order, frozen, with a filter over every row', () => {
    const bytes = toXlsx(NATIONAL_ROWS, META);
    const workbook = read(bytes);
    expect(workbook.SheetNames).toEqual([XLSX_SHEETS.figures, XLSX_SHEETS.about]);
    const sheet = workbook.Sheets[XLSX_SHEETS.figures]!;
    expect(shownText(sheet)[0]).toEqual([...CSV_COLUMNS]);
    expect(sheet['!ref']).toBe(`A1:I${NATIONAL_ROWS.length + 1}`);
    expect(sheet['!autofilter']).toEqual({ ref: `A1:I${NATIONAL_ROWS.length + 1}` });
    expect(sheetXml(bytes, 1)).toContain(
      '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>',
    );
  });

  test('columns are as wide as their longest text, within bounds', () => {
    const cols = figuresOf(toXlsx(NATIONAL_ROWS, META))['!cols']!;
    expect(cols).toHaveLength(CSV_COLUMNS.length);
    const widths = cols.map((col) => Math.floor(col.wch!));
    expect(widths[CSV_COLUMNS.indexOf('force_name')]).toBe('Cumbria Constabulary'.length + 2);
    expect(widths[CSV_COLUMNS.indexOf('as_at')]).toBe('yyyy-mm-dd'.length + 2);
    expect(widths[CSV_COLUMNS.indexOf('source_title')]).toBe(FIXTURE.length + 2);
    const long = toXlsx([{ ...NATIONAL_ROWS[0]!, source_title: 'x'.repeat(500) }], META);
    expect(Math.floor(figuresOf(long)['!cols']![8]!.wch!)).toBe(60);
  });

  test('value is a number cell (zero included), and there is no cell where a force has no value', () => {
    const sheet = figuresOf(toXlsx(NATIONAL_ROWS, META));
    expect(sheet.E2).toMatchObject({ t: 'n', v: 5 });
    expect(sheet.E3).toMatchObject({ t: 'n', v: 0 });
    expect(sheet.E5).toMatchObject({ t: 'n', v: 7 });
    expect(sheet.F6).toMatchObject({ t: 's', v: 'WITHHELD' });
    expect(sheet.E6).toBeUndefined();
    expect(sheet.F7).toMatchObject({ t: 's', v: 'NO_FIGURE' });
    for (const column of ['C', 'D', 'E', 'G', 'H', 'I']) expect(sheet[`${column}7`]).toBeUndefined();
  });

  test('as_at is a date cell that shows the precision the source gave: day, month (first day) or year', () => {
    const rows = [...NATIONAL_ROWS, ...rowsOf(FORCE_HISTORY, forceHistory)];
    const sheet = figuresOf(toXlsx(rows, META));
    expect(sheet.C2).toMatchObject({
      t: 'n',
      v: serial('2018-01-17'),
      z: XLSX_DATE_FORMATS.DAY,
      w: '2018-01-17',
    });
    expect(sheet.D2).toMatchObject({ t: 's', v: 'DAY' });
    expect(sheet.C4).toMatchObject({ t: 'n', v: serial('2015-03-01'), z: 'yyyy-mm', w: '2015-03' });
    expect(sheet.D4).toMatchObject({ t: 's', v: 'MONTH' });
    expect(sheet.C8).toMatchObject({ t: 'n', v: serial('2013-01-01'), z: 'yyyy', w: '2013' });
    expect(sheet.D8).toMatchObject({ t: 's', v: 'YEAR' });
    // A reader that turns date cells into dates gets the first day of the period, at midnight UTC.
    const asDates = read(toXlsx(rows, META), { cellDates: true, UTC: true }).Sheets[XLSX_SHEETS.figures]!;
    expect(asDates.C2).toMatchObject({ t: 'd', v: new Date('2018-01-17T00:00:00Z') });
    expect(asDates.C4).toMatchObject({ t: 'd', v: new Date('2015-03-01T00:00:00Z') });
    expect(asDates.C8).toMatchObject({ t: 'd', v: new Date('2013-01-01T00:00:00Z') });
  });

  test('an as_at text that is not a source date stays text, as the CSV has it', () => {
    const sheet = figuresOf(toXlsx([{ ...NATIONAL_ROWS[0]!, as_at: '2018-02-30' }], META));
    expect(sheet.C2).toMatchObject({ t: 's', v: '2018-02-30' });
  });

  test('every cell shows exactly the text of the same cell of the CSV form', () => {
    const rows = [
      ...NATIONAL_ROWS,
      ...rowsOf(FORCE_HISTORY, forceHistory),
      ...HOSTILE_TITLES.map((title) => ({ ...NATIONAL_ROWS[0]!, source_title: title, value: -5 })),
    ];
    const csv = parse(toCsv(rows), { bom: true }) as string[][];
    expect(shownText(figuresOf(toXlsx(rows, META)))).toEqual(csv);
  });

  test('text that starts like a formula is a text cell neutralised as in the CSV, however it hides', () => {
    const rows = HOSTILE_TITLES.map((title) => ({ ...NATIONAL_ROWS[0]!, source_title: title }));
    const sheet = figuresOf(toXlsx(rows, META));
    const csv = parse(toCsv(rows), { bom: true, columns: true }) as Array<Record<string, string>>;
    HOSTILE_TITLES.forEach((title, i) => {
      const cell = sheet[`I${i + 2}`];
      expect(cell).toMatchObject({ t: 's', v: `'${title}` });
      expect(cell!.f).toBeUndefined();
      expect(cell!.v).toBe(csv[i]!.source_title);
    });
  });

  test('an empty feed is the header row alone, and still has its About sheet', () => {
    const workbook = read(toXlsx([], META));
    const sheet = workbook.Sheets[XLSX_SHEETS.figures]!;
    expect(sheet['!ref']).toBe('A1:I1');
    expect(shownText(sheet)).toEqual([[...CSV_COLUMNS]]);
    expect(shownText(workbook.Sheets[XLSX_SHEETS.about]!)[0]).toEqual([
      'Whereabouts feed',
      'national-latest',
    ]);
  });
});

describe('xlsx feeds: the About sheet', () => {
  const about = () => shownText(read(toXlsx(NATIONAL_ROWS, META)).Sheets[XLSX_SHEETS.about]!);
  const valueOf = (rows: string[][], label: string) => rows.find((row) => row[0] === label)?.[1];

  test('names the feed and its parameters (sorted), and says when its newest figure was read', () => {
    const rows = about();
    expect(valueOf(rows, 'Whereabouts feed')).toBe('national-latest');
    expect(valueOf(rows, 'asAt')).toBe('2018-01-17');
    expect(valueOf(rows, 'windowDays')).toBe('90');
    expect(rows.findIndex((row) => row[0] === 'asAt')).toBeLessThan(
      rows.findIndex((row) => row[0] === 'windowDays'),
    );
    // To the second, as Last-Modified says it, from the data and not the clock.
    expect(valueOf(rows, 'Generated at (UTC)')).toBe('2018-01-17 12:30:05');
    const cell = read(toXlsx(NATIONAL_ROWS, META)).Sheets[XLSX_SHEETS.about]!.B3;
    expect(cell).toMatchObject({ t: 'n', z: XLSX_TIMESTAMP_FORMAT });
  });

  test('says so when no source has been read, and when the feed has no parameters', () => {
    const rows = shownText(
      read(toXlsx([], { feed: 'national-latest', parameters: {}, generatedAtMs: 0 })).Sheets[
        XLSX_SHEETS.about
      ]!,
    );
    expect(valueOf(rows, 'Generated at (UTC)')).toBe('no source has been read yet');
    expect(valueOf(rows, 'Parameters')).toBe('(none)');
  });

  test('a parameter value that starts like a formula is neutralised', () => {
    const bytes = toXlsx([], { ...META, parameters: { id: '=cmd|" /C calc"!A0' } });
    const rows = shownText(read(bytes).Sheets[XLSX_SHEETS.about]!);
    expect(valueOf(rows, 'id')).toBe('\'=cmd|" /C calc"!A0');
  });

  test('lists every status value the status column can hold, with its meaning', () => {
    const rows = about();
    for (const status of CSV_STATUSES) expect(valueOf(rows, status)).toBe(STATUS_MEANINGS[status]);
  });

  test('carries the provenance notes, the simulated-data warning among them', () => {
    const texts = about().map((row) => row[1]);
    for (const note of PROVENANCE_NOTES) expect(texts).toContain(note);
    expect(PROVENANCE_NOTES.some((note) => note.includes('SIMULATED'))).toBe(true);
  });
});

describe('xlsx feeds: deterministic bytes', () => {
  afterEach(() => {
    jest.useRealTimers();
    delete process.env.TZ;
  });

  test('the same rows and meta give the same bytes at another time and in another time zone', () => {
    process.env.TZ = 'UTC';
    const first = toXlsx(NATIONAL_ROWS, META);
    jest.useFakeTimers({ now: new Date('2031-07-04T23:59:59Z') });
    process.env.TZ = 'Pacific/Kiritimati';
    const second = toXlsx(NATIONAL_ROWS, META);
    process.env.TZ = 'America/Los_Angeles';
    const third = toXlsx(NATIONAL_ROWS, META);
    expect(second.equals(first)).toBe(true);
    expect(third.equals(first)).toBe(true);
    expect(toXlsx(NATIONAL_ROWS.slice(1), META).equals(first)).toBe(false);
  });

  test('the package carries no time: no created or modified property, and zip entries without a time', () => {
    const bytes = toXlsx(NATIONAL_ROWS, META);
    const core = partXml(bytes, '/docProps/core.xml');
    expect(core).not.toContain('dcterms:created');
    expect(core).not.toContain('dcterms:modified');
    expect(zipEntryTimes(bytes).every((time) => time === 0)).toBe(true);
  });

  test('the parts are deflated (compression: true)', () => {
    expect(zipEntryMethods(toXlsx(NATIONAL_ROWS, META)).every((method) => method === 8)).toBe(true);
  });
});

/** Python's standard library (zipfile, ElementTree): a reader that shares no code with SheetJS. */
const PYTHON_READER = String.raw`
import io, json, sys, zipfile
import xml.etree.ElementTree as ET
NS = {'m': 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'}
data = sys.stdin.buffer.read()
z = zipfile.ZipFile(io.BytesIO(data))
bad = z.testzip()
strings = [''.join(t.text or '' for t in si.iter('{%s}t' % NS['m'])) for si in ET.fromstring(z.read('xl/sharedStrings.xml')).findall('m:si', NS)]
styles = ET.fromstring(z.read('xl/styles.xml'))
formats = {n.get('numFmtId'): n.get('formatCode') for n in styles.findall('m:numFmts/m:numFmt', NS)}
xfs = [formats.get(x.get('numFmtId'), 'builtin ' + x.get('numFmtId')) for x in styles.findall('m:cellXfs/m:xf', NS)]
sheet = ET.fromstring(z.read('xl/worksheets/sheet1.xml'))
cells = {}
for c in sheet.iter('{%s}c' % NS['m']):
    t = c.get('t', 'n'); v = c.find('m:v', NS).text
    cells[c.get('r')] = {'t': t, 'v': strings[int(v)] if t == 's' else float(v), 'format': xfs[int(c.get('s', '0'))]}
pane = sheet.find('m:sheetViews/m:sheetView/m:pane', NS)
out = {'crcError': bad, 'names': z.namelist(),
       'cells': cells, 'pane': pane.attrib if pane is not None else None,
       'workbookSheets': [s.get('name') for s in ET.fromstring(z.read('xl/workbook.xml')).findall('m:sheets/m:sheet', NS)]}
try:
    import openpyxl
except ImportError:
    out['openpyxl'] = None
else:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb['Figures']
    out['openpyxl'] = {'freeze': ws.freeze_panes, 'cells': {c.coordinate: {'type': c.data_type, 'format': c.number_format, 'isDate': c.is_date, 'value': c.value.isoformat() if hasattr(c.value, 'isoformat') else c.value} for row in ws.iter_rows() for c in row if c.value is not None}}
print(json.dumps(out))
`;

/**
 * Debian's Python, where .ci/install-system-deps puts python3-openpyxl (a python3 earlier on PATH, such as
 * a pyenv one, would not have it).
 */
const PYTHON = '/usr/bin/python3';

function pythonFinding(): { python: string | null; openpyxl: boolean; reason: string } {
  try {
    execFileSync(PYTHON, ['-c', 'import zipfile, xml.etree.ElementTree'], { stdio: 'ignore' });
  } catch {
    return {
      python: null,
      openpyxl: false,
      reason: 'python3 (with zipfile and ElementTree) is not installed',
    };
  }
  try {
    execFileSync(PYTHON, ['-c', 'import openpyxl'], { stdio: 'ignore' });
    return { python: PYTHON, openpyxl: true, reason: '' };
  } catch {
    return {
      python: PYTHON,
      openpyxl: false,
      reason: 'openpyxl is not installed for python3 (Debian: python3-openpyxl)',
    };
  }
}

describe('xlsx feeds: read by readers other than SheetJS', () => {
  const found = pythonFinding();
  if (!found.python) console.warn(`skipping the Python reader test: ${found.reason}`);
  if (found.python && !found.openpyxl) console.warn(`skipping the openpyxl test: ${found.reason}`);
  const readWithPython = (bytes: Buffer) =>
    JSON.parse(execFileSync(found.python!, ['-c', PYTHON_READER], { input: bytes }).toString('utf8'));

  (found.python ? test : test.skip)(
    'Python zipfile and ElementTree read the same cells, formats and frozen row',
    () => {
      const rows = [...NATIONAL_ROWS, { ...NATIONAL_ROWS[0]!, source_title: HOSTILE_TITLES[0]! }];
      const out = readWithPython(toXlsx(rows, META));
      expect(out.crcError).toBeNull();
      expect(out.workbookSheets).toEqual([XLSX_SHEETS.figures, XLSX_SHEETS.about]);
      expect(out.pane).toEqual({ ySplit: '1', topLeftCell: 'A2', activePane: 'bottomLeft', state: 'frozen' });
      expect(CSV_COLUMNS.map((_, c) => out.cells[`${'ABCDEFGHI'[c]}1`].v)).toEqual([...CSV_COLUMNS]);
      expect(out.cells.C2).toEqual({ t: 'n', v: serial('2018-01-17'), format: 'yyyy-mm-dd' });
      expect(out.cells.C4).toEqual({ t: 'n', v: serial('2015-03-01'), format: 'yyyy-mm' });
      expect(out.cells.E2).toEqual({ t: 'n', v: 5, format: 'builtin 0' });
      expect(out.cells.E3).toEqual({ t: 'n', v: 0, format: 'builtin 0' });
      expect(out.cells.E6).toBeUndefined();
      expect(out.cells.I5).toEqual({ t: 's', v: 'SIMULATED cumbria feed (json)', format: 'builtin 0' });
      expect(out.cells.I8).toEqual({ t: 's', v: `'${HOSTILE_TITLES[0]}`, format: 'builtin 0' });
    },
  );

  (found.openpyxl ? test : test.skip)(
    'openpyxl reads numbers, dates at their precision, text and the frozen row',
    () => {
      const out = readWithPython(toXlsx(NATIONAL_ROWS, META)).openpyxl;
      expect(out.freeze).toBe('A2');
      expect(out.cells.C2).toEqual({
        type: 'd',
        format: 'yyyy-mm-dd',
        isDate: true,
        value: '2018-01-17T00:00:00',
      });
      expect(out.cells.C4).toEqual({
        type: 'd',
        format: 'yyyy-mm',
        isDate: true,
        value: '2015-03-01T00:00:00',
      });
      expect(out.cells.E2).toMatchObject({ type: 'n', value: 5 });
      expect(out.cells.I5).toMatchObject({ type: 's', value: 'SIMULATED cumbria feed (json)' });
    },
  );
});

/** A part of the package, as text, read with the zip library SheetJS bundles. */
function partXml(bytes: Buffer, path: string): string {
  const zip = XLSX.CFB.read(bytes, { type: 'buffer' });
  return Buffer.from(XLSX.CFB.find(zip, path).content).toString('utf8');
}

function sheetXml(bytes: Buffer, n: number): string {
  return partXml(bytes, `/xl/worksheets/sheet${n}.xml`);
}

/**
 * Each zip entry's compression method and the DOS time/date of its local header (APPNOTE 4.3.7), found
 * through the central directory (4.3.12). The local header is the one to check: SheetJS writes a zero time
 * in the central directory whatever the entry holds, and readers differ in which they show.
 */
function zipEntries(bytes: Buffer): Array<{ method: number; time: number }> {
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  const entries: Array<{ method: number; time: number }> = [];
  for (let i = 0; i < count; i++) {
    expect(bytes.readUInt32LE(at)).toBe(0x02014b50);
    const local = bytes.readUInt32LE(at + 42);
    expect(bytes.readUInt32LE(local)).toBe(0x04034b50);
    entries.push({ method: bytes.readUInt16LE(local + 8), time: bytes.readUInt32LE(local + 10) });
    at += 46 + bytes.readUInt16LE(at + 28) + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return entries;
}

function zipEntryTimes(bytes: Buffer): number[] {
  return zipEntries(bytes).map((entry) => entry.time);
}

function zipEntryMethods(bytes: Buffer): number[] {
  return zipEntries(bytes).map((entry) => entry.method);
}
