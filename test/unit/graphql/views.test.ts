/**
 * Figure views (src/graphql/views.ts): every field a plain property, in one field order, with the age as at
 * the request's clock.
 */
import type { Figure } from '../../../src/domain/figure';
import { publishedTotalView } from '../../../src/graphql/views';
import { ageSecondsOf, figureView, provenanceView } from '../../../src/graphql/views';
import type { Snapshot } from '../../../src/store/snapshot';

const FETCHED = Date.parse('2026-11-22T12:00:00.250Z');

function figure(sourceId: string, order: 'domain' | 'reversed'): Figure {
  const fields = {
    forceId: 'dorset',
    measure: 'UNACCOUNTED',
    value: 5,
    status: 'REPORTED',
    basis: 'MISSING',
    asAt: { date: '2018-01', precision: 'MONTH', start: '2018-01-01', end: '2018-01-31' },
    provenance: {
      sourceId,
      title: 'Simulated source (not a real force figure)',
      url: null,
      retrievedAt: new Date(FETCHED).toISOString(),
      simulated: true,
    },
    reason: null,
  };
  // Figures from L2's JSON or another parser can hold the same fields in another order.
  const entries = Object.entries(fields);
  return Object.fromEntries(order === 'domain' ? entries : entries.reverse()) as unknown as Figure;
}

function snapshotWithStale(...stale: string[]): Snapshot {
  return { staleSources: new Set(stale) } as unknown as Snapshot;
}

describe('figure views', () => {
  it('give whole seconds since the fetch as at the request, never negative', () => {
    const snapshot = snapshotWithStale();
    const cases: Array<[offsetMs: number, ageSeconds: number]> = [
      [-400, 0],
      [0, 0],
      [999, 0],
      [1_000, 1],
      [1_999, 1],
      [61_000, 61],
      [86_400_123, 86_400],
    ];
    for (const [offsetMs, ageSeconds] of cases) {
      const view = figureView(figure('a', 'domain'), { snapshot, nowMs: FETCHED + offsetMs })!;
      expect([offsetMs, view.ageSeconds]).toEqual([offsetMs, ageSeconds]);
      expect(ageSecondsOf(FETCHED, FETCHED + offsetMs)).toBe(ageSeconds);
    }
  });

  it('have one field order whatever the order of the figure, and say which sources are stale', () => {
    const snapshot = snapshotWithStale('b');
    const nowMs = FETCHED + 10_000;
    const a = figureView(figure('a', 'domain'), { snapshot, nowMs })!;
    const b = figureView(figure('b', 'reversed'), { snapshot, nowMs })!;
    expect(Object.keys(b)).toEqual(Object.keys(a));
    expect(Object.keys(b.provenance)).toEqual(Object.keys(a.provenance));
    expect(Object.keys(b.asAt!)).toEqual(Object.keys(a.asAt!));
    expect([a.freshness, b.freshness]).toEqual(['FRESH', 'STALE']);
    const { freshness, retrievedAtMs, ageSeconds, ...rest } = a;
    // Optional fields a figure may lack (stored before they existed, or not given) are always present.
    const domain = figure('a', 'domain');
    expect(rest).toEqual({
      ...domain,
      lowerBound: false,
      provenance: { ...domain.provenance, quote: null, notes: null, corroboratedBy: [] },
    });
    expect([freshness, retrievedAtMs, ageSeconds]).toEqual(['FRESH', FETCHED, 10]);
  });

  it('show a lower bound and corroborating citations, each citation with every field', () => {
    const snapshot = snapshotWithStale();
    const base = figure('a', 'domain');
    const view = figureView(
      {
        ...base,
        lowerBound: true,
        provenance: {
          ...base.provenance,
          quote: 'seven were unknown',
          corroboratedBy: [{ title: 'Another outlet', url: 'https://example.org/a' }],
        },
      },
      { snapshot, nowMs: FETCHED },
    )!;
    expect(view.lowerBound).toBe(true);
    expect(view.provenance).toMatchObject({
      quote: 'seven were unknown',
      notes: null,
      corroboratedBy: [{ title: 'Another outlet', url: 'https://example.org/a', asAt: null, quote: null }],
    });
  });
});

describe('published total views', () => {
  it('say whether the total is a lower bound and give its provenance with every field', () => {
    const provenance = figure('totals', 'domain').provenance;
    const view = publishedTotalView({
      scope: 'England and Wales',
      measure: 'registered_rsos_mappa',
      value: 31300,
      asAt: null,
      forcesResponded: null,
      forcesAsked: null,
      notes: null,
      provenance,
      lowerBound: true,
    });
    expect(view.lowerBound).toBe(true);
    expect(view.source).toEqual(provenanceView(provenance));
    expect(view.source.corroboratedBy).toEqual([]);
    const exact = publishedTotalView({ ...view, lowerBound: undefined, provenance });
    expect(exact.lowerBound).toBe(false);
  });
});
