import { daysBetween } from './dates';
import type { PublishedTotal } from './figure';

/**
 * Published measures that count the same thing as our headline sum (a stock of people unaccounted for
 * at a date). Registered counts, PNC compliance and three-year flows are not comparable.
 */
export const COMPARABLE_MEASURES: ReadonlySet<string> = new Set([
  'whereabouts_unknown',
  'wanted_whereabouts_unknown',
  'unaccounted_for',
  'missing_or_wanted',
]);

/**
 * Published national totals to show beside a national sum as at `asAt`: comparable measures dated at
 * or before it, within the same window as the figures. Newest first.
 */
export function comparablePublishedTotals(
  totals: readonly PublishedTotal[],
  asAt: string,
  windowDays: number,
): PublishedTotal[] {
  return totals
    .filter(
      (t) =>
        COMPARABLE_MEASURES.has(t.measure) &&
        t.asAt !== null &&
        t.asAt.start <= asAt &&
        daysBetween(t.asAt.start, asAt) <= windowDays,
    )
    .sort((a, b) => b.asAt!.start.localeCompare(a.asAt!.start) || b.value - a.value);
}
