import type { Highs } from 'highs';
import {
  auditIntervals,
  isWideEnough,
  loadSolver,
  type AuditInput,
  type LinearFact,
} from '../../../src/disclosure/interval-audit';

let solver: Highs;
beforeAll(async () => {
  solver = await loadSolver();
});

const sum = (label: string, ids: string[], value: number): LinearFact => ({
  label,
  terms: ids.map((id) => [id, 1] as const),
  lower: value,
  upper: value,
});

describe('isWideEnough', () => {
  it('passes an interval holding a value below k and one of at least k', () => {
    expect(isWideEnough(0, 3, 10, 3)).toBe(true);
    expect(isWideEnough(2, 3, 10, 3)).toBe(true);
  });
  it('passes an interval at least k wide, even when all of it is k or more', () => {
    expect(isWideEnough(4, 7, 10, 3)).toBe(true);
    expect(isWideEnough(4, 6, 10, 3)).toBe(false);
  });
  it('fails an interval that is all below k, unless it is all the force’s count allows', () => {
    expect(isWideEnough(0, 2, 10, 3)).toBe(false);
    expect(isWideEnough(1, 1, 10, 3)).toBe(false);
    expect(isWideEnough(0, 2, 2, 3)).toBe(true);
  });
});

describe('auditIntervals', () => {
  it('gives [0, cap] to cells no fact mentions, without a solve', () => {
    const report = auditIntervals(solver, { cells: [{ id: 'a', cap: 5 }], facts: [], k: 3 });
    expect(report.intervals).toEqual([{ id: 'a', min: 0, max: 5, cap: 5, safe: true }]);
    expect(report.solves).toBe(0);
  });

  it('pins a cell that a row total and a column total leave no room for', () => {
    // Two hidden cells in one row of 5; the column total says the first is 1.
    const input: AuditInput = {
      cells: [
        { id: 'r1c1', cap: 5 },
        { id: 'r1c2', cap: 5 },
      ],
      facts: [sum('row 1', ['r1c1', 'r1c2'], 5), sum('column 1', ['r1c1'], 1)],
      k: 3,
    };
    const report = auditIntervals(solver, input);
    expect(report.intervals.map((c) => [c.id, c.min, c.max])).toEqual([
      ['r1c1', 1, 1],
      ['r1c2', 4, 4],
    ]);
    expect(report.unsafe.map((c) => c.id)).toEqual(['r1c1', 'r1c2']);
  });

  it('solves a two-by-two hidden block with its margins: each cell ranges over what the margins allow', () => {
    // Rows 4 and 6, columns 3 and 7: x11 in [0, 3], x12 = 4 - x11, x21 = 3 - x11, x22 = 3 + x11.
    const input: AuditInput = {
      cells: ['x11', 'x12', 'x21', 'x22'].map((id) => ({ id, cap: 10 })),
      facts: [
        sum('row 1', ['x11', 'x12'], 4),
        sum('row 2', ['x21', 'x22'], 6),
        sum('column 1', ['x11', 'x21'], 3),
        sum('column 2', ['x12', 'x22'], 7),
      ],
      k: 3,
    };
    const report = auditIntervals(solver, input);
    expect(report.intervals.map((c) => [c.id, c.min, c.max])).toEqual([
      ['x11', 0, 3],
      ['x12', 1, 4],
      ['x21', 0, 3],
      ['x22', 3, 6],
    ]);
    expect(report.unsafe).toEqual([]);
    expect(report.components).toBe(1);
    expect(report.solves).toBe(8);
  });

  it('uses whole numbers where the LP bound is fractional', () => {
    // 2a + 2b = 3 has no whole solution, but 2a + 2b ≤ 3 with a + b ≥ 1: the LP max of a is 1.5.
    const input: AuditInput = {
      cells: [
        { id: 'a', cap: 10 },
        { id: 'b', cap: 10 },
      ],
      facts: [
        {
          label: 'twice the pair',
          terms: [
            ['a', 2],
            ['b', 2],
          ],
          lower: -Infinity,
          upper: 3,
        },
        {
          label: 'pair',
          terms: [
            ['a', 1],
            ['b', 1],
          ],
          lower: 1,
          upper: Infinity,
        },
      ],
      k: 3,
    };
    const report = auditIntervals(solver, input);
    expect(report.intervals.map((c) => [c.id, c.min, c.max])).toEqual([
      ['a', 0, 1],
      ['b', 0, 1],
    ]);
    expect(report.integerSolves).toBeGreaterThan(0);
  });

  it('reports an unbounded maximum as Infinity when nothing caps a cell', () => {
    const input: AuditInput = {
      cells: [
        { id: 'a', cap: Infinity },
        { id: 'b', cap: Infinity },
      ],
      facts: [
        {
          label: 'a at least b',
          terms: [
            ['a', 1],
            ['b', -1],
          ],
          lower: 0,
          upper: Infinity,
        },
      ],
      k: 3,
    };
    const report = auditIntervals(solver, input);
    expect(report.intervals[0]).toMatchObject({ min: 0, max: Infinity, safe: true });
  });

  it('refuses a fact about a cell it was not given', () => {
    expect(() => auditIntervals(solver, { cells: [], facts: [sum('row', ['ghost'], 1)], k: 3 })).toThrow(
      /unknown cell ghost/,
    );
  });
});
