import { parseAsAt } from '../../../src/domain/dates';
import type { Figure, PublishedTotal } from '../../../src/domain/figure';
import { loadDefaultRegistry } from '../../../src/domain/force-registry';
import { datedRange, MAX_SERIES_POINTS, periodsBetween, seriesOf } from '../../../src/domain/series';

describe('periodsBetween', () => {
  test('months, clipped to from and to', () => {
    expect(periodsBetween('2018-01-17', '2018-03-05', 'MONTH')).toEqual([
      { start: '2018-01-17', end: '2018-01-31' },
      { start: '2018-02-01', end: '2018-02-28' },
      { start: '2018-03-01', end: '2018-03-05' },
    ]);
  });
  test('quarters start in January, April, July and October; leap years have their 29 February', () => {
    expect(periodsBetween('2015-02-10', '2016-03-31', 'QUARTER')!.map((p) => `${p.start}..${p.end}`)).toEqual(
      [
        '2015-02-10..2015-03-31',
        '2015-04-01..2015-06-30',
        '2015-07-01..2015-09-30',
        '2015-10-01..2015-12-31',
        '2016-01-01..2016-03-31',
      ],
    );
    expect(periodsBetween('2016-02-01', '2016-02-29', 'MONTH')).toEqual([
      { start: '2016-02-01', end: '2016-02-29' },
    ]);
  });
  test('years, and one day is one period', () => {
    expect(periodsBetween('2007-01-01', '2009-06-30', 'YEAR')!.map((p) => p.end)).toEqual([
      '2007-12-31',
      '2008-12-31',
      '2009-06-30',
    ]);
    expect(periodsBetween('2018-01-17', '2018-01-17', 'YEAR')).toEqual([
      { start: '2018-01-17', end: '2018-01-17' },
    ]);
  });
  test('more than the most points a series may have is refused (null), the most is not', () => {
    expect(periodsBetween('1950-01-01', '1999-12-31', 'MONTH')).toHaveLength(MAX_SERIES_POINTS);
    expect(periodsBetween('1950-01-01', '2000-01-01', 'MONTH')).toBeNull();
  });
});

describe('seriesOf', () => {
  const registry = loadDefaultRegistry();
  const forces = registry.all.filter((f) => ['dorset', 'hampshire'].includes(f.id));
  const cite = {
    sourceId: 's',
    title: 'Published figures',
    url: null,
    retrievedAt: '2026-01-01T00:00:00Z',
    simulated: false,
  };
  const fig = (forceId: string, date: string, value: number): Figure => ({
    forceId,
    measure: 'UNACCOUNTED',
    value,
    status: 'REPORTED',
    basis: 'WHEREABOUTS_UNKNOWN',
    asAt: parseAsAt(date),
    provenance: cite,
    reason: null,
  });
  const byForce = new Map<string, Figure[]>([
    ['dorset', [fig('dorset', '2013-05', 4), fig('dorset', '2018-01-17', 5)]],
    ['hampshire', [fig('hampshire', '2018-01-17', 7)]],
  ]);
  const published: PublishedTotal = {
    scope: 'UK',
    measure: 'whereabouts_unknown',
    value: 485,
    asAt: parseAsAt('2018-01-17'),
    forcesResponded: 41,
    forcesAsked: 45,
    notes: null,
    provenance: cite,
  };
  const undated: PublishedTotal = { ...published, value: 316, asAt: null };
  const options = {
    windowDays: 365,
    registeredWindowDays: 730,
    priorityOf: () => 0,
    staleSources: new Set<string>(),
  };

  test('each point is the summary at its last day; gaps have no reporting force; totals go to their period', () => {
    const periods = periodsBetween('2013-01-01', '2018-12-31', 'YEAR')!;
    const points = seriesOf(
      forces,
      periods.map(() => byForce),
      [published, undated],
      periods,
      options,
    );
    // May 2013 counts from 1 May: within 365 days of the end of 2013, not of 2014.
    expect(points.map((p) => [p.period.end, p.summary.unaccounted, p.summary.coverage.reporting])).toEqual([
      ['2013-12-31', 4, 1],
      ['2014-12-31', 0, 0],
      ['2015-12-31', 0, 0],
      ['2016-12-31', 0, 0],
      ['2017-12-31', 0, 0],
      ['2018-12-31', 12, 2],
    ]);
    expect(points.map((p) => p.publishedTotals.map((t) => t.value))).toEqual([[], [], [], [], [], [485]]);
  });

  test('datedRange spans dated items only', () => {
    expect(datedRange([...byForce.values()].flat())).toEqual({
      earliest: '2013-05-01',
      latest: '2018-01-17',
    });
    expect(datedRange([{ ...fig('kent', '2018', 1), asAt: null }])).toBeNull();
  });
});
