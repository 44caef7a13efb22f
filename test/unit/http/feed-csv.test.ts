import { parse } from 'csv-parse/sync';
import type { CsvRow } from '../../../src/http/feed-csv';
import { neutraliseFormula, toCsv } from '../../../src/http/feed-csv';

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
  test.each(['=HYPERLINK("http://x")', '+1+2', '-3+cmd', '@SUM(A1)', '\t=1', '\r=1'])(
    'a cell starting like a formula (%j) is neutralised',
    (cell) => {
      expect(neutraliseFormula(cell)).toBe(`'${cell}`);
    },
  );

  test('ordinary text, numbers and empty cells are kept as they are', () => {
    expect(neutraliseFormula('Dorset Police')).toBe('Dorset Police');
    expect(neutraliseFormula(0)).toBe(0);
    expect(neutraliseFormula(null)).toBe('');
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
});
