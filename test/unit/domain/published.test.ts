import { parseAsAt } from '../../../src/domain/dates';
import type { PublishedTotal } from '../../../src/domain/figure';
import {
  COMPARABLE_MEASURES,
  comparablePublishedTotals,
  isNationalScope,
} from '../../../src/domain/published';

function total(measure: string, date: string | null, value: number): PublishedTotal {
  return {
    scope: 'UK',
    measure,
    value,
    asAt: date === null ? null : parseAsAt(date),
    forcesResponded: null,
    forcesAsked: null,
    notes: null,
    provenance: {
      sourceId: 't',
      title: 't',
      url: null,
      retrievedAt: '2018-02-01T00:00:00.000Z',
      simulated: false,
    },
  };
}

describe('comparablePublishedTotals', () => {
  it('keeps only measures that count the same stock as our headline sum', () => {
    const totals = [
      total('whereabouts_unknown', '2018-01-17', 485),
      total('registered', '2018-01-01', 66139),
      total('missing_or_wanted_during_three_financial_years', '2018-01-01', 729),
    ];
    expect(comparablePublishedTotals(totals, '2018-01-17', 90).map((t) => t.value)).toEqual([485]);
  });

  it('keeps totals dated at or before the date and within the window, newest first', () => {
    const totals = [
      total('wanted_whereabouts_unknown', '2015-03', 396),
      total('whereabouts_unknown', '2018-01-17', 485),
      total('unaccounted_for', '2017-12-01', 400),
      total('whereabouts_unknown', '2018-02', 372),
    ];
    expect(comparablePublishedTotals(totals, '2018-01-17', 90).map((t) => t.value)).toEqual([485, 400]);
    expect(comparablePublishedTotals(totals, '2015-03-31', 90).map((t) => t.value)).toEqual([396]);
  });

  it('leaves out undated totals, which cannot be placed beside a date', () => {
    expect(comparablePublishedTotals([total('whereabouts_unknown', null, 316)], '2018-01-17', 36500)).toEqual(
      [],
    );
  });

  it('orders totals of the same date by value, largest first', () => {
    const totals = [
      total('whereabouts_unknown', '2018-01-17', 1),
      total('missing_or_wanted', '2018-01-17', 2),
    ];
    expect(comparablePublishedTotals(totals, '2018-01-17', 90).map((t) => t.value)).toEqual([2, 1]);
  });

  it('shows only totals of the whole country (UK, Great Britain, England and Wales), not a nation’s own', () => {
    const scoped = (scope: string, value: number): PublishedTotal => ({
      ...total('whereabouts_unknown', '2006-10', value),
      scope,
    });
    const totals = [
      scoped('Scotland', 24),
      scoped('UK (38 forces)', 317),
      scoped('Great Britain', 322),
      scoped('England and Wales (29 forces)', 372),
      scoped('North East (Durham, Teesside, Northumbria)', 4),
    ];
    expect(comparablePublishedTotals(totals, '2006-10-31', 90).map((t) => t.value)).toEqual([372, 322, 317]);
    expect(isNationalScope('United Kingdom')).toBe(true);
    expect(isNationalScope('Wales')).toBe(false);
  });

  it('shows a lower bound beside the sum like any total (it says it is one)', () => {
    const bound = { ...total('whereabouts_unknown', '2018-02', 372), lowerBound: true };
    expect(comparablePublishedTotals([bound], '2018-02-28', 90)).toEqual([bound]);
  });

  it('lists the comparable measures', () => {
    expect([...COMPARABLE_MEASURES].sort()).toEqual([
      'missing_or_unaccounted',
      'missing_or_wanted',
      'unaccounted_for',
      'wanted_whereabouts_unknown',
      'whereabouts_unknown',
    ]);
  });
});
