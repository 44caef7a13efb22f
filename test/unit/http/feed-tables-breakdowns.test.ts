import * as XLSX from '@e965/xlsx';
import { parse } from 'csv-parse/sync';
import { toCsv } from '../../../src/http/feed-csv';
import { feedFormatsOf, feedTable } from '../../../src/http/feed-tables';
import type { BreakdownFields } from '../../../src/http/feed-tables/breakdowns';
import {
  BREAKDOWN_MEANINGS,
  CELL_STATUS_MEANINGS,
  FORCE_BREAKDOWNS,
  FORCE_BREAKDOWNS_NOTES,
  NATIONAL_BREAKDOWN,
  NATIONAL_BREAKDOWN_NOTES,
} from '../../../src/http/feed-tables/breakdowns';
import type { FeedTable } from '../../../src/http/feed-tables/table';
import { columnNames, rowsOf } from '../../../src/http/feed-tables/table';
import { XLSX_SHEETS, toXlsx } from '../../../src/http/feed-xlsx';

// Hand-written results in the shape of the NationalBreakdown and ForceBreakdowns operations. Dorset 2018's
// cells are the published ones (1 + 3 + 1 = 5); every other title says it is a fixture.
const SKY = {
  sourceId: 'published-breakdowns',
  title: 'Sky News FOI (fixture)',
  url: null,
  simulated: false,
};
const ECHO = { sourceId: 'published-breakdowns', title: 'Daily Echo (fixture)', url: null, simulated: false };
const day = (date: string) => ({ date, precision: 'DAY' });
const cells = (status: string, values: Array<number | null>, categories = ['2014', '2016', '2017']) =>
  categories.map((category, i) => ({ category, value: values[i] ?? null, status }));

const dorset2018 = (shown: boolean) => ({
  status: 'REPORTED',
  complete: true,
  asAt: day('2018-01-17'),
  provenance: SKY,
  cells: shown ? cells('REPORTED', [1, 3, 1]) : cells('SUPPRESSED', [null, null, null]),
});
const durham = {
  status: 'REPORTED',
  complete: false,
  asAt: { date: '2017-12', precision: 'MONTH' },
  provenance: { sourceId: 'sim', title: 'SIMULATED Durham feed (fixture)', url: null, simulated: true },
  cells: cells('REPORTED', [0, 4], ['2014', '2016']),
};
const withheld = {
  status: 'WITHHELD',
  complete: false,
  asAt: day('2018-01-17'),
  provenance: { ...ECHO, title: '=HYPERLINK("x") fixture' },
  cells: [],
};

const national = (role: 'journalist' | 'analyst') => ({
  nationalBreakdown: {
    dimension: 'YEAR_WENT_MISSING',
    asAt: '2018-01-17',
    windowDays: 90,
    disclosureK: role === 'analyst' ? null : 3,
    categories: ['2014', '2016', '2017'],
    rows: [
      {
        force: { id: 'avon-and-somerset', name: 'Avon and Somerset' },
        disclosure: 'NONE',
        headline: null,
        breakdown: null,
      },
      {
        force: { id: 'dorset', name: 'Dorset Police' },
        disclosure: role === 'analyst' ? 'SHOWN' : 'SUPPRESSED',
        headline: 5,
        breakdown: dorset2018(role === 'analyst'),
      },
      { force: { id: 'durham', name: 'Durham' }, disclosure: 'SHOWN', headline: 9, breakdown: durham },
      {
        force: { id: 'kent', name: 'Kent' },
        disclosure: 'NOT_REPORTED',
        headline: null,
        breakdown: withheld,
      },
    ],
    columnTotals:
      role === 'analyst'
        ? [
            { category: '2014', value: 1, forces: 2 },
            { category: '2016', value: 7, forces: 2 },
            { category: '2017', value: 1, forces: 1 },
          ]
        : [
            { category: '2014', value: 0, forces: 1 },
            { category: '2016', value: 4, forces: 1 },
            { category: '2017', value: 0, forces: 0 },
          ],
    coverage: {},
    audit: null,
  },
});

const csvOf = (text: string) => parse(text, { bom: true, columns: true }) as Array<Record<string, string>>;
const csvRows = (data: unknown, table: FeedTable = NATIONAL_BREAKDOWN) =>
  csvOf(toCsv(table, rowsOf(table, data)));
const shownText = (sheet: XLSX.WorkSheet) =>
  XLSX.utils.sheet_to_json<string[]>(sheet, { header: 1, raw: false, defval: '' });

const DORSET = {
  force_id: 'dorset',
  force_name: 'Dorset Police',
  dimension: 'YEAR_WENT_MISSING',
  breakdown_status: 'REPORTED',
  complete: 'TRUE',
  headline: '5',
  as_at: '2018-01-17',
  precision: 'DAY',
  source_title: 'Sky News FOI (fixture)',
  simulated: 'FALSE',
};

describe('the national-breakdown table: one row per force and category', () => {
  test('is the feed table of national-breakdown, with CSV and .xlsx forms', () => {
    expect(feedTable('national-breakdown')).toBe(NATIONAL_BREAKDOWN);
    expect(feedFormatsOf('national-breakdown')).toEqual(['json', 'csv', 'xlsx']);
    expect(columnNames(NATIONAL_BREAKDOWN)).toEqual([
      'force_id',
      'force_name',
      'dimension',
      'breakdown',
      'breakdown_status',
      'category',
      'value',
      'status',
      'complete',
      'headline',
      'as_at',
      'precision',
      'source_title',
      'simulated',
      'disclosure_k',
    ]);
  });

  test("a journalist's Dorset 2018 is three rows, each SUPPRESSED with no value, and the headline 5", () => {
    const dorset = csvRows(national('journalist')).filter((row) => row.force_id === 'dorset');
    expect(dorset).toEqual(
      ['2014', '2016', '2017'].map((category) => ({
        ...DORSET,
        breakdown: 'SUPPRESSED',
        category,
        value: '',
        status: 'SUPPRESSED',
        disclosure_k: '3',
      })),
    );
  });

  test("an analyst's Dorset 2018 is the same three rows with the counts 1, 3 and 1, and no threshold", () => {
    const dorset = csvRows(national('analyst')).filter((row) => row.force_id === 'dorset');
    expect(dorset).toEqual(
      [
        ['2014', '1'],
        ['2016', '3'],
        ['2017', '1'],
      ].map(([category, value]) => ({
        ...DORSET,
        breakdown: 'SHOWN',
        category,
        value,
        status: 'REPORTED',
        disclosure_k: '',
      })),
    );
  });

  test('a force with no breakdown (NONE) keeps one row, with no category, value or breakdown columns', () => {
    const [first] = csvRows(national('journalist'));
    expect(first).toEqual({
      force_id: 'avon-and-somerset',
      force_name: 'Avon and Somerset',
      dimension: 'YEAR_WENT_MISSING',
      breakdown: 'NONE',
      breakdown_status: '',
      category: '',
      value: '',
      status: '',
      complete: '',
      headline: '',
      as_at: '',
      precision: '',
      source_title: '',
      simulated: '',
      disclosure_k: '3',
    });
  });

  test('a breakdown refused whole (no cells) keeps one row, and its title is formula-guarded', () => {
    const kent = csvRows(national('journalist')).filter((row) => row.force_id === 'kent');
    expect(kent).toEqual([
      expect.objectContaining({
        breakdown: 'NOT_REPORTED',
        breakdown_status: 'WITHHELD',
        category: '',
        value: '',
        status: '',
        source_title: `'=HYPERLINK("x") fixture`,
      }),
    ]);
  });

  test('every force of the table has a row, in order, and no row is a column total', () => {
    for (const role of ['journalist', 'analyst'] as const) {
      const rows = csvRows(national(role));
      const ids = [...new Set(rows.map((row) => row.force_id))];
      expect(ids).toEqual(national(role).nationalBreakdown.rows.map((r) => r.force.id));
      expect(rows).toHaveLength(1 + 3 + 2 + 1);
      expect(rows.every((row) => row.force_id !== '')).toBe(true);
    }
  });

  test('summing value over REPORTED cells of SHOWN breakdowns, per category, gives the column totals', () => {
    for (const role of ['journalist', 'analyst'] as const) {
      const data = national(role);
      const rows = csvRows(data);
      for (const total of data.nationalBreakdown.columnTotals) {
        const counted = rows.filter(
          (row) => row.category === total.category && row.status === 'REPORTED' && row.breakdown === 'SHOWN',
        );
        expect(counted.reduce((sum, row) => sum + Number(row.value), 0)).toBe(total.value);
        expect(counted).toHaveLength(total.forces);
      }
    }
  });

  test('the legend explains every value the breakdown column can hold', () => {
    expect(NATIONAL_BREAKDOWN.legend).toEqual({ column: 'breakdown', meanings: BREAKDOWN_MEANINGS });
    expect(Object.keys(BREAKDOWN_MEANINGS)).toEqual(['SHOWN', 'SUPPRESSED', 'NOT_REPORTED', 'NONE']);
    for (const row of csvRows(national('journalist')))
      expect(BREAKDOWN_MEANINGS).toHaveProperty(row.breakdown!);
  });

  test('a result without the table (or an error result) is the header row alone', () => {
    expect(toCsv(NATIONAL_BREAKDOWN, rowsOf(NATIONAL_BREAKDOWN, null))).toBe(
      `\ufeff${columnNames(NATIONAL_BREAKDOWN).join(',')}\r\n`,
    );
  });

  test('the workbook has the CSV cells: numbers, logicals, a month shown as a month; its About sheet explains them', () => {
    const rows = rowsOf(NATIONAL_BREAKDOWN, national('analyst'));
    const meta = {
      feed: 'national-breakdown',
      parameters: { dimension: 'YEAR_WENT_MISSING', asAt: '2018-01-17' },
      generatedAtMs: Date.UTC(2018, 0, 18),
    };
    const book = XLSX.read(toXlsx(NATIONAL_BREAKDOWN, rows, meta), { type: 'buffer', cellNF: true });
    const sheet = book.Sheets[XLSX_SHEETS.figures]!;
    expect(shownText(sheet)).toEqual(parse(toCsv(NATIONAL_BREAKDOWN, rows), { bom: true }));
    // Row 3 is Dorset 2014: value G, complete I, headline J, as_at K, simulated N, disclosure_k O.
    expect(sheet.G3).toMatchObject({ t: 'n', v: 1 });
    expect(sheet.I3).toMatchObject({ t: 'b', v: true });
    expect(sheet.J3).toMatchObject({ t: 'n', v: 5 });
    expect(sheet.K3).toMatchObject({ t: 'n', z: 'yyyy-mm-dd', w: '2018-01-17' });
    expect(sheet.N3).toMatchObject({ t: 'b', v: false });
    expect(sheet.O3).toBeUndefined();
    // Row 6 is Durham 2014, a simulated count of zero dated to a month.
    expect(sheet.G6).toMatchObject({ t: 'n', v: 0 });
    expect(sheet.K6).toMatchObject({ t: 'n', w: '2017-12' });
    expect(sheet.N6).toMatchObject({ t: 'b', v: true });
    const about = shownText(book.Sheets[XLSX_SHEETS.about]!);
    expect(about.find((row) => row[0] === 'dimension')?.[1]).toBe('YEAR_WENT_MISSING');
    // After the parameters (dimension is one, and a column too): the columns, the legend and the notes.
    const described = about.slice(about.findIndex((row) => row[0] === 'column'));
    const valueOf = (label: string) => described.find((row) => row[0] === label)?.[1];
    for (const column of NATIONAL_BREAKDOWN.columns) expect(valueOf(column.name)).toBe(column.holds);
    for (const [value, meaning] of Object.entries(BREAKDOWN_MEANINGS)) expect(valueOf(value)).toBe(meaning);
    for (const note of NATIONAL_BREAKDOWN_NOTES) expect(about.map((row) => row[1])).toContain(note);
    expect(NATIONAL_BREAKDOWN_NOTES.join(' ')).toMatch(/column totals and the coverage .* JSON form/);
  });
});

describe('the force-breakdowns table: one row per breakdown and category', () => {
  const force = (breakdowns: BreakdownFields[], unaccounted: unknown) => ({
    force: { id: 'dorset', name: 'Dorset Police', latest: { asAt: '2018-01-17', unaccounted, breakdowns } },
  });
  const five = { value: 5, status: 'REPORTED', asAt: { date: '2018-01-17' } };
  const withDimension = (dimension: string, breakdown: object) =>
    ({ dimension, ...breakdown }) as BreakdownFields;

  test('is the feed table of force-breakdowns, with CSV and .xlsx forms', () => {
    expect(feedTable('force-breakdowns')).toBe(FORCE_BREAKDOWNS);
    expect(feedFormatsOf('force-breakdowns')).toEqual(['json', 'csv', 'xlsx']);
    expect(columnNames(FORCE_BREAKDOWNS)).toEqual([
      'force_id',
      'force_name',
      'dimension',
      'breakdown_status',
      'category',
      'value',
      'status',
      'complete',
      'headline',
      'as_at',
      'precision',
      'source_title',
      'simulated',
    ]);
  });

  test("a journalist's Dorset 2018 is three SUPPRESSED rows with the same-day unaccounted figure as headline", () => {
    const rows = csvRows(
      force([withDimension('YEAR_WENT_MISSING', dorset2018(false))], five),
      FORCE_BREAKDOWNS,
    );
    expect(rows).toEqual(
      ['2014', '2016', '2017'].map((category) => ({ ...DORSET, category, value: '', status: 'SUPPRESSED' })),
    );
  });

  test("an analyst's has the counts 1, 3 and 1", () => {
    const rows = csvRows(
      force([withDimension('YEAR_WENT_MISSING', dorset2018(true))], five),
      FORCE_BREAKDOWNS,
    );
    expect(rows.map((row) => [row.category, row.value, row.status])).toEqual([
      ['2014', '1', 'REPORTED'],
      ['2016', '3', 'REPORTED'],
      ['2017', '1', 'REPORTED'],
    ]);
  });

  test('a withheld breakdown keeps one row with no category, value or status', () => {
    const rows = csvRows(
      force(
        [withDimension('MAPPA_LEVEL', withheld), withDimension('YEAR_WENT_MISSING', dorset2018(true))],
        five,
      ),
      FORCE_BREAKDOWNS,
    );
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({
      force_id: 'dorset',
      force_name: 'Dorset Police',
      dimension: 'MAPPA_LEVEL',
      breakdown_status: 'WITHHELD',
      category: '',
      value: '',
      status: '',
      complete: 'FALSE',
      headline: '5',
      as_at: '2018-01-17',
      precision: 'DAY',
      source_title: `'=HYPERLINK("x") fixture`,
      simulated: 'FALSE',
    });
  });

  test('headline is empty when the unaccounted figure is of another day, not reported, or not what the breakdown splits', () => {
    const headlines = (breakdown: BreakdownFields, unaccounted: unknown) =>
      csvRows(force([breakdown], unaccounted), FORCE_BREAKDOWNS).map((row) => row.headline);
    const years = withDimension('YEAR_WENT_MISSING', dorset2018(true));
    expect(headlines(years, { ...five, asAt: { date: '2018-01-16' } })).toEqual(['', '', '']);
    expect(headlines(years, { ...five, asAt: null })).toEqual(['', '', '']);
    expect(headlines(years, { value: null, status: 'WITHHELD', asAt: { date: '2018-01-17' } })).toEqual([
      '',
      '',
      '',
    ]);
    expect(headlines(years, null)).toEqual(['', '', '']);
    // Returns to custody split another count than the unaccounted-for, even on the same day.
    const returned = withDimension('RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL', {
      ...dorset2018(true),
      cells: cells('REPORTED', [2], ['2']),
    });
    expect(headlines(returned, five)).toEqual(['']);
  });

  test('a force without breakdowns, or no force, is the header row alone', () => {
    expect(rowsOf(FORCE_BREAKDOWNS, force([], five))).toEqual([]);
    expect(rowsOf(FORCE_BREAKDOWNS, { force: null })).toEqual([]);
    expect(toCsv(FORCE_BREAKDOWNS, rowsOf(FORCE_BREAKDOWNS, null))).toBe(
      `\ufeff${columnNames(FORCE_BREAKDOWNS).join(',')}\r\n`,
    );
  });

  test("the About sheet explains each column, each cell status and the table's notes", () => {
    const book = XLSX.read(
      toXlsx(FORCE_BREAKDOWNS, [], {
        feed: 'force-breakdowns',
        parameters: { id: 'dorset' },
        generatedAtMs: 0,
      }),
      { type: 'buffer' },
    );
    const about = shownText(book.Sheets[XLSX_SHEETS.about]!);
    const valueOf = (label: string) => about.find((row) => row[0] === label)?.[1];
    for (const column of FORCE_BREAKDOWNS.columns) expect(valueOf(column.name)).toBe(column.holds);
    expect(FORCE_BREAKDOWNS.legend?.column).toBe('status');
    for (const [value, meaning] of Object.entries(CELL_STATUS_MEANINGS)) expect(valueOf(value)).toBe(meaning);
    for (const note of FORCE_BREAKDOWNS_NOTES) expect(about.map((row) => row[1])).toContain(note);
  });
});
