/**
 * Disclosure control for breakdowns shown to roles other than analyst (DESIGN.md, "Disclosure control").
 *
 * A breakdown splits a small headline count (people whose whereabouts are unknown) into categories; a
 * cell of 1 or 2 can point at an individual. Official publishers hide such cells ("primary
 * suppression") and then hide more cells so the hidden ones cannot be worked out by subtracting the
 * visible cells from a published total ("secondary suppression"); see
 * `../shared/data/sdc_conventions.csv` (NHS Digital HES/ECDS before 2018, NCMP before 2019/20).
 *
 * Pure functions, no I/O. The functions never mutate their input and are deterministic: the same cells
 * (in any order) with the same headline and options always give the same suppression pattern, so two
 * responses that show the same breakdown can never be combined to reveal more than one of them.
 */
import type { Breakdown, BreakdownCell, Dimension } from './figure';

/** How disclosure control is tuned. */
export interface DisclosureOptions {
  /**
   * The threshold: a reported cell from 1 to k-1 is suppressed. Must be an integer of at least 2.
   * @default 3
   */
  readonly k: number;
}

/**
 * The defaults. k = 3, so values 1 and 2 are suppressed: the OECD/UNECE-Eurostat glossary notes that
 * "some agencies require at least five respondents in a cell, others require three"
 * (`sdc_conventions.csv`), and three is the smallest of the sourced thresholds. Zero is not disclosive
 * (it says nobody is in the category) and stays visible unless it must hide a split (see
 * `protectBreakdown`).
 */
export const DISCLOSURE_DEFAULTS: DisclosureOptions = Object.freeze({ k: 3 });

/**
 * Dimensions whose cells are nested ("missing for at least 8 years" contains "at least 10"), not a
 * partition: a reader learns a category by subtracting one cell from another, not from a total.
 */
export const CUMULATIVE_DIMENSIONS: ReadonlySet<Dimension> = new Set<Dimension>([
  'MISSING_FOR_AT_LEAST_YEARS',
]);

/** Why a hidden cell is hidden; a reader who can tell knows a primary cell lies in 1..k-1. */
type Label = 'PRIMARY' | 'SECONDARY';

/** How much a reader is assumed to know about hidden cells. */
type Reader =
  /** Every hidden cell is some count ≥ 0: the reader cannot tell why a cell is hidden. */
  | 'GENERIC'
  /** The worst case: the reader knows which cells are primary, hence that those lie in 1..k-1. */
  | 'LABELLED';

interface Hidden {
  readonly value: number;
  readonly label: Label;
}

/**
 * Suppresses small cells of a breakdown, and enough other cells that no suppressed cell can be
 * worked out. Returns a new breakdown; suppressed cells become `{ status: 'SUPPRESSED', value: null }`
 * and every other cell is kept as it was.
 *
 * 1. Primary: a REPORTED cell from 1 to k-1 is suppressed.
 * 2. Secondary: the reader is assumed to know the exact sum of the hidden cells. That is true when the
 *    breakdown is `complete` (headline minus visible cells) and is the safe assumption when it is not
 *    (the headline is then only an upper bound, but the rest may be published elsewhere, as in
 *    "the other 18 are not broken down"). While some hidden cell could be pinned to a single value by
 *    that reader, the next cell is hidden: cells ≥ k first, then any positive cell, zeros last, each
 *    tier smallest value first, ties by category. "Pinned" is checked for the reader who knows which
 *    cells are primary (they lie in 1..k-1) and, where even hiding every cell cannot stop that reader
 *    (k = 2; or only small cells and zeros, all at one end of 1..k-1, such as 1 + 1 + 0 or 2 + 2 with
 *    k = 3), for the reader who only knows hidden cells are ≥ 0. Hiding more cells only ever widens
 *    what a reader can infer, so this stops as soon as it can.
 * 3. A headline from 1 to k-1 with cells: every REPORTED cell is suppressed, zeros included, since
 *    any split of a handful of people discloses them.
 * 4. Cumulative dimensions (`CUMULATIVE_DIMENSIONS`): if any cell, any difference between two cells,
 *    or the headline minus a cell is from 1 to k-1, every REPORTED cell is suppressed.
 *
 * Breakdowns with no REPORTED value (WITHHELD, NOT_HELD, UNAVAILABLE) come back unchanged. Cells that
 * arrive without a value (WITHHELD by the force, say) are left as they are and are not counted on to
 * protect anything: the reader may learn them elsewhere.
 *
 * Limits: a single cell that is the whole headline cannot be hidden by suppression; and a reader who
 * replays this (public, deterministic) algorithm over every candidate set of values can sometimes
 * narrow a cell further than the readers above (3, 3, 1 shown as S, 3, S: a hidden secondary is the
 * smallest cell ≥ k, so at most 3, and 2 + 2 would have been hidden further). Hiding the whole
 * breakdown whenever any cell is small closes that, at the cost of every such breakdown.
 *
 * @param headline the count the breakdown splits (the force's headline figure, or null if not known).
 *   Only rule 3 and cumulative dimensions need it; pass the same value in every response.
 */
export function protectBreakdown(
  breakdown: Breakdown,
  headline: number | null,
  options: DisclosureOptions = DISCLOSURE_DEFAULTS,
): Breakdown {
  const k = checkedK(options.k);
  const hide = suppressionOf(breakdown, headline, k);
  const cells = breakdown.cells.map((cell, i): BreakdownCell =>
    hide.has(i) ? { category: cell.category, value: null, status: 'SUPPRESSED' } : cell,
  );
  return { ...breakdown, cells };
}

/**
 * `protectBreakdown` over a list. `headlineOf` gets the breakdown too, because a breakdown of returns
 * to custody splits a different count from one of the unaccounted-for.
 */
export function protectBreakdowns(
  breakdowns: readonly Breakdown[],
  headlineOf: (forceId: string, breakdown: Breakdown) => number | null,
  options: DisclosureOptions = DISCLOSURE_DEFAULTS,
): Breakdown[] {
  return breakdowns.map((b) => protectBreakdown(b, headlineOf(b.forceId, b), options));
}

function checkedK(k: number): number {
  // k < 2 would suppress nothing and a fractional k is a configuration mistake: fail loudly rather
  // than publish small counts.
  if (!Number.isInteger(k) || k < 2)
    throw new RangeError(`disclosure threshold k must be an integer ≥ 2, got ${k}`);
  return k;
}

/** A cell whose value we know and can reason about: a reported, finite, non-negative count. */
function isCount(cell: BreakdownCell): cell is BreakdownCell & { readonly value: number } {
  return (
    cell.status === 'REPORTED' &&
    typeof cell.value === 'number' &&
    Number.isFinite(cell.value) &&
    cell.value >= 0
  );
}

function isSmall(value: number, k: number): boolean {
  // `> 0 && < k` rather than `1..k-1` so a stray fraction below k is hidden too.
  return value > 0 && value < k;
}

/** Indices of the cells to suppress. */
function suppressionOf(breakdown: Breakdown, headline: number | null, k: number): Set<number> {
  const cells = breakdown.cells;
  const reported = cells.flatMap((cell, i) => (cell.status === 'REPORTED' ? [i] : []));
  if (reported.length === 0) return new Set();

  // Rule 3: the headline is public, so any split of 1..k-1 people points at them.
  if (headline !== null && isSmall(headline, k)) return new Set(reported);

  if (CUMULATIVE_DIMENSIONS.has(breakdown.dimension)) return cumulativeSuppression(cells, headline, k);
  return partitionSuppression(cells, k);
}

/**
 * Nested cells leak through pairwise differences. For nested sets every difference is a sum of
 * differences between neighbouring thresholds, so checking every pair (and 0 and the headline as
 * bounds) catches each small category without parsing thresholds. Hiding part of a nested set would
 * need its own secondary rules; hiding all of it is simple and safe, and these breakdowns have few cells.
 */
function cumulativeSuppression(
  cells: readonly BreakdownCell[],
  headline: number | null,
  k: number,
): Set<number> {
  const reported = cells.flatMap((cell, i) => (cell.status === 'REPORTED' ? [i] : []));
  const values = cells.filter(isCount).map((c) => c.value);
  const bounds = headline === null ? [0] : [0, headline];
  const all = [...values, ...bounds];
  const risky = values.some((v) => all.some((w) => isSmall(Math.abs(v - w), k)));
  return risky ? new Set(reported) : new Set();
}

/** Rules 1 and 2 for cells that partition the count. */
function partitionSuppression(cells: readonly BreakdownCell[], k: number): Set<number> {
  const counts = cells.flatMap((cell, index) => (isCount(cell) ? [{ index, cell }] : []));
  const labelOf = new Map<number, Label>(
    counts.map(({ index, cell }) => [index, isSmall(cell.value, k) ? 'PRIMARY' : 'SECONDARY']),
  );
  const hidden = new Set(counts.filter(({ index }) => labelOf.get(index) === 'PRIMARY').map((c) => c.index));
  if (hidden.size === 0) return hidden;

  const stateOf = (indices: Iterable<number>): Array<Hidden & { readonly index: number }> =>
    [...indices].map((index) => ({ index, value: cells[index]!.value!, label: labelOf.get(index)! }));

  // What each cell can be given if everything were hidden: the most protection suppression can buy.
  // A cell the labelled reader pins even then (a primary cell when k = 2) is held to the generic reader.
  const full = stateOf(counts.map((c) => c.index));
  const target = new Map<number, Reader | null>(
    full.map((h, i) => [
      h.index,
      isProtected(full, i, 'LABELLED', k)
        ? 'LABELLED'
        : isProtected(full, i, 'GENERIC', k)
          ? 'GENERIC'
          : null,
    ]),
  );

  // Order by value and category, never by position, so the pattern does not depend on cell order.
  const tier = (v: number): number => (v >= k ? 0 : v > 0 ? 1 : 2);
  const candidates = counts
    .filter(({ index }) => !hidden.has(index))
    .sort(
      (a, b) =>
        tier(a.cell.value) - tier(b.cell.value) ||
        a.cell.value - b.cell.value ||
        compareStrings(a.cell.category, b.cell.category) ||
        a.index - b.index,
    );

  for (const next of candidates) {
    const state = stateOf(hidden);
    const exposed = state.some((h, i) => {
      const reader = target.get(h.index) ?? null;
      return reader !== null && !isProtected(state, i, reader, k);
    });
    if (!exposed) break;
    hidden.add(next.index);
  }
  return hidden;
}

/** Code-unit order: locale-independent, so every instance makes the same choice. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether hidden cell `i` can take at least two values for `reader`, given that the hidden cells sum
 * to their true total. Each hidden cell lies in an integer range and a sum of integer ranges is an
 * integer range, so cell i can be anything in its own range that leaves the rest a reachable sum.
 */
function isProtected(state: readonly Hidden[], i: number, reader: Reader, k: number): boolean {
  const total = state.reduce((sum, h) => sum + h.value, 0);
  let othersLo = 0;
  let othersHi = 0;
  state.forEach((h, j) => {
    if (j === i) return;
    const [lo, hi] = rangeOf(h.label, reader, k);
    othersLo += lo;
    othersHi += hi;
  });
  const [ownLo, ownHi] = rangeOf(state[i]!.label, reader, k);
  const lo = Math.max(ownLo, total - othersHi);
  const hi = Math.min(ownHi, total - othersLo);
  return hi - lo >= 1;
}

function rangeOf(label: Label, reader: Reader, k: number): readonly [number, number] {
  return reader === 'LABELLED' && label === 'PRIMARY' ? [1, k - 1] : [0, Infinity];
}
