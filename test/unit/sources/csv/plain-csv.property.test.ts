import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { parseCsvRows, parsePlainCsv } from '../../../../src/sources/csv';

/** csv-parse with the adapter's options, and its rows as the adapter keeps them (empty cells absent). */
function reference(text: string): Record<string, string>[] | string {
  try {
    const rows = parse(text, {
      columns: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: false,
    }) as Record<string, string>[];
    return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([, v]) => v !== '')));
  } catch (error) {
    return (error as { code?: string }).code ?? 'error';
  }
}

// Pieces that CSV feeds are made of, and the ones that make csv-parse read text differently.
const piece = fc.constantFrom(
  'a',
  'b',
  'force_code',
  'dorset',
  '31',
  '2026-11-23',
  'whereabouts unknown',
  ',',
  ',',
  ' ',
  '\t',
  '\n',
  '\n',
  '\r\n',
  '\r',
  '"',
  '""',
  '\uFEFF',
  '\u00a0',
  'é',
  '\f',
  '#',
  '__proto__',
  'a,a',
);
const text = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(''));
/** Texts that are mostly well formed: a header and rows of the same width. */
const table = fc
  .tuple(
    fc.integer({ min: 1, max: 4 }),
    fc.array(fc.array(fc.constantFrom('x', ' y ', '', '7', 'a b', '\t1'), { minLength: 4, maxLength: 4 })),
    fc.constantFrom('\n', '\r\n'),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([width, rows, eol, bom, trailing]) => {
    const header = ['id', 'date', 'count', 'total'].slice(0, width).join(',');
    const lines = [header, ...rows.map((r) => r.slice(0, width).join(','))];
    return `${bom ? '\uFEFF' : ''}${lines.join(eol)}${trailing ? eol : ''}`;
  });

describe('parsePlainCsv', () => {
  it('reads every text it accepts exactly as csv-parse does', () => {
    fc.assert(
      fc.property(fc.oneof(text, table), (input) => {
        const plain = parsePlainCsv(input);
        if (plain === null) return;
        expect(plain).toEqual(reference(input));
        for (const row of plain) expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts the common plain forms (LF or CRLF, BOM, blank lines, padded cells)', () => {
    for (const input of [
      'force_code,date,count\ndorset,2026-11-23,31\n',
      '\uFEFFforce_code,date,count\r\ndorset , 2026-11-23,\r\n\r\n',
      '\nforce_code,count\n  \nkent,4',
    ]) {
      expect(parsePlainCsv(input)).not.toBeNull();
      expect(parsePlainCsv(input)).toEqual(reference(input));
    }
  });

  it('leaves quotes, other characters, mixed line breaks and ragged rows to csv-parse', () => {
    for (const input of [
      'a,b\n"x",1\n',
      'a,b\nMôn,1\n',
      'a,b\r\nx,1\ny,2\n',
      'a,b\nx\n',
      'a,a\nx,y\n',
      ',b\nx,y\n',
    ])
      expect(parsePlainCsv(input)).toBeNull();
  });
});

describe('parseCsvRows', () => {
  it('names a ragged row as csv-parse does, whichever reader saw it first', () => {
    expect(() => parseCsvRows('force_code,count\ndorset\n')).toThrow(
      'the CSV could not be parsed (CSV_RECORD_INCONSISTENT_COLUMNS at line 2)',
    );
  });
});
