/**
 * Figure views (src/graphql/views.ts): shared per snapshot and clock second, with every field a plain
 * property, ages as at the start of the second.
 */
import type { Figure } from '../../../src/domain/figure';
import { ageSecondsOf, figureView } from '../../../src/graphql/views';
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
  it('give ages as at the start of the clock second: never negative, at most a second behind', () => {
    const snapshot = snapshotWithStale();
    for (const offsetMs of [-400, 0, 749, 750, 1_749, 1_750, 61_000, 86_400_123]) {
      const nowMs = FETCHED + offsetMs;
      const view = figureView(figure('a', 'domain'), { snapshot, nowMs })!;
      const exact = ageSecondsOf(FETCHED, nowMs);
      expect(view.ageSeconds).toBe(
        Math.max(0, Math.floor((Math.floor(nowMs / 1000) * 1000 - FETCHED) / 1000)),
      );
      expect(exact - view.ageSeconds).toBeGreaterThanOrEqual(0);
      expect(exact - view.ageSeconds).toBeLessThanOrEqual(1);
    }
  });

  it('are shared within a clock second and made again in the next', () => {
    const snapshot = snapshotWithStale();
    const f = figure('a', 'domain');
    const second = Math.ceil(FETCHED / 1000) * 1000 + 5_000;
    const first = figureView(f, { snapshot, nowMs: second });
    expect(figureView(f, { snapshot, nowMs: second + 999 })).toBe(first);
    const next = figureView(f, { snapshot, nowMs: second + 1_000 });
    expect(next).not.toBe(first);
    expect(next!.ageSeconds).toBe(first!.ageSeconds + 1);
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
    expect(rest).toEqual(figure('a', 'domain'));
    expect([freshness, retrievedAtMs, ageSeconds]).toEqual(['FRESH', FETCHED, 9]);
  });
});
