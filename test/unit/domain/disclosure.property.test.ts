import fc from 'fast-check';
import type { Breakdown, BreakdownCell } from '../../../src/domain/figure';
import { protectBreakdown } from '../../../src/domain/disclosure';
import { breakdown } from './builders';

const CATEGORIES = ['2010', '2011', '2012', '2013', '2014', '2015', '2016', '2017'];

interface Case {
  readonly input: Breakdown;
  readonly headline: number;
  readonly k: number;
}

/** Small values often (they are what the rules are about), up to 30 sometimes. */
const valueArb = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 30 }));

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    values: fc.array(valueArb, { minLength: 1, maxLength: CATEGORIES.length }),
    complete: fc.boolean(),
    slack: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30 })),
    k: fc.integer({ min: 2, max: 6 }),
  })
  .map(({ values, complete, slack, k }) => {
    const cells: BreakdownCell[] = values.map((value, i) => ({
      category: CATEGORIES[i]!,
      value,
      status: 'REPORTED',
    }));
    const sum = values.reduce((a, b) => a + b, 0);
    return {
      input: breakdown('dorset', '2018-01-17', { complete, cells }),
      headline: complete ? sum : sum + slack,
      k,
    };
  });

/** Who reads the output, and what they assume about each hidden cell. */
type Reader = 'GENERIC' | 'LABELLED';

/**
 * Every value hidden cell `i` can take, over all assignments of the hidden cells that fit `reader`'s
 * ranges and the total: sum = total when `exact`, sum ≤ total when not. Values are capped at the
 * total, so the search is finite. It is exhaustive: it walks the hidden cells one at a time keeping
 * the set of sums the others can reach, which is every assignment of the others, grouped by sum.
 */
function possibleValues(
  ranges: ReadonlyArray<readonly [number, number]>,
  i: number,
  total: number,
  exact: boolean,
): Set<number> {
  // reachable[s] = 1 when the other hidden cells can add up to s.
  let reachable = new Uint8Array(total + 1);
  reachable[0] = 1;
  ranges.forEach(([lo, hi], j) => {
    if (j === i) return;
    // next[t] = 1 when some reachable s has t - s in [lo, hi]; a running count over s makes it linear.
    const before = new Int32Array(total + 2);
    for (let s = 0; s <= total; s++) before[s + 1] = before[s]! + reachable[s]!;
    const next = new Uint8Array(total + 1);
    for (let t = 0; t <= total; t++) {
      const from = Math.max(0, t - hi);
      const to = t - lo;
      if (to >= from && before[to + 1]! - before[from]! > 0) next[t] = 1;
    }
    reachable = next;
  });
  const smallest = reachable.indexOf(1);
  const [lo, hi] = ranges[i]!;
  const result = new Set<number>();
  for (let v = lo; v <= Math.min(hi, total); v++) {
    const fits = exact ? reachable[total - v] === 1 : smallest !== -1 && smallest <= total - v;
    if (fits) result.add(v);
  }
  return result;
}

/**
 * What `reader` can work out about each suppressed cell of `out` (cells of `input` in the same order).
 * GENERIC: every hidden cell is any count ≥ 0. LABELLED: knows which hidden cells were primary (input
 * value in 1..k-1) and that those lie in 1..k-1: the stricter reader, and the worst case, since the
 * output does not say why a cell is hidden.
 */
function readerView(c: Case, out: Breakdown, reader: Reader): Map<number, Set<number>> {
  const hidden = out.cells.flatMap((cell, i) => (cell.status === 'SUPPRESSED' ? [i] : []));
  const visible = out.cells.reduce((sum, cell) => sum + (cell.status === 'REPORTED' ? cell.value! : 0), 0);
  const total = c.headline - visible;
  const ranges = hidden.map((i): readonly [number, number] => {
    const primary = c.input.cells[i]!.value! >= 1 && c.input.cells[i]!.value! <= c.k - 1;
    if (reader === 'LABELLED' && primary) return [1, c.k - 1];
    return [0, total];
  });
  return new Map(hidden.map((index, h) => [index, possibleValues(ranges, h, total, c.input.complete)]));
}

/** The same breakdown with every cell suppressed: as much as suppression can hide. */
function allSuppressed(b: Breakdown): Breakdown {
  return {
    ...b,
    cells: b.cells.map((cell) => ({ category: cell.category, value: null, status: 'SUPPRESSED' })),
  };
}

const protect = (c: Case): Breakdown => protectBreakdown(c.input, c.headline, { k: c.k });

describe('the brute force the properties rely on', () => {
  it('agrees with listing every assignment one by one', () => {
    const rangeArb = fc
      .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 6 }))
      .map(([lo, width]): readonly [number, number] => [lo, lo + width]);
    fc.assert(
      fc.property(
        fc.array(rangeArb, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 12 }),
        fc.boolean(),
        (ranges, total, exact) => {
          const listed = ranges.map(() => new Set<number>());
          const walk = (j: number, sum: number, chosen: number[]): void => {
            if (j === ranges.length) {
              if (exact ? sum === total : sum <= total) chosen.forEach((v, h) => listed[h]!.add(v));
              return;
            }
            for (let v = ranges[j]![0]; v <= Math.min(ranges[j]![1], total); v++)
              walk(j + 1, sum + v, [...chosen, v]);
          };
          walk(0, 0, []);
          ranges.forEach((_, i) => expect(possibleValues(ranges, i, total, exact)).toEqual(listed[i]));
        },
      ),
    );
  });
});

describe('protectBreakdown: properties', () => {
  it('leaves every suppressed cell with two or more possible values, unless no suppression could', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const out = protect(c);
        for (const reader of ['GENERIC', 'LABELLED'] as const) {
          const view = readerView(c, out, reader);
          const best = readerView(c, allSuppressed(c.input), reader);
          for (const [i, values] of view) {
            // Always consistent with the truth: the reader's model is sound.
            expect(values.has(c.input.cells[i]!.value!)).toBe(true);
            // Pinned only where hiding every cell still pins it (k = 2 for a labelled primary cell,
            // a lone cell that is the whole headline, cells all 1 with zeros).
            if (values.size < 2) expect(best.get(i)!.size).toBeLessThan(2);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('pins nothing for either reader when k ≥ 3 and some cell is at least k', () => {
    // Where the exemption above cannot apply: a cell of k or more can always be hidden to make room.
    // (Exempt cases are a cell that is the whole headline, k = 2 for the labelled reader, and
    // breakdowns with only small cells and zeros at an extreme, such as 1 + 1 + 0 or 2 + 2 with k = 3.)
    fc.assert(
      fc.property(
        caseArb.filter((c) => c.k >= 3 && c.input.cells.some((x) => x.value! >= c.k)),
        (c) => {
          const out = protect(c);
          for (const reader of ['GENERIC', 'LABELLED'] as const) {
            for (const values of readerView(c, out, reader).values())
              expect(values.size).toBeGreaterThanOrEqual(2);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('leaves no reported cell from 1 to k-1', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        for (const cell of protect(c).cells) {
          if (cell.status === 'REPORTED') expect(cell.value! >= 1 && cell.value! <= c.k - 1).toBe(false);
        }
      }),
    );
  });

  it('only ever hides: no cell gains or changes a value, visible cells are untouched', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const out = protect(c);
        expect(out.cells).toHaveLength(c.input.cells.length);
        out.cells.forEach((cell, i) => {
          const before = c.input.cells[i]!;
          if (cell.status === 'SUPPRESSED')
            expect(cell).toEqual({ category: before.category, value: null, status: 'SUPPRESSED' });
          else expect(cell).toEqual(before);
        });
        const { cells: _a, ...restOut } = out;
        const { cells: _b, ...restIn } = c.input;
        expect(restOut).toEqual(restIn);
      }),
    );
  });

  it('does not mutate its input', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const copy = structuredClone(c.input);
        protect(c);
        expect(c.input).toEqual(copy);
      }),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const once = protect(c);
        expect(protectBreakdown(once, c.headline, { k: c.k })).toEqual(once);
      }),
    );
  });

  it('gives the same pattern whatever the order of the cells (so responses agree)', () => {
    const byCategory = (b: Breakdown): Record<string, BreakdownCell> =>
      Object.fromEntries(b.cells.map((cell) => [cell.category, cell]));
    fc.assert(
      fc.property(
        caseArb.chain((c) =>
          fc
            .shuffledSubarray([...c.input.cells], {
              minLength: c.input.cells.length,
              maxLength: c.input.cells.length,
            })
            .map((cells) => ({ c, shuffled: { ...c.input, cells } })),
        ),
        ({ c, shuffled }) => {
          const a = protect(c);
          const b = protectBreakdown(shuffled, c.headline, { k: c.k });
          expect(byCategory(b)).toEqual(byCategory(a));
          // And it is a function of its input: a second call agrees with the first.
          expect(protect(c)).toEqual(a);
        },
      ),
    );
  });

  it('suppresses every reported cell when the headline is from 1 to k-1', () => {
    fc.assert(
      fc.property(
        caseArb.filter((c) => c.headline >= 1 && c.headline <= c.k - 1),
        (c) => {
          expect(protect(c).cells.every((cell) => cell.status === 'SUPPRESSED')).toBe(true);
        },
      ),
    );
  });
});
