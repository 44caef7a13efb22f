import fs from 'node:fs';
import path from 'node:path';
import * as XLSX from '@e965/xlsx';
import { parse } from 'csv-parse/sync';
import { loadApprovedOperations } from '../../../src/access/approved-operations';
import { toCsv } from '../../../src/http/feed-csv';
import { FEED_TABLES, feedTable } from '../../../src/http/feed-tables';
import type { SeriesPointFields } from '../../../src/http/feed-tables/national-series';
import { NATIONAL_SERIES, SERIES_NOTES } from '../../../src/http/feed-tables/national-series';
import { columnNames, rowsOf } from '../../../src/http/feed-tables/table';
import { XLSX_SHEETS, toXlsx } from '../../../src/http/feed-xlsx';

// Made-up points in the shape of the NationalSeries result; every title says it is a fixture.
const coverage = (reporting: string[], rest: Partial<SeriesPointFields['coverage']> = {}) => ({
  forces: 45,
  reporting: reporting.length,
  withheld: 0,
  notHeld: 0,
  unavailable: 0,
  lowerBound: 0,
  withoutFigure: 45 - reporting.length,
  stale: 0,
  reportingForces: reporting.map((id) => ({ id, name: `${id} (fixture)` })),
  ...rest,
});
const gap: SeriesPointFields = {
  periodStart: '2017-10-01',
  asAt: '2017-12-31',
  gap: true,
  unaccounted: { value: 0, byBasis: [] },
  coverage: coverage([]),
  sources: [],
  publishedTotals: [],
};
const point: SeriesPointFields = {
  periodStart: '2018-01-01',
  asAt: '2018-03-31',
  gap: false,
  unaccounted: {
    value: 27,
    byBasis: [
      { basis: 'WHEREABOUTS_UNKNOWN', value: 0 },
      { basis: 'WANTED', value: 27 },
    ],
  },
  coverage: coverage(['dorset', 'kent'], {
    withheld: 1,
    notHeld: 2,
    unavailable: 3,
    lowerBound: 1,
    withoutFigure: 36,
    stale: 1,
  }),
  sources: [
    { sourceId: 'fixture-feed', title: 'Fixture feed', simulated: true, forces: 1 },
    { sourceId: 'published', title: 'Fixture survey, "quoted", with commas', simulated: false, forces: 1 },
  ],
  publishedTotals: [
    {
      scope: 'UK',
      measure: 'whereabouts_unknown',
      value: 485,
      lowerBound: false,
      forcesResponded: 41,
      forcesAsked: 45,
      asAt: { date: '2018-01-17' },
      source: { title: 'Fixture survey, "quoted", with commas' },
    },
    {
      scope: 'England and Wales (29 forces)',
      measure: 'whereabouts_unknown',
      value: 372,
      lowerBound: true,
      forcesResponded: null,
      forcesAsked: null,
      asAt: { date: '2018-02' },
      source: { title: 'Fixture paper (Mar 2018; a copy)' },
    },
  ],
};
const data = { nationalSeries: { name: 'United Kingdom', points: [gap, point] } };
const META = {
  feed: 'national-series',
  parameters: { every: 'QUARTER' },
  generatedAtMs: Date.UTC(2018, 3, 1),
};

const csvOf = (text: string) => parse(text, { bom: true, columns: true }) as Array<Record<string, string>>;
const shownText = (sheet: XLSX.WorkSheet) =>
  XLSX.utils.sheet_to_json<string[]>(sheet, { header: 1, raw: false, defval: '' });

describe('feed tables: one declaration per feed (issue 19, item 3)', () => {
  test('every table belongs to an approved query operation, and the JSON-only feed has none', () => {
    const queries = loadApprovedOperations()
      .filter((op) => /^\s*query\b/.test(op.document))
      .map((op) => op.name);
    for (const name of Object.keys(FEED_TABLES)) expect(queries).toContain(name);
    expect(Object.keys(FEED_TABLES).sort()).toEqual([
      'force-breakdowns',
      'force-history',
      'national-breakdown',
      'national-latest',
      'national-series',
    ]);
    expect(feedTable('sources-status')).toBeUndefined();
    expect(feedTable('constructor')).toBeUndefined();
  });

  test.each(Object.keys(FEED_TABLES))('the columns of %s are distinct lower snake case names', (name) => {
    const columns = columnNames(FEED_TABLES[name]!);
    expect(new Set(columns).size).toBe(columns.length);
    for (const column of columns) expect(column).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
  });

  test.each(Object.keys(FEED_TABLES))(
    "README's feeds section says what a row of %s is and lists its columns, in order, as the code declares them",
    (name) => {
      const readme = fs.readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
      const feeds = readme.slice(readme.indexOf('## Data feeds'), readme.indexOf('## Dashboard'));
      const table = FEED_TABLES[name]!;
      // The list may wrap across lines: compared with its whitespace made single spaces.
      expect(feeds.replace(/\s+/g, ' ')).toContain(
        `(${table.rowsAre}): \`${columnNames(table).join(', ')}\``,
      );
    },
  );

  test('README documents each column of the series in its table', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
    const series = readme.slice(
      readme.indexOf('### The national series feed'),
      readme.indexOf('### Opening'),
    );
    const documented = series
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]));
    expect(documented).toEqual(expect.arrayContaining(columnNames(NATIONAL_SERIES)));
  });
});

describe('the national-series table: one row per point', () => {
  test('a point is one row: dates, total, coverage by force counts, totals by basis and the reporting forces', () => {
    const [, row] = csvOf(toCsv(NATIONAL_SERIES, rowsOf(NATIONAL_SERIES, data)));
    expect(row).toEqual({
      period_start: '2018-01-01',
      as_at: '2018-03-31',
      total: '27',
      gap: 'FALSE',
      forces_in_registry: '45',
      forces_reporting: '2',
      forces_withheld: '1',
      forces_not_held: '2',
      forces_unavailable: '3',
      forces_lower_bound: '1',
      forces_without_figure: '36',
      forces_stale: '1',
      total_whereabouts_unknown: '0',
      total_wanted: '27',
      total_missing_or_wanted: '',
      reporting_forces: 'dorset | kent',
      sources:
        'Fixture feed (fixture-feed, SIMULATED, 1 force) | Fixture survey, "quoted", with commas (published, 1 force)',
      published_totals:
        '485 whereabouts_unknown (UK, 2018-01-17, 41 of 45 forces responded): Fixture survey, "quoted", with commas' +
        ' | >372 whereabouts_unknown (England and Wales (29 forces), 2018-02): Fixture paper (Mar 2018; a copy)',
    });
  });

  test('a gap has no total (a chart leaves it out), TRUE in gap, and empty lists', () => {
    const [row] = csvOf(toCsv(NATIONAL_SERIES, rowsOf(NATIONAL_SERIES, data)));
    expect(row).toMatchObject({
      period_start: '2017-10-01',
      total: '',
      gap: 'TRUE',
      forces_reporting: '0',
      forces_without_figure: '45',
      total_whereabouts_unknown: '',
      total_wanted: '',
      reporting_forces: '',
      sources: '',
      published_totals: '',
    });
  });

  test('a result without points (or an error result) is the header row alone', () => {
    expect(toCsv(NATIONAL_SERIES, rowsOf(NATIONAL_SERIES, null))).toBe(
      `\ufeff${columnNames(NATIONAL_SERIES).join(',')}\r\n`,
    );
  });

  test('a published total whose text starts like a formula is neutralised in the cell', () => {
    const hostile = {
      nationalSeries: {
        points: [{ ...point, publishedTotals: [{ ...point.publishedTotals[0]!, value: -1 }] }],
      },
    };
    const [row] = csvOf(toCsv(NATIONAL_SERIES, rowsOf(NATIONAL_SERIES, hostile)));
    expect(row!.published_totals).toMatch(/^'-1 whereabouts_unknown \(UK,/);
  });

  test('the workbook has the same cells as the CSV: dates as dates, numbers as numbers, gap as a logical', () => {
    const rows = rowsOf(NATIONAL_SERIES, data);
    const book = XLSX.read(toXlsx(NATIONAL_SERIES, rows, META), { type: 'buffer', cellNF: true });
    const sheet = book.Sheets[XLSX_SHEETS.figures]!;
    expect(shownText(sheet)).toEqual(parse(toCsv(NATIONAL_SERIES, rows), { bom: true }));
    expect(sheet.A3).toMatchObject({ t: 'n', z: 'yyyy-mm-dd', w: '2018-01-01' });
    expect(sheet.B3).toMatchObject({ t: 'n', z: 'yyyy-mm-dd', w: '2018-03-31' });
    expect(sheet.C3).toMatchObject({ t: 'n', v: 27 });
    expect(sheet.C2).toBeUndefined();
    expect(sheet.D2).toMatchObject({ t: 'b', v: true });
    expect(sheet.D3).toMatchObject({ t: 'b', v: false });
    expect(sheet['!autofilter']).toEqual({ ref: 'A1:R3' });
  });

  test("the About sheet explains each column and the series' notes, and has no status table", () => {
    const book = XLSX.read(toXlsx(NATIONAL_SERIES, [], META), { type: 'buffer' });
    const about = shownText(book.Sheets[XLSX_SHEETS.about]!);
    const valueOf = (label: string) => about.find((row) => row[0] === label)?.[1];
    expect(valueOf('Whereabouts feed')).toBe('national-series');
    expect(valueOf('every')).toBe('QUARTER');
    for (const column of NATIONAL_SERIES.columns) expect(valueOf(column.name)).toBe(column.holds);
    for (const note of SERIES_NOTES) expect(about.map((row) => row[1])).toContain(note);
    expect(about.some((row) => row[0] === 'status')).toBe(false);
  });
});
