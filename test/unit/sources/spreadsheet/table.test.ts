import type { SpreadsheetOptions } from '../../../../src/config/schema';
import type { GridCell, SheetGrid } from '../../../../src/sources/spreadsheet/grid';
import { tableRecords } from '../../../../src/sources/spreadsheet/table';

function grid(rows: GridCell[][], origin = { row: 0, column: 0 }): SheetGrid {
  return { sheet: 'S', origin, rows };
}

function records(
  rows: GridCell[][],
  options: Partial<SpreadsheetOptions> = {},
  mapped: string[] = [],
  asAt?: string,
) {
  return tableRecords(grid(rows, { row: 3, column: 1 }), {
    options: { records: 'rows', ...options },
    mappedFields: new Set(mapped),
    asAtField: asAt,
  }).map((r) => ({ ...r }));
}

describe('tableRecords', () => {
  it('gives records of text: numbers in full, dates as days, booleans, trimmed text; empty rows skipped', () => {
    expect(
      records([
        ['force', 'date', 'value', 'complete'],
        ['  dorset ', { date: '2018-01-17' }, 4948, true],
        [null, null, null, null],
        ['kent', '2015-03', 1e20, false],
      ]),
    ).toEqual([
      { force: 'dorset', date: '2018-01-17', value: '4948', complete: 'TRUE' },
      { force: 'kent', date: '2015-03', value: '100000000000000000000', complete: 'FALSE' },
    ]);
  });

  it('names fields with their whitespace collapsed, so a header with a line break maps with a space', () => {
    expect(records([['RSOs wanted\non  31 March'], [3]])).toEqual([{ 'RSOs wanted on 31 March': '3' }]);
  });

  it('gives records with no prototype: __proto__ and constructor are plain fields', () => {
    const [record] = tableRecords(
      grid([
        ['__proto__', 'constructor'],
        [1, 2],
      ]),
      {
        options: { records: 'rows' },
        mappedFields: new Set(),
        asAtField: undefined,
      },
    );
    expect(Object.getPrototypeOf(record)).toBeNull();
    expect(Object.keys(record!)).toEqual(['__proto__', 'constructor']);
  });

  it("in columns, the header row's first cell names the field of each column's header; yearDay dates bare years", () => {
    expect(
      records(
        [
          ['Category', 2023, 2024, 'Note'],
          ['RSOs wanted on 31 March', 13, 12, null],
          [null, null, null, null],
        ],
        { records: 'columns', yearDay: '03-31' },
        [],
        'Category',
      ),
    ).toEqual([
      { Category: '2023-03-31', 'RSOs wanted on 31 March': '13' },
      { Category: '2024-03-31', 'RSOs wanted on 31 March': '12' },
    ]);
  });

  it.each<[string, GridCell[][], Partial<SpreadsheetOptions>, string]>([
    [
      'a blank header row',
      [
        [null, null],
        [1, 2],
      ],
      {},
      'the header row of the table (from B4) is blank',
    ],
    [
      'a header row outside the table',
      [['a'], [1]],
      { headerRow: 2 },
      'the header row 2 is outside the table read (rows 4 to 5)',
    ],
    [
      'a label given twice (names compare without case)',
      [
        ['Category', 2024],
        ['Wanted', 1],
        ['WANTED', 2],
      ],
      { records: 'columns' },
      'the first column gives one name twice (B5 and B6); each field needs its own',
    ],
    [
      "a label equal to the header row's first cell",
      [
        ['Category', 2024],
        ['category', 1],
      ],
      { records: 'columns' },
      'the first column gives one name twice (B4 and B5); each field needs its own',
    ],
    [
      'a blank first header cell in columns',
      [
        [null, 2024],
        ['Wanted', 1],
      ],
      { records: 'columns' },
      "the header row's first cell (B4) is blank; with records: columns it names the field each column's header goes in",
    ],
  ])('refuses %s, naming cells, never their text', (_what, rows, options, message) => {
    expect(() => records(rows, options)).toThrow(expect.objectContaining({ publicMessage: message }));
  });
});
