import fc from 'fast-check';
import { daysBetween } from '../../../src/domain/dates';
import type { Basis, Figure, FigureStatus, Measure, Precision } from '../../../src/domain/figure';
import { BASES, FIGURE_STATUSES } from '../../../src/domain/figure';
import type { Force } from '../../../src/domain/force-registry';
import type { SummaryOptions } from '../../../src/domain/national';
import { entriesFor, summarise, summariseBy } from '../../../src/domain/national';
import { isPreferred, selectFigure } from '../../../src/domain/selection';
import { figure, force } from './builders';

/**
 * Larger than any sum of reported values here: if it shows up in a total or a rate, a value that must never
 * be summed leaked in (a non-REPORTED figure's, a lower bound, an undated figure's).
 */
const SENTINEL = 1_000_000_000;
const SOURCES = ['alpha', 'beta', 'gamma', 'delta'] as const;
const REGIONS = ['North', 'South', 'Wales', 'Scotland'];
const EPOCH = Date.UTC(2016, 0, 1);
const DAY_MS = 86_400_000;

function isoDay(offset: number): string {
  return new Date(EPOCH + offset * DAY_MS).toISOString().slice(0, 10);
}

/** A date written at a precision, as a source would write it. */
function written(offset: number, precision: Precision): string {
  const day = isoDay(offset);
  return precision === 'DAY' ? day : precision === 'MONTH' ? day.slice(0, 7) : day.slice(0, 4);
}

const registryArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 999 }), { minLength: 1, maxLength: 60 })
  .chain((ns) =>
    fc.tuple(
      ...ns.map((n) =>
        fc
          .record({
            region: fc.constantFrom(...REGIONS),
            population: fc.option(fc.integer({ min: 1, max: 10_000_000 }), { nil: null }),
          })
          .map(({ region, population }): Force =>
            force(`force-${n}`, {
              region,
              population: population === null ? null : { value: population, label: 'test', source: 'test' },
            }),
          ),
      ),
    ),
  );

interface FigureSpec {
  readonly forceIndex: number;
  readonly measure: Measure;
  readonly status: FigureStatus;
  readonly dated: boolean;
  readonly offset: number;
  readonly precision: Precision;
  readonly basis: Basis;
  readonly value: number;
  readonly sourceId: string;
  /** An exact value, a lower bound (">N"), or a figure its source gave no date for. */
  readonly kind: 'exact' | 'lowerBound' | 'undated';
}

const specArb: fc.Arbitrary<FigureSpec> = fc.record({
  forceIndex: fc.nat({ max: 70 }),
  measure: fc.constantFrom<Measure>('UNACCOUNTED', 'UNACCOUNTED', 'UNACCOUNTED', 'REGISTERED'),
  status: fc.constantFrom(...FIGURE_STATUSES),
  // UNAVAILABLE figures of failed sources carry no date; some other UNAVAILABLE ones do, to be thorough.
  dated: fc.boolean(),
  offset: fc.nat({ max: 3 * 366 }),
  precision: fc.constantFrom<Precision>('DAY', 'DAY', 'MONTH', 'YEAR'),
  basis: fc.constantFrom(...BASES),
  value: fc.nat({ max: 1000 }),
  sourceId: fc.constantFrom(...SOURCES),
  kind: fc.constantFrom('exact', 'exact', 'exact', 'exact', 'lowerBound', 'undated'),
});

function toFigure(spec: FigureSpec, forces: readonly Force[]): Figure {
  const forceId = forces[spec.forceIndex % forces.length]!.id;
  const exact = spec.kind === 'exact';
  const date =
    (spec.status === 'UNAVAILABLE' && !spec.dated) || spec.kind === 'undated'
      ? null
      : written(spec.offset, spec.precision);
  return figure(forceId, date, spec.status === 'REPORTED' && exact ? spec.value : SENTINEL, {
    ...(spec.kind === 'lowerBound' && { lowerBound: true }),
    measure: spec.measure,
    status: spec.status,
    basis: spec.measure === 'UNACCOUNTED' ? spec.basis : null,
    sourceId: spec.sourceId,
    reason:
      date === null && spec.status === 'UNAVAILABLE'
        ? { code: 'UPSTREAM_TIMEOUT', message: 'timed out' }
        : null,
  });
}

/** What a source can state once per fetch: one figure per force, measure, source, date and precision. */
function identity(f: Figure): string {
  return `${f.forceId}|${f.measure}|${f.provenance.sourceId}|${f.asAt?.date ?? 'failed'}`;
}

const worldArb = registryArb.chain((forces) =>
  fc.record({
    forces: fc.constant(forces),
    figures: fc
      .array(specArb, { maxLength: 200 })
      .map((specs) => specs.map((s) => toFigure(s, forces)))
      .map((figs) => [...new Map(figs.map((f) => [identity(f), f])).values()]),
    asAt: fc.nat({ max: 3 * 366 + 60 }).map(isoDay),
    windowDays: fc.integer({ min: 1, max: 400 }),
    registeredWindowDays: fc.integer({ min: 1, max: 800 }),
    priorities: fc.tuple(...SOURCES.map(() => fc.integer({ min: -2, max: 2 }))),
    stale: fc.subarray([...SOURCES]),
  }),
);

type World = typeof worldArb extends fc.Arbitrary<infer W> ? W : never;

function optionsOf(world: World): SummaryOptions {
  const priority = new Map<string, number>(SOURCES.map((s, i) => [s, world.priorities[i]!]));
  return {
    asAt: world.asAt,
    windowDays: world.windowDays,
    registeredWindowDays: world.registeredWindowDays,
    priorityOf: (id) => priority.get(id) ?? 0,
    staleSources: new Set(world.stale),
  };
}

function byForce(figures: readonly Figure[]): Map<string, Figure[]> {
  const map = new Map<string, Figure[]>();
  for (const f of figures) map.set(f.forceId, [...(map.get(f.forceId) ?? []), f]);
  return map;
}

function summaryOf(world: World, figures: readonly Figure[] = world.figures) {
  const entries = entriesFor(world.forces, byForce(figures), optionsOf(world));
  return { entries, summary: summarise(entries, world.asAt, world.windowDays) };
}

describe('national sum (property)', () => {
  it('equals the sum of REPORTED entries and never includes a non-REPORTED value', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const { entries, summary } = summaryOf(world);
        const expected = entries
          .filter((e) => e.outcome === 'REPORTED')
          .reduce((sum, e) => sum + (e.figure?.value ?? 0), 0);
        expect(summary.unaccounted).toBe(expected);
        expect(summary.unaccounted).toBeLessThan(SENTINEL);
        for (const f of summary.coverage.reportingForces) {
          const e = entries.find((x) => x.force.id === f.id)!;
          expect(e.figure?.status).toBe('REPORTED');
        }
        expect(summary.byBasis.reduce((s, b) => s + b.value, 0)).toBe(summary.unaccounted);
        expect(summary.byBasis.reduce((s, b) => s + b.forces, 0)).toBe(summary.coverage.reporting);
      }),
    );
  });

  it('accounts for every force in the registry exactly once', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const { coverage } = summaryOf(world).summary;
        expect(coverage.forces).toBe(world.forces.length);
        expect(
          coverage.reporting +
            coverage.withheld +
            coverage.notHeld +
            coverage.unavailable +
            coverage.lowerBound +
            coverage.withoutFigure,
        ).toBe(coverage.forces);
        expect(coverage.missing).toHaveLength(coverage.forces - coverage.reporting);
        const named = [
          ...coverage.missing.map((e) => e.force.id),
          ...coverage.reportingForces.map((f) => f.id),
        ];
        expect(new Set(named).size).toBe(world.forces.length);
      }),
    );
  });

  it('counts stale forces only among reporting ones, and rates only over reporting forces', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const { per1000Registered, per100kPopulation, coverage } = summaryOf(world).summary;
        expect(coverage.stale).toBeLessThanOrEqual(coverage.reporting);
        for (const rate of [per1000Registered, per100kPopulation]) {
          if (rate === null) continue;
          expect(rate.forcesIncluded).toBeLessThanOrEqual(coverage.reporting);
          expect(rate.numerator).toBeLessThanOrEqual(summaryOf(world).summary.unaccounted);
          expect(rate.denominator).toBeGreaterThan(0);
          // Only exact figures are denominators (no lower bound, no undated figure).
          expect(rate.denominator).toBeLessThan(SENTINEL);
        }
      }),
    );
  });

  it('splits into groups whose coverage and sums add up to the national ones', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const { entries, summary } = summaryOf(world);
        const groups = summariseBy(entries, (f) => f.region, world.asAt, world.windowDays);
        const add = (pick: (s: typeof summary) => number) => groups.reduce((n, g) => n + pick(g.summary), 0);
        expect(add((s) => s.unaccounted)).toBe(summary.unaccounted);
        expect(add((s) => s.coverage.forces)).toBe(summary.coverage.forces);
        expect(add((s) => s.coverage.reporting)).toBe(summary.coverage.reporting);
        expect(add((s) => s.coverage.withheld)).toBe(summary.coverage.withheld);
        expect(add((s) => s.coverage.notHeld)).toBe(summary.coverage.notHeld);
        expect(add((s) => s.coverage.unavailable)).toBe(summary.coverage.unavailable);
        expect(add((s) => s.coverage.lowerBound)).toBe(summary.coverage.lowerBound);
        expect(add((s) => s.coverage.withoutFigure)).toBe(summary.coverage.withoutFigure);
        expect(add((s) => s.coverage.stale)).toBe(summary.coverage.stale);
        expect(groups.map((g) => g.key)).toEqual([...new Set(world.forces.map((f) => f.region))].sort());
      }),
    );
  });
});

describe('selection (property)', () => {
  it('does not depend on the order candidates arrive in', () => {
    fc.assert(
      fc.property(
        worldArb.chain((world) =>
          fc.tuple(
            fc.constant(world),
            fc.shuffledSubarray(world.figures, {
              minLength: world.figures.length,
              maxLength: world.figures.length,
            }),
          ),
        ),
        ([world, shuffled]) => {
          const original = summaryOf(world);
          const reordered = summaryOf(world, shuffled);
          original.entries.forEach((e, i) => {
            const r = reordered.entries[i]!;
            expect(r.figure).toBe(e.figure);
            expect(r.latestOutsideWindow).toBe(e.latestOutsideWindow);
            expect(r.registered).toBe(e.registered);
          });
          expect(reordered.summary.unaccounted).toBe(original.summary.unaccounted);
        },
      ),
    );
  });

  it('chooses a figure dated at or before the date, within the window, that no other eligible figure beats', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const { priorityOf } = optionsOf(world);
        for (const f of world.forces) {
          const candidates = world.figures.filter((x) => x.forceId === f.id);
          const { figure: chosen } = selectFigure(
            candidates,
            'UNACCOUNTED',
            world.asAt,
            world.windowDays,
            priorityOf,
          );
          const eligible = candidates.filter(
            (x) =>
              x.measure === 'UNACCOUNTED' &&
              x.asAt !== null &&
              x.asAt.start <= world.asAt &&
              daysBetween(x.asAt.start, world.asAt) <= world.windowDays,
          );
          if (eligible.length === 0) {
            expect(chosen === null || chosen.status === 'UNAVAILABLE').toBe(true);
            continue;
          }
          expect(eligible).toContain(chosen);
          for (const other of eligible) expect(isPreferred(other, chosen!, priorityOf)).toBe(false);
        }
      }),
    );
  });
});
