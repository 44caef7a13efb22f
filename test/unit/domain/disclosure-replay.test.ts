/**
 * The replay attack on `protectBreakdown`, run exhaustively over small breakdowns.
 *
 * The algorithm is public and deterministic, so a reader can run it over every set of values that fits
 * what they see (the dimension, whether the breakdown is complete, the headline, each cell shown or
 * hidden) and keep the sets that give exactly what they see. Whatever a hidden cell takes across those
 * sets is all the reader can know about it. This test is that reader: it protects every input in a
 * finite universe, groups the inputs by what comes out, and collects, for each hidden cell of each
 * group, the values it takes in the group.
 *
 * The disclosure criterion: no hidden cell has a single possible value (pinned), and the range of its
 * possible values [min, max] either holds a value below k and one of at least k (the reader cannot tell
 * whether it is small), or is at least k wide (max - min ≥ k), or is exactly [0, headline] (the most any
 * suppression can leave when the headline itself is below k).
 *
 * Left out: complete breakdowns of a single cell, which is the published headline and so cannot be
 * hidden by anything done to the breakdown.
 */
import type { Breakdown, Dimension } from '../../../src/domain/figure';
import { protectBreakdown } from '../../../src/domain/disclosure';
import { breakdown } from './builders';

type Protect = (input: Breakdown, headline: number, k: number) => Breakdown;

interface Input {
  readonly breakdown: Breakdown;
  readonly headline: number;
}

/** What the replaying reader knows about one hidden cell of one output. */
interface HiddenCell {
  /** The output as the reader sees it. */
  readonly seen: string;
  readonly headline: number;
  readonly position: number;
  /** Every value the cell takes over the inputs that give this output, ascending. */
  readonly values: readonly number[];
}

interface Replay {
  readonly inputs: number;
  /** Distinct outputs: groups of inputs the reader cannot tell apart. */
  readonly groups: number;
  /** Of those, the ones with a hidden cell. */
  readonly hiddenGroups: number;
  readonly cells: readonly HiddenCell[];
}

const YEARS = ['2013', '2014', '2015', '2016', '2017'];
const THRESHOLDS = ['2', '5', '8'];
const BASE = breakdown('dorset', '2018-01-17');

function make(dimension: Dimension, complete: boolean, categories: readonly string[], values: number[]) {
  return {
    ...BASE,
    dimension,
    complete,
    cells: values.map((value, i) => ({ category: categories[i]!, value, status: 'REPORTED' as const })),
  };
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Every tuple of `length` values from 0 to `max`. */
function* tuples(length: number, max: number): Generator<number[]> {
  const t = new Array<number>(length).fill(0);
  for (;;) {
    yield [...t];
    let i = length - 1;
    while (i >= 0 && t[i] === max) t[i--] = 0;
    if (i < 0) return;
    t[i] = t[i]! + 1;
  }
}

/** Complete partitions by year of 2 to `maxCells` cells, each 0..max; the headline is their sum. */
function* complete(max: number, maxCells = 5): Generator<Input> {
  for (let n = 2; n <= maxCells; n++)
    for (const values of tuples(n, max))
      yield { breakdown: make('YEAR_WENT_MISSING', true, YEARS, values), headline: sum(values) };
}

/**
 * Incomplete partitions by year of 1 to 4 cells, each 0..max, and a headline of their sum plus the
 * part not broken down, 0..maxRest.
 */
function* incomplete(max: number, maxRest: number): Generator<Input> {
  for (let n = 1; n <= 4; n++)
    for (const values of tuples(n, max))
      for (let rest = 0; rest <= maxRest; rest++)
        yield { breakdown: make('YEAR_WENT_MISSING', false, YEARS, values), headline: sum(values) + rest };
}

/** Nested "missing for at least 2, 5, 8 years" of 1 to 3 cells, non-increasing, under headlines 0..max. */
function* cumulative(maxHeadline: number): Generator<Input> {
  for (let headline = 0; headline <= maxHeadline; headline++)
    for (let n = 1; n <= THRESHOLDS.length; n++)
      for (const values of tuples(n, headline))
        if (values.every((v, i) => i === 0 || v <= values[i - 1]!))
          yield { breakdown: make('MISSING_FOR_AT_LEAST_YEARS', false, THRESHOLDS, values), headline };
}

/** What the reader sees: everything but the hidden values. */
function seenOf(out: Breakdown, headline: number): string {
  const cells = out.cells.map((c) =>
    c.status === 'SUPPRESSED' ? `${c.category}=S` : `${c.category}=${c.value}`,
  );
  return `${out.dimension} ${out.complete ? 'complete' : 'incomplete'} headline ${headline}: ${cells.join(' ')}`;
}

/** Protects every input and collects what each hidden cell could be, given what is seen. */
function replay(inputs: Iterable<Input>, k: number, protect: Protect): Replay {
  const groups = new Map<string, { headline: number; values: Map<number, Set<number>> }>();
  const shown = new Set<string>();
  let count = 0;
  for (const { breakdown: input, headline } of inputs) {
    count++;
    const out = protect(input, headline, k);
    const seen = seenOf(out, headline);
    const hidden = out.cells.flatMap((c, i) => (c.status === 'SUPPRESSED' ? [i] : []));
    if (hidden.length === 0) {
      shown.add(seen);
      continue;
    }
    const group = groups.get(seen) ?? { headline, values: new Map<number, Set<number>>() };
    groups.set(seen, group);
    for (const i of hidden) {
      const values = group.values.get(i) ?? new Set<number>();
      group.values.set(i, values.add(input.cells[i]!.value!));
    }
  }
  const cells = [...groups].flatMap(([seen, { headline, values }]) =>
    [...values].map(([position, set]) => ({
      seen,
      headline,
      position,
      values: [...set].sort((a, b) => a - b),
    })),
  );
  return { inputs: count, groups: shown.size + groups.size, hiddenGroups: groups.size, cells };
}

const pinned = (r: Replay): HiddenCell[] => r.cells.filter((c) => c.values.length === 1);

/** The disclosure criterion of the module comment, for one hidden cell. */
function isCovered(cell: HiddenCell, k: number): boolean {
  const lo = cell.values[0]!;
  const hi = cell.values[cell.values.length - 1]!;
  return (lo < k && hi >= k) || hi - lo >= k || (lo === 0 && hi === cell.headline);
}

const describeCell = (c: HiddenCell): string =>
  `${c.seen}; cell ${c.position + 1} in {${c.values.join(', ')}}`;

/** The failures as a short, readable value: how many, and the first few. */
const report = (cells: readonly HiddenCell[]) => ({
  count: cells.length,
  first: cells.slice(0, 5).map(describeCell),
});

const NONE = { count: 0, first: [] };

const ours: Protect = (input, headline, k) => protectBreakdown(input, headline, { k });

/**
 * Universes per k: cells from 0 to k + 3. For incomplete breakdowns the part not broken down (headline
 * minus the cells) is a count like any cell and ranges as far. Capping it lower would hand the reader a
 * prior that no rule can defeat: with cells up to 6 and the rest up to 3, a lone cell under a headline of
 * 8 is 5 or 6 before anything is shown, and since 6 must be hidden (the rest, 2, is small) while 5 need
 * not be (the rest is 3), hiding pins it at 6.
 */
const PLANS = [2, 3, 4, 5].map((k) => ({ k, max: k + 3 }));

describe.each(PLANS)('replaying protectBreakdown with k = $k, values 0..$max', ({ k, max }) => {
  const wholes = replay(complete(max), k, ours);
  const partials = replay(incomplete(max, max), k, ours);
  const nested = replay(cumulative(k + 4), k, ours);
  const summary = (r: Replay): string =>
    `${r.inputs} inputs, ${r.groups} outputs, ${r.hiddenGroups} hidden, ${r.cells.length} hidden cells`;

  it(`complete partitions of 2 to 5 cells (${summary(wholes)}): none pinned, each covered`, () => {
    expect(wholes.inputs).toBe([2, 3, 4, 5].reduce((n, cells) => n + (max + 1) ** cells, 0));
    expect(report(pinned(wholes))).toEqual(NONE);
    expect(report(wholes.cells.filter((c) => !isCovered(c, k)))).toEqual(NONE);
  });

  it(`incomplete partitions of 1 to 4 cells (${summary(partials)}): none pinned, each covered`, () => {
    expect(report(pinned(partials))).toEqual(NONE);
    expect(report(partials.cells.filter((c) => !isCovered(c, k)))).toEqual(NONE);
  });

  it(`cumulative breakdowns of 1 to 3 cells (${summary(nested)}): none pinned, each covered`, () => {
    expect(report(pinned(nested))).toEqual(NONE);
    expect(report(nested.cells.filter((c) => !isCovered(c, k)))).toEqual(NONE);
  });
});

/**
 * Primary suppression plus the smallest other cell when only one cell is small: the textbook rule, and
 * the kind of pattern choice the replay defeats.
 */
const naive: Protect = (input, _headline, k) => {
  const values = input.cells.map((c) => c.value!);
  const hidden = new Set(values.flatMap((v, i) => (v > 0 && v < k ? [i] : [])));
  if (hidden.size === 1) {
    const rest = values.flatMap((v, i) => (hidden.has(i) ? [] : [{ v, i }]));
    const smallest = rest.sort((a, b) => a.v - b.v || a.i - b.i)[0];
    if (smallest) hidden.add(smallest.i);
  }
  return {
    ...input,
    cells: input.cells.map((c, i) =>
      hidden.has(i) ? { category: c.category, value: null, status: 'SUPPRESSED' as const } : c,
    ),
  };
};

describe('the replay finds leaks where there are some', () => {
  const k = 3;
  const r = replay(complete(k + 3), k, naive);

  it(`narrows 3 + 3 + 1 shown as S, 3, S to a small last cell, under primary plus smallest secondary`, () => {
    const out = naive(make('YEAR_WENT_MISSING', true, YEARS, [3, 3, 1]), 7, k);
    expect(out.cells.map((c) => c.value ?? 'S')).toEqual(['S', 3, 'S']);
    const seen = seenOf(out, 7);
    // Hidden cells add up to 4; 1 + 3 would have hidden the middle 3 instead, 0 + 4 and 4 + 0 nothing.
    expect(r.cells.filter((c) => c.seen === seen).map((c) => c.values)).toEqual([
      [2, 3],
      [1, 2],
    ]);
  });

  it(`pins ${pinned(r).length} hidden cells of that rule over ${r.inputs} complete inputs (k = 3)`, () => {
    expect(pinned(r).length).toBeGreaterThan(0);
    expect(r.cells.filter((c) => !isCovered(c, k)).length).toBeGreaterThan(pinned(r).length);
  });
});
