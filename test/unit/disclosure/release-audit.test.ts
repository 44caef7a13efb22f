import fc from 'fast-check';
import type { Highs } from 'highs';
import type { TableInput } from '../../../src/domain/breakdown-table';
import { nationalBreakdownTable } from '../../../src/domain/breakdown-table';
import type { Breakdown } from '../../../src/domain/figure';
import {
  auditedBreakdownTable,
  releaseOfTable,
  withdrawUntilSafe,
} from '../../../src/disclosure/audited-table';
import { auditIntervals, loadSolver } from '../../../src/disclosure/interval-audit';
import type { Release, ReleasedSum } from '../../../src/disclosure/release';
import { auditInputOf, cellId } from '../../../src/disclosure/release';
import { breakdown } from '../domain/builders';

const K = 3;
const YEARS = ['2014', '2015', '2016', '2017', '2018'];

let solver: Highs;
beforeAll(async () => {
  solver = await loadSolver();
});

/** A complete breakdown by year of `values`, as at `date`, with its headline (their sum). */
function input(forceId: string, date: string, values: readonly number[]): TableInput {
  const b = breakdown(forceId, date, {
    cells: values.map((value, i) => ({ category: YEARS[i]!, value, status: 'REPORTED' })),
  });
  return { forceId, breakdown: b, headline: values.reduce((a, v) => a + v, 0) };
}

/** What a restricted role sees of one table: its rows, and its column totals. */
function releaseOf(inputs: readonly TableInput[], tag: string): Release {
  const release = releaseOfTable(nationalBreakdownTable('YEAR_WENT_MISSING', inputs, K), inputs);
  return { ...release, sums: release.sums.map((s) => ({ ...s, label: `${tag} ${s.label}` })) };
}

function union(...releases: Release[]): Release {
  return {
    breakdowns: releases.flatMap((r) => r.breakdowns),
    sums: releases.flatMap((r) => r.sums),
  };
}

/**
 * The tempting alternative this design rejects: each column total over every force, suppressed cells
 * included (the national figure per category).
 */
function exactTotals(inputs: readonly TableInput[], tag: string): ReleasedSum[] {
  return YEARS.map((year) => {
    const parts = inputs.flatMap((i) =>
      i.breakdown && i.breakdown.cells.some((c) => c.category === year)
        ? [{ breakdown: i.breakdown, category: year }]
        : [],
    );
    const value = parts.reduce(
      (sum, p) => sum + (p.breakdown.cells.find((c) => c.category === p.category)!.value ?? 0),
      0,
    );
    return { label: `${tag} exact ${year}`, value, parts };
  });
}

const audit = (release: Release) => auditIntervals(solver, auditInputOf(release, K));

describe('the release a restricted role sees, audited', () => {
  it('proves every suppressed cell of one date’s table safe', () => {
    const inputs = [
      input('dorset', '2018-01-17', [0, 1, 0, 3, 1]),
      input('hampshire', '2018-01-17', [4, 0, 6, 3, 5]),
      input('kent', '2018-01-17', [2, 2, 0, 0, 1]),
    ];
    const report = audit(releaseOf(inputs, 'd1'));
    expect(report.intervals.length).toBe(10); // Dorset's and Kent's cells: both suppressed whole
    expect(report.unsafe).toEqual([]);
    expect(report.intervals.find((c) => c.id === cellId(inputs[0]!.breakdown!, '2016'))).toMatchObject({
      min: 0,
      max: 5,
    });
  });

  it('shows why column totals must not count suppressed cells: across two dates they pin one force’s cells', () => {
    // Between the dates only Dorset's figure changes: visible on the first, suppressed on the second.
    const others = [
      input('kent', '2017-12-01', [2, 2, 3, 3, 1]),
      input('surrey', '2017-12-01', [1, 4, 3, 5, 2]),
    ];
    const first = [input('dorset', '2017-12-01', [3, 0, 4, 4, 3]), ...others];
    const second = [input('dorset', '2018-01-17', [3, 1, 4, 4, 3]), ...others];
    const dorset2015 = cellId(second[0]!.breakdown!, '2015');
    const naive = (inputs: TableInput[], tag: string): Release => ({
      ...releaseOf(inputs, tag),
      sums: exactTotals(inputs, tag),
    });
    // One date alone: the three suppressed forces keep each other's cells wide enough...
    const alone = audit(naive(second, 'd2'));
    expect(alone.unsafe).toEqual([]);
    expect(alone.intervals.find((c) => c.id === dorset2015)).toMatchObject({ min: 0, max: 7 });
    // ...but the second date's totals minus the first's give Dorset's new cells exactly.
    const leaked = audit(union(naive(first, 'd1'), naive(second, 'd2'))).unsafe;
    expect(leaked.find((c) => c.id === dorset2015)).toMatchObject({ min: 1, max: 1 });
    // The table as served (totals over shown forces only) leaks nothing over the same two dates.
    expect(audit(union(releaseOf(first, 'd1'), releaseOf(second, 'd2'))).unsafe).toEqual([]);
  });

  it('withdraws the totals that narrow a cell until the audit passes', () => {
    // Exact totals over a table where only Dorset is suppressed would give its cells away at once.
    const inputs = [
      input('dorset', '2018-01-17', [0, 1, 0, 3, 1]),
      input('hampshire', '2018-01-17', [4, 0, 6, 3, 5]),
    ];
    const release: Release = { ...releaseOf(inputs, 'd1'), sums: exactTotals(inputs, 'd1') };
    expect(audit(release).unsafe.length).toBeGreaterThan(0);
    const { report, withdrawn } = withdrawUntilSafe(solver, release, K);
    expect(report.unsafe).toEqual([]);
    expect(withdrawn.map((s) => s.label)).toEqual(YEARS.map((y) => `d1 exact ${y}`));
  });

  it('refuses to serve when the breakdowns alone would disclose a cell', () => {
    // A breakdown shown with one cell hidden (not what protectBreakdown does): the row total pins it.
    const truth = input('dorset', '2018-01-17', [3, 1, 4]).breakdown!;
    const shown: Breakdown = {
      ...truth,
      cells: truth.cells.map((c) => (c.value === 1 ? { ...c, value: null, status: 'SUPPRESSED' } : c)),
    };
    expect(() =>
      withdrawUntilSafe(solver, { breakdowns: [{ truth, shown, headline: 8 }], sums: [] }, K),
    ).toThrow(/narrowed by the breakdowns alone/);
  });

  it('over a series of neighbouring dates, the union of every table leaks no suppressed cell (random forces and updates)', () => {
    const forceArb = fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 2, maxLength: 5 });
    const caseArb = fc.record({
      first: fc.array(forceArb, { minLength: 2, maxLength: 8 }),
      updates: fc.array(fc.array(fc.tuple(fc.nat(), forceArb), { maxLength: 3 }), {
        minLength: 1,
        maxLength: 3,
      }),
    });
    fc.assert(
      fc.property(caseArb, ({ first, updates }) => {
        const dates = ['2018-01-01', '2018-02-01', '2018-03-01', '2018-04-01'];
        let inputs = first.map((values, f) => input(`force-${f}`, dates[0]!, values));
        const releases = [releaseOf(inputs, dates[0]!)];
        updates.forEach((changes, d) => {
          inputs = inputs.map((current, f) => {
            const change = changes.find(([which]) => which % inputs.length === f);
            return change ? input(`force-${f}`, dates[d + 1]!, change[1]) : current;
          });
          releases.push(releaseOf(inputs, dates[d + 1]!));
        });
        const report = audit(union(...releases));
        expect(report.unsafe).toEqual([]);
      }),
      { numRuns: 40, seed: 20261207 },
    );
  });

  it('keeps an audited table by content: the same figures in a new generation reuse it, a new figure does not', async () => {
    const make = (dorset: number[]) => [
      input('dorset', '2018-01-17', dorset),
      input('kent', '2018-01-17', [4, 5, 3]),
    ];
    const first = auditedBreakdownTable('YEAR_WENT_MISSING', make([1, 3, 1]), K);
    // Equal figures, new objects (as a new snapshot generation makes them).
    expect(auditedBreakdownTable('YEAR_WENT_MISSING', make([1, 3, 1]), K)).toBe(first);
    expect(auditedBreakdownTable('YEAR_WENT_MISSING', make([1, 3, 2]), K)).not.toBe(first);
    expect(auditedBreakdownTable('OFFENCE_CATEGORY', make([1, 3, 1]), K)).not.toBe(first);
    expect(auditedBreakdownTable('YEAR_WENT_MISSING', make([1, 3, 1]), 4)).not.toBe(first);
    expect((await first).audit).toMatchObject({ k: K, cellsChecked: 3, withdrawnTotals: [] });
  });
});
