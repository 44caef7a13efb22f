import fc from 'fast-check';
import { SHAPE_FIELDS } from '../../../../src/config/schema';
import { validateRows } from '../../../../src/sources/shapes/common';
import { countsRowSchema, plainCountsRow } from '../../../../src/sources/shapes/counts';
import { mapRow } from '../../../../src/sources/mapping';
import { context } from './context';

const FIELDS = SHAPE_FIELDS.counts;

/** Values that sit on either side of what the row schema accepts, field by field. */
const value = fc.oneof(
  fc.constantFrom(
    'dorset',
    'hampshire',
    'kent',
    ' dorset',
    '2018-01-17',
    '2018-02-30',
    ' 2018-01-17 ',
    '2015-03',
    '2015-13',
    '2015',
    'day',
    ' Month ',
    'unknown',
    'DAYS',
    'whereabouts unknown',
    'Whereabouts-Unknown',
    'missing  or wanted',
    'wanted',
    'withheld',
    ' not held ',
    'reported',
    'REPORTED',
    '0',
    '7',
    '00000042',
    '99999999',
    '123456789',
    '>31300',
    '> 5',
    '>123456789',
    '1.5',
    '-1',
    '1e3',
    ' 7',
    'https://force.example/a',
    'a title',
    // Dated after the fetch (see ctxFor), at each precision; text the ingest check cleans or refuses.
    '2026-12-09',
    '2027-01',
    '2027',
    '=HYPERLINK("http://x")',
    ' @SUM(1)',
    '\u200b',
    'a\u202eb',
    'a\u0000b',
    'line\r\nbreak',
  ),
  fc.constantFrom(0, -0, 5, 1.5, -1, 10_000_000, 10_000_001, Number.NaN, Number.POSITIVE_INFINITY),
  fc.integer({ min: -3, max: 20_000_000 }),
  fc.string({ maxLength: 6 }),
  fc.boolean(),
  fc.constant({ nested: 1 }),
);

/** Values each field accepts (some only as text, for CSV): mostly these, so that many rows are valid. */
const COUNT = fc.constantFrom<unknown>(0, 7, 10_000_000, '7', '00000042', '99999999');
const GOOD: Record<string, fc.Arbitrary<unknown>> = {
  forceId: fc.constantFrom('dorset', 'hampshire'),
  asAt: fc.constantFrom('2018-01-17', '2015-03', '2015', ' 2018-01-17 ', '2026-12-08', '2026-12'),
  precision: fc.constantFrom('day', ' Month ', 'unknown', 'YEAR'),
  basis: fc.constantFrom('whereabouts unknown', 'Whereabouts-Unknown', 'wanted', 'missing  or wanted'),
  unaccountedStatus: fc.constantFrom('reported', 'withheld', ' not held '),
  unaccounted: COUNT,
  registered: COUNT,
  breachesCautionedOrConvicted: COUNT,
  returnedToCustody: COUNT,
  survey: fc.constantFrom('pa-2015', 'sky-news-2018-01', ' '),
  title: fc.string({ maxLength: 6 }),
  url: fc.constantFrom('https://force.example/a', 'docs/figures.md'),
  quote: fc.constantFrom('Lincolnshire Police said seven were unknown.', '=1+1', ''),
  notes: fc.string({ maxLength: 12 }),
};

/** A mapped row: any subset of the shape's fields, each mostly a value it accepts, sometimes any value. */
const row = fc.record(
  Object.fromEntries(
    FIELDS.map((f) => [f, fc.oneof({ arbitrary: GOOD[f]!, weight: 12 }, { arbitrary: value, weight: 1 })]),
  ),
  { requiredKeys: [] },
);

/** Identity mapping, so a generated row is what the schema sees (mapRow drops null and ''). */
const identity = Object.fromEntries(FIELDS.map((f) => [f, f]));

function ctxFor(numbers: 'text' | 'native', headline: boolean) {
  const mapping = headline ? identity : { forceId: 'forceId', asAt: 'asAt', registered: 'registered' };
  // Fetched on 7 December 2026, so that the fixtures' November 2026 rows are not dated after the fetch.
  return context(
    { mapping },
    { numbers, forces: ['dorset', 'hampshire'], retrievedAt: '2026-12-07T10:00:00.000Z' },
  );
}

/** The row schema's answer for one mapped row: the row, or undefined when it rejects it. */
function bySchema(mapped: Record<string, unknown>, ctx: ReturnType<typeof ctxFor>): unknown {
  try {
    return validateRows([mapped], ctx, FIELDS, countsRowSchema(ctx), [])[0];
  } catch {
    return undefined;
  }
}

describe('plainCountsRow (property): every row it answers is the row schema’s answer', () => {
  it('answers only rows the schema accepts, with the same values; leaves the rest to the schema', () => {
    let answered = 0;
    let runs = 0;
    fc.assert(
      fc.property(row, fc.constantFrom('text', 'native'), fc.boolean(), (raw, numbers, headline) => {
        const ctx = ctxFor(numbers as 'text' | 'native', headline);
        const mapped = mapRow(raw, ctx.config, FIELDS);
        const quick = plainCountsRow(mapped, ctx);
        runs += 1;
        if (quick === undefined) return;
        answered += 1;
        expect(quick).toEqual(bySchema(mapped, ctx));
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: a fair share of the generated rows took the plain path.
    expect(answered).toBeGreaterThan(runs / 10);
  });

  it('answers the common rows of CSV and JSON feeds (so a cold fan-out skips the schema)', () => {
    const csv = ctxFor('text', true);
    const csvRow = { forceId: 'dorset', asAt: '2026-11-23', basis: 'whereabouts unknown', unaccounted: '27' };
    expect(plainCountsRow(mapRow(csvRow, csv.config, FIELDS), csv)).toEqual({
      forceId: 'dorset',
      asAt: '2026-11-23',
      basis: 'WHEREABOUTS_UNKNOWN',
      unaccounted: 27,
    });
    const json = ctxFor('native', true);
    const jsonRow = {
      forceId: 'hampshire',
      asAt: '2026-11',
      precision: 'month',
      unaccounted: 41,
      registered: 1355,
    };
    expect(plainCountsRow(mapRow(jsonRow, json.config, FIELDS), json)).toEqual({
      forceId: 'hampshire',
      asAt: '2026-11',
      precision: 'MONTH',
      unaccounted: 41,
      registered: 1355,
    });
  });

  it('leaves a row that breaks a rule to the schema, which words the error', () => {
    const ctx = ctxFor('native', true);
    const cases: Array<Record<string, unknown>> = [
      { forceId: 'kent', asAt: '2026-11-23', unaccounted: 1 }, // a force the source does not cover
      { forceId: 'dorset', asAt: '2026-02-30', unaccounted: 1 }, // no such day
      { forceId: 'dorset', asAt: '2026-11-23', unaccounted: '1' }, // text where JSON has numbers
      { forceId: 'dorset', asAt: '2026-11-23' }, // the headline is missing
      { forceId: 'dorset', asAt: '2026-11-23', unaccountedStatus: 'withheld', unaccounted: 3 },
      { forceId: 'dorset', asAt: '2027-01', unaccounted: 1 }, // dated after the fetch
      { forceId: 'dorset', asAt: '2026-11-23', unaccounted: 1, title: 'a\u202eb' }, // a bidi override
    ];
    for (const mapped of cases) {
      expect(plainCountsRow(mapped, ctx)).toBeUndefined();
      expect(bySchema(mapped, ctx)).toBeUndefined();
    }
  });
});
