import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { SourceConfigInput } from '../../../../src/config/schema';
import { sourceConfigSchema } from '../../../../src/config/schema';
import type { SourceReport } from '../../../../src/domain/figure';
import { loadDefaultRegistry } from '../../../../src/domain/force-registry';
import type { SourceError } from '../../../../src/errors';
import { buildConfig, ConfigError } from '../../../../src/config/load';
import { MAX_UPSTREAM_BYTES } from '../../../../src/sources/http';
import { createSource } from '../../../../src/sources/source';
import type { FixtureCell } from './fixtures';
import {
  SCOTLAND_SOURCE,
  SCOTLAND_TABLE,
  SCOTLAND_TITLE,
  SCOTLAND_URL,
  odsWithRows,
  unzip,
  workbook,
  zipOf,
} from './fixtures';

const registry = loadDefaultRegistry();
let server: http.Server;
let base: string;
let dir: string;
const served = new Map<string, Buffer>();

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-sheet-'));
  server = http.createServer((req, res) => {
    const body = served.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    if (req.url?.endsWith('.gz')) {
      const gzipped = zlib.gzipSync(body);
      return void res
        .writeHead(200, { 'content-encoding': 'gzip', 'content-length': gzipped.length })
        .end(gzipped);
    }
    res
      .writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length })
      .end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Serves `bytes` at a new path and returns its URL. */
function serve(name: string, bytes: Buffer): string {
  served.set(`/${name}`, bytes);
  return `${base}/${name}`;
}

/** Loads a spreadsheet source (the Scottish table's options unless overridden) through the real source path. */
function load(location: string, extra: Partial<SourceConfigInput> = {}): Promise<SourceReport> {
  const config = sourceConfigSchema.parse({ id: 'scotland-mappa', ...SCOTLAND_SOURCE, location, ...extra });
  return createSource(config, { registry, baseDir: dir, env: {} }).load();
}

/** What `load` rejected with: code and public message. */
async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as SourceError;
    return { code: e.code, message: e.publicMessage };
  }
  throw new Error('expected the load to fail');
}

describe('the Scottish MAPPA appendix table as a spreadsheet source', () => {
  it.each(['xlsx', 'ods'] as const)(
    'reads the %s table over HTTP: wanted and in-community figures per year',
    async (format) => {
      const url = serve(
        `scotland.${format}`,
        workbook({ Contents: [['Contents']], 'Appendix C': SCOTLAND_TABLE }, format),
      );
      const report = await load(url);
      const figures = report.figures.map((f) => ({
        measure: f.measure,
        value: f.value,
        basis: f.basis,
        asAt: f.asAt,
        title: f.provenance.title,
        url: f.provenance.url,
      }));
      const day = (date: string) => ({ date, precision: 'DAY', start: date, end: date });
      expect(figures).toEqual(
        expect.arrayContaining([
          {
            measure: 'UNACCOUNTED',
            value: 13,
            basis: 'WANTED',
            asAt: day('2023-03-31'),
            title: SCOTLAND_TITLE,
            url: SCOTLAND_URL,
          },
          {
            measure: 'UNACCOUNTED',
            value: 12,
            basis: 'WANTED',
            asAt: day('2024-03-31'),
            title: SCOTLAND_TITLE,
            url: SCOTLAND_URL,
          },
          {
            measure: 'REGISTERED',
            value: 4747,
            basis: null,
            asAt: day('2023-03-31'),
            title: SCOTLAND_TITLE,
            url: SCOTLAND_URL,
          },
          {
            measure: 'REGISTERED',
            value: 4948,
            basis: null,
            asAt: day('2024-03-31'),
            title: SCOTLAND_TITLE,
            url: SCOTLAND_URL,
          },
        ]),
      );
      expect(figures).toHaveLength(4);
      expect(report.figures.every((f) => f.forceId === 'police-scotland' && f.status === 'REPORTED')).toBe(
        true,
      );
    },
  );

  it('reads the same table from a file in a fileRoots folder, and refuses one outside it at start', async () => {
    const tables = path.join(dir, 'tables');
    const configDir = path.join(dir, 'config');
    fs.mkdirSync(tables, { recursive: true });
    fs.mkdirSync(configDir, { recursive: true });
    fs.writeFileSync(path.join(tables, 'scotland.ods'), workbook({ 'Appendix C': SCOTLAND_TABLE }, 'ods'));
    const source = { id: 'scotland-mappa', ...SCOTLAND_SOURCE, location: '../tables/scotland.ods' };
    const config = buildConfig(
      { fileRoots: ['../tables'], sources: [source] },
      { baseDir: configDir, origin: 'test' },
    );
    const report = await createSource(config.sources[0]!, { registry, baseDir: configDir, env: {} }).load();
    expect(report.figures.filter((f) => f.measure === 'UNACCOUNTED').map((f) => f.value)).toEqual([13, 12]);
    expect(() => buildConfig({ sources: [source] }, { baseDir: configDir, origin: 'test' })).toThrow(
      ConfigError,
    );
  });

  it('reads a workbook sent gzip-encoded, byte for byte', async () => {
    const url = serve('scotland.xlsx.gz', workbook({ 'Appendix C': SCOTLAND_TABLE }, 'xlsx'));
    const report = await load(url);
    expect(report.figures.map((f) => f.value)).toEqual([13, 4747, 12, 4948]);
  });

  it('refuses a file location over the size cap without reading past it', async () => {
    fs.writeFileSync(path.join(dir, 'huge.xlsx'), Buffer.alloc(MAX_UPSTREAM_BYTES + 1));
    const error = await failure(load('huge.xlsx'));
    expect(error).toEqual({
      code: 'UPSTREAM_INVALID_PAYLOAD',
      message: `the payload is larger than ${MAX_UPSTREAM_BYTES} bytes`,
    });
  });

  it('reads several workbooks asked for at once, one parser at a time, each with its own figures', async () => {
    const urls = (['xlsx', 'ods', 'xlsx'] as const).map((format, i) =>
      serve(`queued-${i}.${format}`, workbook({ 'Appendix C': SCOTLAND_TABLE }, format)),
    );
    const reports = await Promise.all(urls.map((url) => load(url)));
    for (const report of reports) expect(report.figures.map((f) => f.value)).toEqual([13, 4747, 12, 4948]);
  });

  it('finds the header row by its first cell when no range is given, past the title rows and the note below', async () => {
    const url = serve('scotland-find.xlsx', workbook({ 'Appendix C': SCOTLAND_TABLE }, 'xlsx'));
    const report = await load(url, {
      spreadsheet: { sheet: 'appendix c', headerRow: ' CATEGORY ', records: 'columns', yearDay: '03-31' },
    });
    expect(report.figures.map((f) => [f.measure, f.asAt!.date, f.value])).toEqual([
      ['UNACCOUNTED', '2023-03-31', 13],
      ['REGISTERED', '2023-03-31', 4747],
      ['UNACCOUNTED', '2024-03-31', 12],
      ['REGISTERED', '2024-03-31', 4948],
    ]);
  });

  it('without yearDay a year header is a figure of YEAR precision', async () => {
    const url = serve('scotland-year.xlsx', workbook({ 'Appendix C': SCOTLAND_TABLE }, 'xlsx'));
    const report = await load(url, {
      spreadsheet: { sheet: 'Appendix C', range: 'A4:C13', records: 'columns' },
    });
    expect(report.figures[0]!.asAt).toEqual({
      date: '2023',
      precision: 'YEAR',
      start: '2023-01-01',
      end: '2023-12-31',
    });
  });
});

/**
 * Rows of src/data/published-figures.csv (with their citations), as a table with a title above the header:
 * a record per row. Dates in several cell forms.
 */
const PUBLISHED: FixtureCell[][] = [
  ['Published figures on registered sex offenders whose whereabouts are unknown'],
  [],
  ['force_id', 'as_at', 'basis', 'value', 'source_title', 'source_url'],
  [
    'dorset',
    new Date(Date.UTC(2018, 0, 17)),
    'WHEREABOUTS_UNKNOWN',
    5,
    'Sky News FOI investigation into missing registered sex offenders - Swanage and Wareham Voice',
    'https://www.swanageandwarehamvoice.co.uk/news/16101180.police-have-lost-track-of-hundreds-of-registered-sex-offenders-across-the-uk/',
  ],
  [
    'suffolk',
    '2015-03',
    'WANTED',
    5,
    'Press Association FOI - Cambs Times',
    'https://www.cambstimes.co.uk/news/cambridgeshire-loses-10-registered-sex-offenders-as-figures-reveal-nearly-4863994',
  ],
  [
    'police-scotland',
    '2018-01-17',
    'WANTED',
    12,
    'Sky News FOI investigation into missing registered sex offenders - STV News 20 Mar 2018',
    'https://stv.tv/news/scotland/1410699-more-than-ten-sex-offenders-missing-across-scotland/',
  ],
];

const PUBLISHED_SOURCE: Partial<SourceConfigInput> = {
  title: 'Published figures (test table)',
  url: null,
  forces: '*',
  constants: {},
  spreadsheet: { headerRow: 3 },
  mapping: {
    forceId: 'force_id',
    asAt: 'as_at',
    basis: 'basis',
    unaccounted: 'value',
    title: 'source_title',
    url: 'source_url',
  },
};

/** `PUBLISHED` with row `index` (0 is the first record) changed by `change`. */
function publishedWith(index: number, change: (row: FixtureCell[]) => void): FixtureCell[][] {
  const rows = PUBLISHED.map((row) => [...row]);
  change(rows[3 + index]!);
  return rows;
}

describe('a table of one record per row', () => {
  it.each(['xlsx', 'ods'] as const)(
    'reads %s rows with their own citations; date cells become days, month text keeps its precision',
    async (format) => {
      const report = await load(
        serve(`published.${format}`, workbook({ Figures: PUBLISHED }, format)),
        PUBLISHED_SOURCE,
      );
      expect(
        report.figures.map((f) => ({
          force: f.forceId,
          value: f.value,
          basis: f.basis,
          asAt: f.asAt,
          url: f.provenance.url,
        })),
      ).toEqual([
        {
          force: 'dorset',
          value: 5,
          basis: 'WHEREABOUTS_UNKNOWN',
          asAt: { date: '2018-01-17', precision: 'DAY', start: '2018-01-17', end: '2018-01-17' },
          url: PUBLISHED[3]![5],
        },
        {
          force: 'suffolk',
          value: 5,
          basis: 'WANTED',
          asAt: { date: '2015-03', precision: 'MONTH', start: '2015-03-01', end: '2015-03-31' },
          url: PUBLISHED[4]![5],
        },
        {
          force: 'police-scotland',
          value: 12,
          basis: 'WANTED',
          asAt: { date: '2018-01-17', precision: 'DAY', start: '2018-01-17', end: '2018-01-17' },
          url: PUBLISHED[5]![5],
        },
      ]);
    },
  );

  it('a date cell with a time of day is its day', async () => {
    const rows = publishedWith(0, (row) => (row[1] = new Date(Date.UTC(2018, 0, 17, 23, 30))));
    const report = await load(serve('datetime.xlsx', workbook({ Figures: rows }, 'xlsx')), PUBLISHED_SOURCE);
    expect(report.figures[0]!.asAt!.date).toBe('2018-01-17');
  });

  it.each([
    ['a number that is not formatted as a date', 43117],
    ['a day written the British way', '17/01/2018'],
  ])('refuses %s as asAt, naming the row and field', async (_what, value) => {
    const rows = publishedWith(0, (row) => (row[1] = value));
    const error = await failure(
      load(serve(`bad-date-${value}.xlsx`, workbook({ Figures: rows }, 'xlsx')), PUBLISHED_SOURCE),
    );
    expect(error.code).toBe('UPSTREAM_INVALID_PAYLOAD');
    expect(error.message).toContain('row 1: field "asAt" (source field "as_at") must be a date');
  });

  it.each([
    ['with thousands separators', '4,948', 'must be a whole number'],
    ['negative', -3, 'must be a whole number'],
    ['fractional', 4.5, 'must be a whole number'],
  ])('refuses a count %s, as CSV does', async (_what, value, message) => {
    const rows = publishedWith(1, (row) => (row[3] = value));
    const error = await failure(
      load(serve(`bad-count-${String(value)}.ods`, workbook({ Figures: rows }, 'ods')), PUBLISHED_SOURCE),
    );
    expect(error).toEqual({
      code: 'UPSTREAM_INVALID_PAYLOAD',
      message: expect.stringContaining(`row 2: field "unaccounted" (source field "value") ${message}`),
    });
  });

  it("takes a formula's saved result, never evaluates, and neutralises formula-like text as CSV does", async () => {
    const rows = publishedWith(0, (row) => {
      row[3] = { formula: '2+3', result: 5 };
      row[4] = '=HYPERLINK("http://x")';
    });
    const report = await load(serve('formulas.xlsx', workbook({ Figures: rows }, 'xlsx')), PUBLISHED_SOURCE);
    expect(report.figures[0]).toMatchObject({ value: 5, provenance: { title: `'=HYPERLINK("http://x")` } });
  });

  it('refuses a formula saved without its result in a mapped field, naming the cell', async () => {
    const rows = publishedWith(2, (row) => (row[3] = { formula: 'D4+D5' }));
    const error = await failure(
      load(serve('uncalculated.xlsx', workbook({ Figures: rows }, 'xlsx')), PUBLISHED_SOURCE),
    );
    expect(error.message).toBe(
      'cell D6 is a formula saved without its result; formulas are never evaluated, so the workbook must be saved by a program that calculates them',
    );
  });

  it('refuses an error cell in a mapped field, naming the cell and the error', async () => {
    const rows = publishedWith(1, (row) => (row[3] = { errorCode: 0x2a }));
    const error = await failure(
      load(serve('error-cell.xlsx', workbook({ Figures: rows }, 'xlsx')), PUBLISHED_SOURCE),
    );
    expect(error.message).toBe('cell D5 holds the spreadsheet error #N/A; a mapped field must hold a value');
  });

  it('ignores an error cell in a column nothing reads', async () => {
    const rows = publishedWith(1, (row) => row.push({ errorCode: 0x07 }));
    rows[2]!.push('notes');
    const report = await load(
      serve('unread-error.xlsx', workbook({ Figures: rows }, 'xlsx')),
      PUBLISHED_SOURCE,
    );
    expect(report.figures.map((f) => f.value)).toEqual([5, 5, 12]);
  });

  it('a __proto__ header is a field like any other, and pollutes nothing', async () => {
    const rows = PUBLISHED.map((row) => [...row]);
    rows[2]![3] = '__proto__';
    const report = await load(serve('proto.ods', workbook({ Figures: rows }, 'ods')), {
      ...PUBLISHED_SOURCE,
      mapping: { ...PUBLISHED_SOURCE.mapping, unaccounted: '__proto__' },
    });
    expect(report.figures.map((f) => f.value)).toEqual([5, 5, 12]);
    expect(({} as Record<string, unknown>).forceId).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });
});

describe('workbooks that cannot be read are source errors with a reason, never a crash', () => {
  const good = () => workbook({ Figures: PUBLISHED, Empty: [] }, 'xlsx');

  it.each<[string, () => Buffer, Partial<SourceConfigInput>, string]>([
    [
      'a missing sheet',
      good,
      { spreadsheet: { sheet: 'Appendix D' } },
      'the workbook has no sheet named "Appendix D" (it has 2)',
    ],
    [
      'an empty sheet',
      good,
      { spreadsheet: { sheet: 'Empty' } },
      'the sheet "Empty" of the workbook is empty',
    ],
    [
      'a header text no row has',
      good,
      { spreadsheet: { headerRow: 'Force' } },
      'no row of the table read (rows 1 to 6) has the configured header text in its first cell (column A)',
    ],
    [
      'a range outside the sheet',
      good,
      { spreadsheet: { range: 'H20:K30' } },
      'the range H20:K30 holds no cells of the first sheet (its cells are A1:F6)',
    ],
    [
      'a header row that repeats a name',
      () =>
        workbook(
          { Figures: publishedWith(0, () => undefined).map((row, i) => (i === 2 ? [...row, 'value'] : row)) },
          'xlsx',
        ),
      { spreadsheet: { headerRow: 3 } },
      'the header row gives one name twice (D3 and G3); each field needs its own',
    ],
    [
      'a format other than the one configured',
      good,
      { spreadsheet: { format: 'ods', headerRow: 3 } },
      'the workbook is XLSX, but the source is configured for format ods',
    ],
    [
      'a CSV file named .xlsx',
      () => Buffer.from('force_id,as_at,value\ndorset,2018-01-17,5\n'),
      {},
      'the payload is not a zip file (CSV or other text, or binary), not a workbook; accepted: an .xlsx or .ods file',
    ],
    [
      'an HTML page named .xlsx',
      () => Buffer.from('<!doctype html><title>Not found</title>'),
      {},
      'the payload is an HTML or XML page, not a workbook; accepted: an .xlsx or .ods file',
    ],
    [
      'a truncated workbook',
      () => good().subarray(0, 900),
      {},
      'the workbook is not a complete zip file (truncated or damaged)',
    ],
    [
      'a password-protected workbook (an OLE container)',
      () => Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(512)]),
      {},
      'the workbook is an OLE compound file: a password-protected workbook or a legacy .xls, neither of which is read; accepted: an unencrypted .xlsx or .ods file',
    ],
    [
      'a zip with encrypted entries',
      () => zipOf(unzip(good()).map((e) => ({ ...e, flags: 1 }))),
      {},
      'the workbook is encrypted (password-protected); accepted: an unencrypted .xlsx or .ods file',
    ],
    [
      'a zip bomb that declares its size (entries declaring 4 GB)',
      () =>
        zipOf(
          unzip(good()).map((e) =>
            e.name === 'xl/worksheets/sheet1.xml' ? { ...e, declaredSize: 0xfffffffe } : e,
          ),
        ),
      {},
      'bytes once inflated; at most 33554432 are accepted',
    ],
    [
      'a zip bomb that lies about its size (100 MB of zeros declared as 1 KB)',
      () =>
        zipOf([
          ...unzip(good()).filter((e) => e.name !== 'xl/worksheets/sheet1.xml'),
          { name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(100 * 1024 * 1024), declaredSize: 1024 },
        ]),
      {},
      'a zip entry of the workbook inflates to more bytes than it declares (a compression bomb); it was not read',
    ],
  ])('%s', async (_what, bytes, extra, message) => {
    const name = `hostile-${_what.replace(/\W+/g, '-')}.xlsx`;
    const error = await failure(load(serve(name, bytes()), { ...PUBLISHED_SOURCE, ...extra }));
    expect(error.code).toBe('UPSTREAM_INVALID_PAYLOAD');
    expect(error.message).toContain(message);
  });

  it('an ODS whose repeated cells expand to billions ends its parser at the heap limit; the gateway goes on', async () => {
    const bomb = odsWithRows(
      '<table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="16000" office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>',
    );
    const error = await failure(
      load(serve('repeat-bomb.ods', bomb), { ...PUBLISHED_SOURCE, timeoutMs: 60_000 }),
    );
    expect(error).toEqual({
      code: 'UPSTREAM_INVALID_PAYLOAD',
      message: 'the workbook needs more than 256 MiB to read (it expands to too many cells); it was not read',
    });
    // The next workbook is read as usual.
    const report = await load(
      serve('after-bomb.ods', workbook({ Figures: PUBLISHED }, 'ods')),
      PUBLISHED_SOURCE,
    );
    expect(report.figures).toHaveLength(3);
  });

  it("a parse that outlasts the source's time budget is ended, as UPSTREAM_TIMEOUT", async () => {
    const error = await failure(load(serve('slow.xlsx', good()), { ...PUBLISHED_SOURCE, timeoutMs: 5 }));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
  });

  it('a sheet longer than the rows read is refused without a range, never cut short', async () => {
    const rows: FixtureCell[][] = [
      ['force_id', 'as_at', 'value'],
      ...Array.from({ length: 10_000 }, () => ['dorset', '2018-01-17', 5]),
    ];
    const error = await failure(
      load(serve('long.xlsx', workbook({ Figures: rows }, 'xlsx')), { ...PUBLISHED_SOURCE, spreadsheet: {} }),
    );
    expect(error.message).toBe(
      'the first sheet has 10001 rows; only the first 10000 are read, so give a range within them',
    );
  });
});
