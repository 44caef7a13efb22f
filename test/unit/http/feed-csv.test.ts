import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { csvCell, toCsv as writeCsv } from '../../../src/http/feed-csv';
import { CSV_STATUSES, NATIONAL_LATEST } from '../../../src/http/feed-tables/figures';
import type { CsvRow } from '../../../src/http/feed-tables/table';

const toCsv = (rows: readonly CsvRow[]) => writeCsv(NATIONAL_LATEST, rows);

const row = (overrides: Partial<CsvRow>): CsvRow => ({
  force_id: 'dorset',
  force_name: 'Dorset Police',
  as_at: '2018-01-17',
  precision: 'DAY',
  value: 5,
  status: 'REPORTED',
  basis: 'WHEREABOUTS_UNKNOWN',
  freshness: 'FRESH',
  source_title: 'A title',
  ...overrides,
});

describe('CSV for spreadsheets', () => {
  test.each(['=HYPERLINK("http://x")', '+1+2', '-3+cmd', '@SUM(A1)', '\t=1', '\r=1', ' =1', '＝1'])(
    'a text cell starting like a formula (%j) is neutralised',
    (cell) => {
      expect(csvCell(cell)).toBe(`'${cell}`);
    },
  );

  test('ordinary text, numbers (negative ones too) and empty cells are kept as they are', () => {
    expect(csvCell('Dorset Police')).toBe('Dorset Police');
    expect(csvCell(0)).toBe(0);
    expect(csvCell(-5)).toBe(-5);
    expect(csvCell(null)).toBe('');
  });

  test('a negative number in the value column is written as a number a spreadsheet reads as minus five', () => {
    const text = toCsv([row({ value: -5 })]);
    expect(text.split('\r\n')[1]).toBe(
      'dorset,Dorset Police,2018-01-17,DAY,-5,REPORTED,WHEREABOUTS_UNKNOWN,FRESH,A title',
    );
  });

  test('a hostile title is neutralised in the file, however it hides its formula', () => {
    const titles = ['=HYPERLINK("http://x")', ' @SUM(1)', '\u200b＋1', '－2+3'];
    const back = parse(toCsv(titles.map((t) => row({ source_title: t }))), {
      bom: true,
      columns: true,
    }) as Record<string, string>[];
    expect(back.map((r) => r.source_title)).toEqual(titles.map((t) => `'${t}`));
  });

  test('quotes, commas, newlines and non-ASCII survive a round trip; formulas come back neutralised', () => {
    const rows = [
      row({ source_title: 'Sky News, "FOI" report\nsecond line' }),
      row({ force_name: 'Heddlu Dyfed-Powys — Cymru', source_title: '=cmd|" /C calc"!A0', value: null }),
    ];
    const text = toCsv(rows);
    expect(
      text.startsWith(
        '\ufeffforce_id,force_name,as_at,precision,value,status,basis,freshness,source_title\r\n',
      ),
    ).toBe(true);
    const back = parse(text, { bom: true, columns: true }) as Record<string, string>[];
    expect(back[0]!.source_title).toBe('Sky News, "FOI" report\nsecond line');
    expect(back[1]!.force_name).toBe('Heddlu Dyfed-Powys — Cymru');
    expect(back[1]!.source_title).toBe('\'=cmd|" /C calc"!A0');
    expect(back[1]!.value).toBe('');
  });

  test('README documents every value the status column can hold, NO_FIGURE included (issue 18)', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
    const feeds = readme.slice(readme.indexOf('## Data feeds'), readme.indexOf('## Dashboard'));
    for (const status of CSV_STATUSES) expect(feeds).toContain(`| \`${status}\` |`);
  });
});
