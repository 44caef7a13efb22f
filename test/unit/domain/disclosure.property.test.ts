import fc from 'fast-check';
import type { Breakdown, BreakdownCell, Dimension } from '../../../src/domain/figure';
import { protectBreakdown } from '../../../src/domain/disclosure';
import { breakdown } from './builders';

const CATEGORIES = ['2010', '2011', '2012', '2013', '2014', '2015', '2016', '2017'];

interface Case {
  readonly input: Breakdown;
  readonly headline: number | null;
  readonly k: number;
}

/** Small values often (they are what the rules are about), up to 30 sometimes. */
const valueArb = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 30 }));

/** A reported value, or now and then a cell the force withheld. */
const cellValueArb = fc.oneof(
  { weight: 9, arbitrary: valueArb },
  { weight: 1, arbitrary: fc.constant(null) },
);

const dimensionArb = fc.constantFrom<Dimension>('YEAR_WENT_MISSING', 'MISSING_FOR_AT_LEAST_YEARS');

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    values: fc.array(cellValueArb, { minLength: 1, maxLength: CATEGORIES.length }),
    dimension: dimensionArb,
    complete: fc.boolean(),
    slack: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30 })),
    knownHeadline: fc.oneof(
      { weight: 4, arbitrary: fc.constant(true) },
      { weight: 1, arbitrary: fc.constant(false) },
    ),
    k: fc.integer({ min: 2, max: 6 }),
  })
  .map(({ values, dimension, complete, slack, knownHeadline, k }) => {
    const cells = values.map((value, i): BreakdownCell => ({
      category: CATEGORIES[i]!,
      value,
      status: value === null ? 'WITHHELD' : 'REPORTED',
    }));
    const sum = values.reduce<number>((a, b) => a + (b ?? 0), 0);
    return {
      input: breakdown('dorset', '2018-01-17', { dimension, complete, cells }),
      headline: knownHeadline ? (complete ? sum : sum + slack) : null,
      k,
    };
  });

const protect = (c: Case): Breakdown => protectBreakdown(c.input, c.headline, { k: c.k });

const reportedValues = (b: Breakdown): number[] =>
  b.cells.flatMap((cell) => (cell.status === 'REPORTED' ? [cell.value!] : []));

/** Whether every REPORTED cell of `out` was suppressed (and none is left REPORTED). */
const allHidden = (input: Breakdown, out: Breakdown): boolean =>
  out.cells.every((cell, i) => input.cells[i]!.status !== 'REPORTED' || cell.status === 'SUPPRESSED');

describe('protectBreakdown: properties', () => {
  it('is all or nothing: every cell as reported, or every reported cell suppressed', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const out = protect(c);
        expect(out.cells).toEqual(
          allHidden(c.input, out)
            ? c.input.cells.map((cell) =>
                cell.status === 'REPORTED'
                  ? { category: cell.category, value: null, status: 'SUPPRESSED' }
                  : cell,
              )
            : c.input.cells,
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('gives the same output for every hidden breakdown with the same categories, whatever the values', () => {
    // What a replaying reader relies on is the hidden pattern depending on the values; here it cannot.
    fc.assert(
      fc.property(caseArb, fc.array(valueArb, { minLength: 8, maxLength: 8 }), (c, others) => {
        const other: Breakdown = {
          ...c.input,
          cells: c.input.cells.map((cell, i) =>
            cell.status === 'REPORTED' ? { ...cell, value: others[i]! } : cell,
          ),
        };
        const a = protect(c);
        const b = protectBreakdown(other, c.headline, { k: c.k });
        if (allHidden(c.input, a) && allHidden(other, b)) expect(b).toEqual(a);
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves no reported cell from 1 to k-1', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        for (const v of reportedValues(protect(c))) expect(v >= 1 && v <= c.k - 1).toBe(false);
      }),
    );
  });

  it('hides every reported cell when the headline is from 1 to k, k included', () => {
    fc.assert(
      fc.property(
        caseArb.filter((c) => c.headline !== null && c.headline >= 1 && c.headline <= c.k),
        (c) => expect(reportedValues(protect(c))).toEqual([]),
      ),
    );
  });

  it('hides every reported cell of a partition whose part not broken down is small', () => {
    fc.assert(
      fc.property(
        caseArb.filter((c) => {
          if (c.headline === null || c.input.dimension !== 'YEAR_WENT_MISSING') return false;
          const rest = c.headline - reportedValues(c.input).reduce((a, b) => a + b, 0);
          return rest > 0 && rest < c.k;
        }),
        (c) => expect(reportedValues(protect(c))).toEqual([]),
      ),
    );
  });

  it('shows a partition with no small cell, a total above k and a rest that is not small', () => {
    fc.assert(
      fc.property(
        caseArb.filter((c) => {
          if (c.input.dimension !== 'YEAR_WENT_MISSING') return false;
          const values = reportedValues(c.input);
          const sum = values.reduce((a, b) => a + b, 0);
          const total = c.headline ?? (c.input.complete ? sum : null);
          const rest = c.headline === null ? 0 : c.headline - sum;
          return (
            values.every((v) => v === 0 || v >= c.k) &&
            (total === null || total === 0 || total > c.k) &&
            (rest === 0 || rest >= c.k)
          );
        }),
        (c) => expect(protect(c).cells).toEqual(c.input.cells),
      ),
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
});
