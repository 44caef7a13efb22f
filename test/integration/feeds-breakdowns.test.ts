import * as XLSX from '@e965/xlsx';
import { parse } from 'csv-parse/sync';
import type { Role } from '../../src/access/caller';
import { FORCE_BREAKDOWNS, NATIONAL_BREAKDOWN } from '../../src/http/feed-tables/breakdowns';
import { columnNames } from '../../src/http/feed-tables/table';
import { raw } from '../helpers/gateway';
import type { KeyedGateway } from '../helpers/keyed-gateway';
import { startKeyedGateway } from '../helpers/keyed-gateway';

/**
 * The breakdown feeds' CSV and `.xlsx` forms on a real gateway on 127.0.0.1 with the bundled published
 * figures, read with a journalist's key (under disclosure control) and an analyst's (every cell): Dorset
 * 2018 by year went missing (1 + 3 + 1 = 5) is suppressed whole for the one and shown for the other. The
 * CSV is read back with csv-parse and the workbook with SheetJS, and both are held to the JSON form.
 */
const NATIONAL = '/feeds/national-breakdown.%s?dimension=YEAR_WENT_MISSING&asAt=2018-01-17';
const national = (format: 'json' | 'csv' | 'xlsx') => NATIONAL.replace('%s', format);

const csvRows = (text: string) => parse(text, { bom: true, columns: true }) as Array<Record<string, string>>;

describe('the breakdown feeds as CSV and .xlsx', () => {
  let keyed: KeyedGateway;

  beforeAll(async () => {
    keyed = await startKeyedGateway();
  });
  afterAll(async () => keyed.close());

  const get = (p: string, role: Role = 'journalist') =>
    raw(`${keyed.gateway.url}${p}`, {
      method: 'GET',
      headers: { authorization: `Bearer ${keyed.tokens[role]}` },
    });

  /** The body as sent, for the workbook (a zip). */
  const bytes = async (p: string, role: Role) => {
    const res = await fetch(`${keyed.gateway.url}${p}`, {
      headers: { authorization: `Bearer ${keyed.tokens[role]}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    return Buffer.from(await res.arrayBuffer());
  };

  test('the index lists both with their CSV and .xlsx forms and their columns', async () => {
    const res = await get('/feeds');
    expect(res.status).toBe(200);
    const feeds = res.json.feeds as Array<Record<string, unknown>>;
    expect(feeds.find((f) => f.name === 'national-breakdown')).toMatchObject({
      json: '/feeds/national-breakdown.json',
      csv: '/feeds/national-breakdown.csv',
      xlsx: '/feeds/national-breakdown.xlsx',
      csvColumns: columnNames(NATIONAL_BREAKDOWN),
    });
    expect(feeds.find((f) => f.name === 'force-breakdowns')).toMatchObject({
      csv: '/feeds/force-breakdowns.csv',
      xlsx: '/feeds/force-breakdowns.xlsx',
      csvColumns: columnNames(FORCE_BREAKDOWNS),
    });
  });

  test.each([
    ['journalist', 'SUPPRESSED', ['', '', ''], 'SUPPRESSED', '3'],
    ['analyst', 'SHOWN', ['1', '3', '1'], 'REPORTED', ''],
  ] as const)(
    'national-breakdown.csv with a %s key: Dorset 2018 is %s (%j), and every force of the JSON form has its rows',
    async (role, breakdown, values, status, k) => {
      const res = await get(national('csv'), role);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(res.text.split('\r\n')[0]).toBe(columnNames(NATIONAL_BREAKDOWN).join(','));
      const rows = csvRows(res.text);
      const dorset = rows.filter((row) => row.force_id === 'dorset');
      expect(dorset).toEqual(
        ['2014', '2016', '2017'].map((category, i) =>
          expect.objectContaining({
            force_name: 'Dorset Police',
            dimension: 'YEAR_WENT_MISSING',
            breakdown,
            breakdown_status: 'REPORTED',
            category,
            value: values[i],
            status,
            complete: 'TRUE',
            headline: '5',
            as_at: '2018-01-17',
            precision: 'DAY',
            simulated: 'FALSE',
            disclosure_k: k,
          }),
        ),
      );
      expect(dorset[0]!.source_title).toMatch(/^Sky News FOI/);

      // The rows are the JSON form's, one per cell, or one for a force without cells; never a total.
      const table = (await get(national('json'), role)).json.data.nationalBreakdown;
      const expected = table.rows.flatMap((r: any) =>
        (r.breakdown?.cells.length ? r.breakdown.cells : [null]).map((c: any) => [
          r.force.id,
          r.disclosure,
          c?.category ?? '',
        ]),
      );
      expect(rows.map((row) => [row.force_id, row.breakdown, row.category])).toEqual(expected);
      expect(new Set(rows.map((row) => row.force_id)).size).toBe(table.coverage.forces);
      expect(rows.filter((row) => row.breakdown === 'NONE')).toHaveLength(table.coverage.none);
      expect(rows.filter((row) => row.breakdown === 'NONE').every((row) => row.category === '')).toBe(true);
      // As the notes say: the REPORTED values of SHOWN breakdowns add up to the column totals.
      for (const total of table.columnTotals) {
        const counted = rows.filter(
          (row) => row.category === total.category && row.status === 'REPORTED' && row.breakdown === 'SHOWN',
        );
        expect(counted.reduce((sum, row) => sum + Number(row.value), 0)).toBe(total.value);
      }
    },
  );

  test.each([
    ['journalist', [null, null, null], 'SUPPRESSED', 3],
    ['analyst', [1, 3, 1], 'REPORTED', null],
  ] as const)(
    "national-breakdown.xlsx with a %s key has the CSV's rows: Dorset's values %j (number cells, or no cell)",
    async (role, values, status, k) => {
      const book = XLSX.read(await bytes(national('xlsx'), role), {
        type: 'buffer',
        cellDates: true,
        UTC: true,
      });
      expect(book.SheetNames).toEqual(['Figures', 'About']);
      const sheet = book.Sheets.Figures!;
      expect(XLSX.utils.sheet_to_json<string[]>(sheet, { header: 1 })[0]).toEqual(
        columnNames(NATIONAL_BREAKDOWN),
      );
      const rows = XLSX.utils.sheet_to_json<Record<string, unknown>>(sheet, { defval: null });
      expect(rows).toHaveLength(csvRows((await get(national('csv'), role)).text).length);
      const dorset = rows.filter((row) => row.force_id === 'dorset');
      expect(dorset.map((row) => [row.category, row.value, row.status])).toEqual([
        ['2014', values[0], status],
        ['2016', values[1], status],
        ['2017', values[2], status],
      ]);
      expect(dorset[0]).toMatchObject({ complete: true, headline: 5, simulated: false, disclosure_k: k });
      expect((dorset[0]!.as_at as Date).toISOString().slice(0, 10)).toBe('2018-01-17');
      const about = XLSX.utils.sheet_to_json<string[]>(book.Sheets.About!, { header: 1, defval: '' });
      expect(about.find((line) => line[0] === 'SUPPRESSED')?.[1]).toMatch(/^disclosure control hid/);
    },
  );

  test.each([
    ['journalist', ['', '', ''], 'SUPPRESSED'],
    ['analyst', ['1', '3', '1'], 'REPORTED'],
  ] as const)('force-breakdowns.csv for Dorset 2018 with a %s key: %j', async (role, values, status) => {
    const res = await get('/feeds/force-breakdowns.csv?id=dorset&asAt=2018-01-17', role);
    expect(res.status).toBe(200);
    expect(res.text.split('\r\n')[0]).toBe(columnNames(FORCE_BREAKDOWNS).join(','));
    expect(
      csvRows(res.text).map((row) => [row.dimension, row.category, row.value, row.status, row.headline]),
    ).toEqual([
      ['YEAR_WENT_MISSING', '2014', values[0], status, '5'],
      ['YEAR_WENT_MISSING', '2016', values[1], status, '5'],
      ['YEAR_WENT_MISSING', '2017', values[2], status, '5'],
    ]);
  });

  test("Dorset 2013's withheld MAPPA levels keep a row; its returns to custody have no unaccounted headline", async () => {
    const res = await get('/feeds/force-breakdowns.csv?id=dorset&asAt=2013-10-09', 'analyst');
    expect(res.status).toBe(200);
    expect(csvRows(res.text)).toEqual([
      expect.objectContaining({
        dimension: 'MAPPA_LEVEL',
        breakdown_status: 'WITHHELD',
        category: '',
        value: '',
        status: '',
        headline: '5',
        as_at: '2013-10-09',
      }),
      expect.objectContaining({
        dimension: 'RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL',
        breakdown_status: 'REPORTED',
        category: '2',
        value: '2',
        status: 'REPORTED',
        headline: '',
      }),
    ]);
  });
});
