/**
 * Disclosure control for breakdowns shown to roles other than analyst (DESIGN.md, "Disclosure control").
 *
 * A breakdown splits a small headline count (people whose whereabouts are unknown) into categories; a
 * cell of 1 or 2 can point at an individual. Official publishers hide such cells ("primary
 * suppression") and then hide more cells so the hidden ones cannot be worked out by subtracting the
 * visible cells from a published total ("secondary suppression"); see
 * `../shared/data/sdc_conventions.csv` (NHS Digital HES/ECDS before 2018, NCMP before 2019/20).
 *
 * We do not choose which cells to hide. A breakdown is shown exactly as reported or all of its reported
 * cells are hidden, and the choice depends only on whether anything in it is risky. Why: this code is
 * public and deterministic, so a reader can replay it over every set of values that fits what they see
 * and keep those that give the pattern they see. Any pattern that depends on the hidden values beyond
 * "is anything risky" (which cell was small, which was the smallest cell big enough to cover it) leaks
 * through that replay: the "algorithmic matching attack" on cell suppression (Minami et al.,
 * Algorithms 12(8):165, 2019), and the reason simulatable auditing decides to withhold only from what
 * the reader already knows (Kenthapadi, Mishra and Nissim, 2005). With all or nothing, a hidden
 * breakdown tells the reader only "something here was risky"; `disclosure-replay.test.ts` replays every
 * small breakdown to check that this pins no hidden cell and leaves each one room on both sides of k.
 *
 * The cost: a breakdown loses all its detail whenever any cell is small, where secondary suppression
 * would have kept some cells.
 *
 * Each breakdown is protected on its own. Tables that link breakdowns (national sums across forces,
 * where a difference between two totals can isolate one force) are protected where they are built
 * (`breakdown-table.ts`), not here.
 *
 * Pure functions, no I/O. The functions never mutate their input and give the same answer for the same
 * cells in any order, so two responses that show the same breakdown agree.
 */
import type { Breakdown, BreakdownCell, Dimension } from './figure';

/** How disclosure control is tuned. */
export interface DisclosureOptions {
  /**
   * The threshold: a breakdown with a reported cell from 1 to k-1 is hidden. Must be an integer of at
   * least 2.
   * @default 3
   */
  readonly k: number;
}

/**
 * The defaults. k = 3, so values 1 and 2 are small: the OECD/UNECE-Eurostat glossary notes that "some
 * agencies require at least five respondents in a cell, others require three" (`sdc_conventions.csv`),
 * and three is the smallest of the sourced thresholds. Zero is not small (it says nobody is in the
 * category), but it is hidden with the rest of a breakdown that is hidden.
 */
export const DISCLOSURE_DEFAULTS: DisclosureOptions = Object.freeze({ k: 3 });

/**
 * Dimensions whose cells are nested ("missing for at least 8 years" contains "at least 10"), not a
 * partition: a reader learns a category by subtracting one cell from another, not from a total.
 */
export const CUMULATIVE_DIMENSIONS: ReadonlySet<Dimension> = new Set<Dimension>([
  'MISSING_FOR_AT_LEAST_YEARS',
]);

/**
 * Shows a breakdown exactly as reported, or hides every one of its REPORTED cells, zeros included
 * (`{ status: 'SUPPRESSED', value: null }`). Returns a new breakdown. Cells the force itself withheld
 * (any status but REPORTED) are left as they are, so a breakdown with no REPORTED cell comes back
 * unchanged. Everything is hidden when any of these holds:
 *
 * 1. A REPORTED cell is small: more than 0 and less than k (a stray fraction below k counts).
 * 2. The total the reader knows is from 1 to k, k included: the headline, or without one the sum of
 *    the cells of a `complete` breakdown. Any split of a handful of people discloses them. k itself is
 *    included because otherwise, with a total of k, 3 + 0 (k = 3) would be shown while 1 + 2 and
 *    2 + 1 were hidden, and a hidden two-cell breakdown of 3 would tell a replaying reader that both
 *    cells are 1 or 2. With the total at k the reader learns nothing from the breakdown being hidden.
 * 3. For a partition with a headline, the headline minus the REPORTED cells is small: the part not
 *    broken down ("the other 18 are not broken down") is a count the reader gets by subtraction. It also
 *    keeps a lone hidden cell from meaning "this one is small": it may be hidden for the rest instead.
 * 4. For a cumulative dimension (`CUMULATIVE_DIMENSIONS`): any cell, any difference between two cells,
 *    or the headline minus a cell is small.
 *
 * The test depends on the values only through "is anything risky", so the reader learns no more from a
 * hidden breakdown than that. Without a headline, a lone hidden cell of an incomplete breakdown still
 * says it is small: pass the headline whenever it is published.
 *
 * @param headline the count the breakdown splits (the force's headline figure, or null if not known).
 *   Pass the same value in every response.
 */
export function protectBreakdown(
  breakdown: Breakdown,
  headline: number | null,
  options: DisclosureOptions = DISCLOSURE_DEFAULTS,
): Breakdown {
  const k = checkedK(options.k);
  const hide = isRisky(breakdown, headline, k);
  const cells = breakdown.cells.map((cell): BreakdownCell =>
    hide && cell.status === 'REPORTED'
      ? { category: cell.category, value: null, status: 'SUPPRESSED' }
      : cell,
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

/** Rules 1 to 4 of `protectBreakdown`. */
function isRisky(breakdown: Breakdown, headline: number | null, k: number): boolean {
  const values = breakdown.cells.filter(isCount).map((c) => c.value);
  const sum = values.reduce((a, b) => a + b, 0);
  if (values.some((v) => isSmall(v, k))) return true;

  const total = headline ?? (breakdown.complete ? sum : null);
  if (total !== null && total > 0 && total <= k) return true;

  if (!CUMULATIVE_DIMENSIONS.has(breakdown.dimension)) return headline !== null && isSmall(headline - sum, k);

  // Nested cells leak through pairwise differences. For nested sets every difference is a sum of
  // differences between neighbouring thresholds, so checking every pair (and 0 and the headline as
  // bounds) catches each small category without parsing thresholds.
  const all = [...values, 0, ...(headline === null ? [] : [headline])];
  return values.some((v) => all.some((w) => isSmall(Math.abs(v - w), k)));
}
