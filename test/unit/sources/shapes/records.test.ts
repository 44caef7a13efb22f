import { SourceError } from '../../../../src/errors';
import { recordsToReport } from '../../../../src/sources/shapes/records';
import { context, thrown } from './context';

const MAPPING = {
  forceId: 'force',
  asAt: 'date',
  basis: 'basis',
  yearWentMissing: 'missingSince',
  offenceCategory: 'offence',
  mappaLevel: 'mappa',
};

/** Individual records as a force's case system might send them, identifiers and all. */
const RECORDS = [
  {
    force: 'dorset',
    date: '2018-01-17',
    name: 'John Smith',
    dateOfBirth: '1970-01-01',
    address: '1 High Street, Wareham',
    pncId: '99/123456X',
    missingSince: 2016,
    offence: 'sexual assault',
    mappa: 1,
  },
  {
    force: 'dorset',
    date: '2018-01-17',
    name: 'Jane Roe',
    address: '2 Quay Road, Poole',
    missingSince: 2016,
    offence: 'indecent images',
    mappa: 2,
  },
  { force: 'dorset', date: '2018-01-17', name: 'Richard Doe', missingSince: 2014, offence: 'rape' },
];

const ctx = (forces: '*' | string[] = '*') => context({ shape: 'records', mapping: MAPPING, forces });

describe('records shape: individual records are reduced to counts at the boundary', () => {
  const report = recordsToReport(RECORDS, ctx());

  it('counts the records of a force as its headline figure', () => {
    expect(report.figures).toMatchObject([
      {
        forceId: 'dorset',
        measure: 'UNACCOUNTED',
        value: 3,
        status: 'REPORTED',
        basis: 'WHEREABOUTS_UNKNOWN',
      },
    ]);
    expect(report.figures[0]?.asAt?.date).toBe('2018-01-17');
  });

  it('breaks the count down by year went missing, offence and MAPPA level', () => {
    expect(
      report.breakdowns.map((b) => [b.dimension, b.complete, b.cells.map((c) => [c.category, c.value])]),
    ).toEqual([
      [
        'YEAR_WENT_MISSING',
        true,
        [
          ['2014', 1],
          ['2016', 2],
        ],
      ],
      [
        'OFFENCE_CATEGORY',
        true,
        [
          ['INDECENT_IMAGES', 1],
          ['RAPE', 1],
          ['SEXUAL_ASSAULT', 1],
        ],
      ],
      [
        'MAPPA_LEVEL',
        false,
        [
          ['1', 1],
          ['2', 1],
        ],
      ],
    ]);
  });

  it('drops every unmapped field: no name, address, date of birth or identifier survives', () => {
    const text = JSON.stringify(report);
    for (const leaked of [
      'John',
      'Smith',
      'Jane',
      'Roe',
      'Richard',
      'High Street',
      'Quay Road',
      '1970-01-01',
      '99/123456X',
    ]) {
      expect(text).not.toContain(leaked);
    }
    expect(text).not.toMatch(/name|address|dateOfBirth|pncId/);
  });

  it('gives a combined MISSING_OR_WANTED figure when records are of mixed basis', () => {
    const [fig] = recordsToReport(
      [
        { force: 'dorset', date: '2018-01-17', basis: 'wanted' },
        { force: 'dorset', date: '2018-01-17', basis: 'whereabouts unknown' },
      ],
      ctx(),
    ).figures;
    expect(fig).toMatchObject({ value: 2, basis: 'MISSING_OR_WANTED' });
  });

  it('reports zero for a configured force with no records', () => {
    const zero = recordsToReport(RECORDS, ctx(['dorset', 'hampshire']));
    expect(zero.figures.map((f) => [f.forceId, f.value, f.asAt?.date])).toEqual([
      ['hampshire', 0, '2018-01-20'],
      ['dorset', 3, '2018-01-17'],
    ]);
  });

  it('dates records without a date as at the day they were retrieved', () => {
    const [fig] = recordsToReport([{ force: 'dorset' }], ctx()).figures;
    expect(fig?.asAt?.date).toBe('2018-01-20');
  });

  it('counts undated records as well as dated ones from the same force', () => {
    const mixed = recordsToReport(
      [{ force: 'dorset' }, { force: 'dorset', date: '2018-01-17' }, { force: 'dorset', date: '2018-01-17' }],
      ctx(),
    );
    expect(mixed.figures.map((f) => [f.asAt?.date, f.value])).toEqual([
      ['2018-01-20', 1],
      ['2018-01-17', 2],
    ]);
  });

  it('rejects a record that would give a count for a force the source does not cover, without naming it', () => {
    const error = thrown(() =>
      recordsToReport([{ force: 'atlantis', name: 'John Smith' }], ctx()),
    ) as SourceError;
    expect(error).toBeInstanceOf(SourceError);
    expect(error.publicMessage).toBe(
      'validation failed: row 1: field "forceId" (source field "force") is not a force this source covers (or not in the registry)',
    );
  });

  it('rejects a year in the future and a MAPPA level outside 1 to 3', () => {
    const future = thrown(() =>
      recordsToReport([{ force: 'dorset', missingSince: 2019 }], ctx()),
    ) as SourceError;
    expect(future.publicMessage).toBe(
      'validation failed: row 1: field "yearWentMissing" (source field "missingSince") must not be in the future',
    );
    const level = thrown(() => recordsToReport([{ force: 'dorset', mappa: 4 }], ctx())) as SourceError;
    expect(level.publicMessage).toBe(
      'validation failed: row 1: field "mappaLevel" (source field "mappa") must be 1, 2 or 3',
    );
  });
});
