import { parseAsAt } from '../../../../src/domain/dates';
import { SourceError } from '../../../../src/errors';
import { SHAPES } from '../../../../src/sources/shapes';
import { countsRowSchema, plainCountsRow } from '../../../../src/sources/shapes/counts';
import { validateRows } from '../../../../src/sources/shapes/common';
import {
  AS_AT_CLOCK_SKEW_DAYS,
  futureAsAtProblem,
  latestAsAtDay,
} from '../../../../src/sources/shapes/fetch-date';
import { context, thrown } from './context';

/** The fetch of issue 18's example: 7 December 2026, mid-morning UTC. */
const FETCHED = '2026-12-07T10:00:00.000Z';

const problem = (date: string, retrievedAt = FETCHED) => futureAsAtProblem(parseAsAt(date)!, retrievedAt);

describe('a figure dated after the fetch is rejected (issue 18, CATALOGUE Upstream sources 10)', () => {
  test('the skew is one day, counted from the UTC day of the fetch', () => {
    expect(AS_AT_CLOCK_SKEW_DAYS).toBe(1);
    expect(latestAsAtDay(FETCHED)).toBe('2026-12-08');
    expect(latestAsAtDay('2026-12-31T23:59:59.999Z')).toBe('2027-01-01');
  });

  describe('DAY precision', () => {
    test.each(['2026-12-06', '2026-12-07', '2026-12-08'])('%s is accepted (up to the skew)', (date) => {
      expect(problem(date)).toBeNull();
    });

    test('the day after the skew is rejected, naming the date, the limit and why', () => {
      expect(problem('2026-12-09')).toBe(
        "is after the fetch: 2026-12-09 is later than 2026-12-08, the fetch's day (2026-12-07) plus 1 day of clock skew",
      );
    });

    test('the boundary moves with the fetch time, not with the clock at query time', () => {
      expect(problem('2026-12-09', '2026-12-08T00:00:00.000Z')).toBeNull();
      expect(problem('2026-12-09', '2026-12-07T23:59:59.999Z')).not.toBeNull();
    });
  });

  describe('MONTH precision: judged by the first day of the month', () => {
    test('the month of the fetch is not in the future (2026-12 fetched on 2026-12-07)', () => {
      expect(problem('2026-12')).toBeNull();
    });

    test('next month is accepted only from the last day of this one (the skew)', () => {
      expect(problem('2027-01', '2026-12-31T08:00:00.000Z')).toBeNull();
      expect(problem('2027-01', '2026-12-30T23:00:00.000Z')).not.toBeNull();
    });

    test('a month months ahead is rejected, with the day it starts on', () => {
      expect(problem('2027-06')).toBe(
        "is after the fetch: 2027-06 (a month, from 2027-06-01) is later than 2026-12-08, the fetch's day (2026-12-07) plus 1 day of clock skew",
      );
    });
  });

  describe('YEAR precision: judged by 1 January', () => {
    test('the year of the fetch is not in the future', () => {
      expect(problem('2026')).toBeNull();
    });

    test('next year is accepted only from 31 December (the skew)', () => {
      expect(problem('2027', '2026-12-31T00:00:00.000Z')).toBeNull();
      expect(problem('2027')).toBe(
        "is after the fetch: 2027 (a year, from 2027-01-01) is later than 2026-12-08, the fetch's day (2026-12-07) plus 1 day of clock skew",
      );
    });
  });
});

describe('every shape rejects a payload with a row dated after the fetch', () => {
  const retrievedAt = FETCHED;

  function invalid(shape: keyof typeof SHAPES, rows: unknown[], mapping: Record<string, string>): string {
    const error = thrown(() =>
      SHAPES[shape](rows, context({ shape, mapping }, { numbers: 'native', retrievedAt })),
    );
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).code).toBe('UPSTREAM_INVALID_PAYLOAD');
    return (error as SourceError).publicMessage;
  }

  test('counts: a headline dated months ahead (today accepted as OK) names the row and the field', () => {
    const mapping = { forceId: 'force', asAt: 'date', unaccounted: 'value' };
    expect(invalid('counts', [{ force: 'dorset', date: '2027-04-01', value: 5 }], mapping)).toBe(
      'validation failed: row 1: field "asAt" (source field "date") is after the fetch: 2027-04-01 is later than ' +
        "2026-12-08, the fetch's day (2026-12-07) plus 1 day of clock skew",
    );
  });

  test('counts: a full date given as a month is judged as that month', () => {
    const mapping = { forceId: 'force', asAt: 'date', precision: 'precision', unaccounted: 'value' };
    const ctx = context({ mapping }, { retrievedAt });
    const report = SHAPES.counts(
      [{ force: 'dorset', date: '2026-12-25', precision: 'month', value: 5 }],
      ctx,
    );
    expect(report.figures[0]!.asAt).toMatchObject({ date: '2026-12', precision: 'MONTH' });
  });

  test('breakdowns, records and totals check the date too', () => {
    expect(
      invalid(
        'breakdowns',
        [{ force: 'dorset', date: '2027-02', dimension: 'mappa_level', category: '1', value: 2 }],
        { forceId: 'force', asAt: 'date', dimension: 'dimension', category: 'category', value: 'value' },
      ),
    ).toMatch(/^validation failed: row 1: field "asAt" \(source field "date"\) is after the fetch: 2027-02 /);
    expect(
      invalid('records', [{ force: 'dorset', date: '2027' }], { forceId: 'force', asAt: 'date' }),
    ).toMatch(/^validation failed: row 1: field "asAt" \(source field "date"\) is after the fetch: 2027 /);
    expect(
      invalid('totals', [{ scope: 'UK', measure: 'whereabouts_unknown', value: 485, date: '2027-03-01' }], {
        scope: 'scope',
        measure: 'measure',
        value: 'value',
        asAt: 'date',
      }),
    ).toMatch(
      /^validation failed: row 1: field "asAt" \(source field "date"\) is after the fetch: 2027-03-01 /,
    );
  });

  test('the fast path for counts rows leaves a future-dated row to the schema, which rejects it', () => {
    const ctx = context({}, { retrievedAt });
    const mapped = { forceId: 'dorset', asAt: '2026-12-09', unaccounted: 1 };
    expect(plainCountsRow(mapped, ctx)).toBeUndefined();
    expect(() =>
      validateRows(
        [{ force: 'dorset', date: '2026-12-09', value: 1 }],
        ctx,
        ['forceId', 'asAt', 'unaccounted'],
        countsRowSchema(ctx),
      ),
    ).toThrow(/is after the fetch/);
    expect(plainCountsRow({ ...mapped, asAt: '2026-12-08' }, ctx)).toEqual({ ...mapped, asAt: '2026-12-08' });
  });
});
