import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { embeddedDefault } from '../../../src/config/load';
import type { Figure } from '../../../src/domain/figure';
import { entriesFor, summarise } from '../../../src/domain/national';
import { comparablePublishedTotals } from '../../../src/domain/published';
import { setAsideBeside, selectFigure, undatedFigures } from '../../../src/domain/selection';
import { DATA_DIR } from '../../../src/paths';
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

  /** Every figure of a force (every source), as the snapshot holds them. */
  const figuresOf = (forceId: string): readonly Figure[] => snapshot.figuresByForce.get(forceId) ?? [];

  it('loads every bundled source without error', () => {
    expect(snapshot.reads.map((r) => [r.sourceId, r.ok])).toEqual([
      ['published-figures', true],
      ['published-breakdowns', true],
      ['published-national-totals', true],
      ['mappa-registered', true],
      ['force-registered', true],
      ['scotland-mappa-wanted', true],
      ['scotland-mappa-missing', true],
    ]);
  });

  describe('as at 2018-01-17 (Sky News), window 90 days', () => {
    // 393, not the 389 of the first bundled file: Gloucestershire's 4, from Sky's own breakdown as
    // Breitbart reported it (published-figures.csv), is a twentieth force of the same survey.
    it('sums to 393 over 20 reporting forces of 45, the other 25 without a figure', () => {
      const { unaccounted, coverage } = summaryAt('2018-01-17');
      expect(unaccounted).toBe(393);
      expect(coverage).toMatchObject({
        forces: 45,
        reporting: 20,
        withheld: 0,
        notHeld: 0,
        unavailable: 0,
        lowerBound: 0,
        withoutFigure: 25,
        stale: 0,
      });
    });

    it('names the forces without a figure', () => {
      const missing = summaryAt('2018-01-17').coverage.missing.map((e) => e.force.id);
      expect(missing).toHaveLength(25);
      expect(missing).toEqual(expect.arrayContaining(['cheshire', 'essex', 'northern-ireland']));
      expect(missing).not.toContain('metropolitan');
      expect(missing).not.toContain('gloucestershire');
    });

    it('keeps the two WANTED forces as their own basis within the headline sum', () => {
      expect(summaryAt('2018-01-17').byBasis).toEqual([
        { basis: 'WHEREABOUTS_UNKNOWN', value: 371, forces: 18 },
        { basis: 'WANTED', value: 22, forces: 2 },
      ]);
    });

    it('shows the published 485 (41 forces responded) beside the sum, never in it, with its other outlet', () => {
      const published = comparablePublishedTotals(snapshot.publishedTotals, '2018-01-17', 90);
      expect(published.map((t) => [t.value, t.forcesResponded, t.forcesAsked])).toEqual([[485, 41, 45]]);
      expect(published[0]!.provenance.corroboratedBy?.map((c) => c.url)).toEqual([
        'https://www.bucksherald.co.uk/news/nearly-500-sex-offenders-missing-in-britain-including-13-in-thames-valley-1-8423118',
      ]);
      expect(summaryAt('2018-01-17').unaccounted).toBe(393);
    });

    it('rates per 1,000 registered only over forces with a registered count from the last 400 days', () => {
      expect(summaryAt('2018-01-17').per1000Registered).toMatchObject({
        numerator: 3 + 7 + 1 + 5 + 12 + 13,
        denominator: 704 + 1154 + 669 + 1493 + 3962 + 1726,
        forcesIncluded: 6,
      });
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

  describe('merged with care: one survey, one figure', () => {
    it('merges the PA survey reported by two outlets (2015-03 and 2015-02) into one figure, counted once', () => {
      const pa = figuresOf('cambridgeshire').filter((f) => f.measure === 'UNACCOUNTED' && f.value === 10);
      expect(pa).toHaveLength(1);
      expect(pa[0]!.asAt?.date).toBe('2015-03');
      expect(pa[0]!.provenance.corroboratedBy).toEqual([
        expect.objectContaining({
          url: 'https://www.stamfordmercury.co.uk/news/crime/sex-offenders-are-missing-1-6632620',
          asAt: '2015-02',
        }),
      ]);
      expect(summaryAt('2015-03-31').entries.find((e) => e.force.id === 'cambridgeshire')?.figure).toBe(
        pa[0],
      );
    });

    it('adds Essex and West Mercia to the PA 2015 survey, dated as its other forces', () => {
      const summary = summaryAt('2015-03-31');
      expect(summary.coverage.reporting).toBe(18);
      for (const [id, value] of [
        ['essex', 11],
        ['west-mercia', 6],
      ] as const) {
        expect(summary.entries.find((e) => e.force.id === id)?.figure).toMatchObject({
          value,
          asAt: { date: '2015-03', precision: 'MONTH' },
        });
      }
    });

    it('serves the Met’s 2013 components (63 missing, 96 wanted), never the derived 159', () => {
      const met2013 = figuresOf('metropolitan').filter((f) => f.asAt?.date === '2013-11');
      expect(met2013.map((f) => [f.basis, f.value])).toEqual([
        ['WHEREABOUTS_UNKNOWN', 63],
        ['WANTED', 96],
      ]);
      expect(figuresOf('metropolitan').some((f) => f.value === 159)).toBe(false);
      const summary = summaryAt('2013-11-30');
      expect(summary.entries.find((e) => e.force.id === 'metropolitan')?.figure?.value).toBe(63);
      expect(summary.byBasis.find((b) => b.basis === 'WANTED')).toBeUndefined();
    });
  });

  describe('Scotland: wanted and missing side by side', () => {
    it('keeps both bases as figures, and the headline takes whereabouts unknown (missing), never both', () => {
      const at = figuresOf('police-scotland').filter(
        (f) => f.measure === 'UNACCOUNTED' && f.asAt?.date === '2021-03-31',
      );
      expect(at.map((f) => [f.basis, f.value, f.provenance.sourceId])).toEqual([
        ['WANTED', 13, 'scotland-mappa-wanted'],
        ['WHEREABOUTS_UNKNOWN', 0, 'scotland-mappa-missing'],
      ]);
      const summary = summaryAt('2021-03-31');
      const scotland = summary.entries.find((e) => e.force.id === 'police-scotland')!;
      expect(scotland.figure).toMatchObject({ basis: 'WHEREABOUTS_UNKNOWN', value: 0 });
      expect(summary.unaccounted).toBe(0);
      expect(setAsideBeside(figuresOf('police-scotland'), scotland.figure, service.priorityOf)).toEqual([
        expect.objectContaining({ basis: 'WANTED', value: 13 }),
      ]);
    });

    it('merges the Scottish Government report and the Scottish Sun, which give the same snapshot', () => {
      const wanted = figuresOf('police-scotland').find(
        (f) => f.basis === 'WANTED' && f.asAt?.date === '2021-03-31',
      )!;
      expect(wanted.provenance.title).toMatch(/^MAPPA in Scotland: national overview report 2021\/2022/);
      expect(wanted.provenance.corroboratedBy?.map((c) => c.title)).toEqual([
        'Scotland registered sex offenders by postcode (Scottish Sun, 15 Apr 2021)',
      ]);
    });

    it('gives no missing figure where a report did not say (2017, 2018): wanted stands alone', () => {
      const summary = summaryAt('2018-05-31');
      expect(summary.entries.find((e) => e.force.id === 'police-scotland')?.figure).toMatchObject({
        basis: 'WANTED',
        value: 14,
      });
    });
  });

  describe('dates the source did not give, lower bounds, conflicts', () => {
    it('shows The Sun’s survey as undated figures, never selected for any date', () => {
      const kent = undatedFigures(figuresOf('kent'), 'UNACCOUNTED');
      expect(kent.map((f) => [f.value, f.asAt])).toEqual([[14, null]]);
      for (const asAt of ['2008-12-31', '2010-06-30', '2011-12-31']) {
        const entry = summaryAt(asAt, 3650).entries.find((e) => e.force.id === 'kent')!;
        expect(entry.figure?.asAt).not.toBeNull();
      }
      expect(selectFigure(kent, 'UNACCOUNTED', '2026-01-01', 36_500, service.priorityOf).figure).toBeNull();
    });

    it('keeps the published ">31300" as a lower bound, undated and not comparable', () => {
      const bound = snapshot.publishedTotals.find((t) => t.lowerBound === true)!;
      expect(bound).toMatchObject({ scope: 'England and Wales', value: 31300, asAt: null });
    });

    it('keeps two outlets that disagree about Teesside in 2019 as two figures, the later MoJ table chosen', () => {
      const teesside = figuresOf('cleveland').filter(
        (f) => f.measure === 'REGISTERED' && f.asAt?.date === '2019-03-31',
      );
      expect(teesside.map((f) => f.value)).toEqual([821, 827]);
      const chosen = selectFigure(
        figuresOf('cleveland'),
        'REGISTERED',
        '2019-04-01',
        400,
        service.priorityOf,
      );
      expect(chosen.figure?.value).toBe(821);
    });

    it('prefers the MoJ’s count to a force’s own for the same date, keeping the force’s in provenance', () => {
      const northumbria = figuresOf('northumbria').filter(
        (f) => f.measure === 'REGISTERED' && f.asAt?.date === '2021-03-31',
      );
      expect(northumbria.map((f) => [f.value, f.provenance.sourceId])).toEqual([
        [1774, 'mappa-registered'],
        [1800, 'force-registered'],
      ]);
      expect(northumbria[1]!.provenance.notes).toMatch(/^force FOI figure/);
      const chosen = selectFigure(
        figuresOf('northumbria'),
        'REGISTERED',
        '2021-04-01',
        400,
        service.priorityOf,
      );
      expect(chosen.figure?.value).toBe(1774);
    });

    it('makes no per-force figure of national rows, rate-only rows or Scottish divisions', () => {
      const registered = [...snapshot.figuresByForce.values()]
        .flat()
        .filter((f) => f.measure === 'REGISTERED');
      expect(registered.some((f) => f.value === 36921)).toBe(false); // England and Wales, 2010/11
      // Teesside's 2023 rate of 222 per 100,000 is not a count of 222.
      expect(figuresOf('cleveland').some((f) => f.value === 222)).toBe(false);
      expect(figuresOf('police-scotland').some((f) => f.value === 627)).toBe(false); // Greater Glasgow, 2017
    });
  });

  describe('every bundled row keeps its citation', () => {
    function rows(file: string): Array<Record<string, string>> {
      return parse(fs.readFileSync(path.join(DATA_DIR, file), 'utf8'), { columns: true, bom: true });
    }
    // A citation that is not a web address (a repository path) is kept in the title instead (provenanceOf).
    const cites = (f: { provenance: Figure['provenance'] }, url: string) =>
      /^https?:/.test(url)
        ? f.provenance.url === url || (f.provenance.corroboratedBy ?? []).some((c) => c.url === url)
        : f.provenance.title.endsWith(`(${url})`);

    it('serves each per-force row as a figure, or as a corroborating citation of one', () => {
      const served: Array<[string, string, string, string]> = [
        ...rows('published-figures.csv').map(
          (r) => [r.force_id!, 'UNACCOUNTED', r.value!, r.source_url!] as const,
        ),
        ...rows('mappa.csv')
          .filter((r) => r.force_id && r.rso_count)
          .map((r) => [r.force_id!, 'REGISTERED', r.rso_count!, r.source_url!] as const),
        ...rows('registered-force-figures.csv').map(
          (r) => [r.force_id!, 'REGISTERED', r.rso_count!, r.source_url!] as const,
        ),
        ...rows('scotland-mappa.csv')
          .filter((r) => r.force_id)
          .flatMap((r) =>
            [r.wanted, r.missing]
              .filter((v) => v)
              .map((v) => [r.force_id!, 'UNACCOUNTED', v!, r.source_url!] as const),
          ),
      ].map((row) => [...row]);
      expect(served.length).toBeGreaterThan(250);
      const lost = served.filter(
        ([forceId, measure, value, url]) =>
          !figuresOf(forceId).some(
            (f) => f.measure === measure && f.value === Number(value) && cites(f, url),
          ),
      );
      expect(lost).toEqual([]);
    });

    it('serves each national row as a published total, or as a corroborating citation of one', () => {
      const lost = rows('published-national-totals.csv').filter(
        (r) =>
          !snapshot.publishedTotals.some(
            (t) => t.value === Number(r.value!.replace('>', '')) && cites(t, r.source_url!),
          ),
      );
      expect(lost).toEqual([]);
    });

    it('sets aside, with a reason, the rows that are not one force’s published figure', () => {
      expect(rows('published-figures-set-aside.csv').map((r) => [r.force_id, r.value])).toEqual([
        ['metropolitan', '159'],
        ['metropolitan', '40'],
        ['west-mercia', '4'],
      ]);
      expect(rows('published-figures-set-aside.csv').every((r) => r.set_aside_because && r.source_url)).toBe(
        true,
      );
    });
  });
});
