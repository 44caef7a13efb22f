import { embeddedDefault } from '../../../src/config/load';
import { entriesFor, summarise } from '../../../src/domain/national';
import { comparablePublishedTotals } from '../../../src/domain/published';
import { FigureService } from '../../../src/store/figure-service';
import type { Snapshot } from '../../../src/store/snapshot';

/** The contract answer of the bundled published figures, as the README and the investigations state it. */
describe('the embedded default', () => {
  const config = embeddedDefault();
  const service = new FigureService(config);
  let snapshot: Snapshot;

  beforeAll(async () => {
    snapshot = await service.createLoaders().snapshot();
  });

  function summaryAt(asAt: string, windowDays = 90) {
    const entries = entriesFor(config.registry.all, snapshot.figuresByForce, {
      asAt,
      windowDays,
      registeredWindowDays: config.national.registeredWindowDays,
      priorityOf: service.priorityOf,
      staleSources: snapshot.staleSources,
    });
    return summarise(entries, asAt, windowDays);
  }

  it('loads every bundled source without error', () => {
    expect(snapshot.reads.map((r) => [r.sourceId, r.ok])).toEqual([
      ['published-figures', true],
      ['published-breakdowns', true],
      ['published-national-totals', true],
      ['mappa-registered', true],
    ]);
  });

  describe('as at 2018-01-17 (Sky News), window 90 days', () => {
    it('sums to 389 over 19 reporting forces of 45, the other 26 without a figure', () => {
      const { unaccounted, coverage } = summaryAt('2018-01-17');
      expect(unaccounted).toBe(389);
      expect(coverage).toMatchObject({
        forces: 45,
        reporting: 19,
        withheld: 0,
        notHeld: 0,
        unavailable: 0,
        withoutFigure: 26,
        stale: 0,
      });
    });

    it('names the forces without a figure', () => {
      const missing = summaryAt('2018-01-17').coverage.missing.map((e) => e.force.id);
      expect(missing).toHaveLength(26);
      expect(missing).toEqual(expect.arrayContaining(['cheshire', 'essex', 'northern-ireland']));
      expect(missing).not.toContain('metropolitan');
    });

    it('keeps the two WANTED forces as their own basis within the headline sum', () => {
      expect(summaryAt('2018-01-17').byBasis).toEqual([
        { basis: 'WHEREABOUTS_UNKNOWN', value: 367, forces: 17 },
        { basis: 'WANTED', value: 22, forces: 2 },
      ]);
    });

    it('shows the published 485 (41 forces responded) beside the sum, never in it', () => {
      const published = comparablePublishedTotals(snapshot.publishedTotals, '2018-01-17', 90);
      expect(published.map((t) => [t.value, t.forcesResponded, t.forcesAsked])).toEqual([[485, 41, 45]]);
      expect(summaryAt('2018-01-17').unaccounted).toBe(389);
    });

    it('names where each figure came from', () => {
      const met = summaryAt('2018-01-17').entries.find((e) => e.force.id === 'metropolitan');
      expect(met?.figure?.provenance).toMatchObject({ sourceId: 'published-figures', simulated: false });
      expect(met?.figure?.provenance.url).toMatch(/^https?:\/\//);
    });
  });

  describe('as at 2015-03-31, window 90 days', () => {
    it('selects the Press Association figures, dated to the month', () => {
      const summary = summaryAt('2015-03-31');
      const met = summary.entries.find((e) => e.force.id === 'metropolitan');
      expect(met?.figure).toMatchObject({ value: 167, status: 'REPORTED' });
      expect(met?.figure?.asAt).toEqual({
        date: '2015-03',
        precision: 'MONTH',
        start: '2015-03-01',
        end: '2015-03-31',
      });
      expect(summary.coverage.reportingForces.map((f) => f.id)).toEqual(
        expect.arrayContaining(['metropolitan', 'west-midlands', 'greater-manchester', 'west-yorkshire']),
      );
    });

    it('shows the PA national total beside it', () => {
      expect(
        comparablePublishedTotals(snapshot.publishedTotals, '2015-03-31', 90).map((t) => t.value),
      ).toEqual([396]);
    });
  });
});
