import { daysBetween } from './dates';
import type { PublishedTotal } from './figure';

/**
 * Published measures that count the same thing as our headline sum (a stock of people unaccounted for
 * at a date). Registered counts, PNC compliance, three-year flows and the subset missing for over a year
 * are not comparable.
 */
export const COMPARABLE_MEASURES: ReadonlySet<string> = new Set([
  'whereabouts_unknown',
  'wanted_whereabouts_unknown',
  'unaccounted_for',
  'missing_or_wanted',
  'missing_or_unaccounted',
]);

/**
 * Whether a published scope speaks for the whole country the national sum covers, as written by the
 * publications: the UK, Great Britain, or England and Wales (some investigations asked only those
 * forces), with any qualifier after it ("UK (38 forces)"). A nation's or a region's own total (Scotland's
 * 24 in 2006) is not shown beside the UK's sum.
 */
export function isNationalScope(scope: string): boolean {
  return /^(UK|United Kingdom|Great Britain|England and Wales)\b/i.test(scope.trim());
}

/**
 * Published national totals to show beside a national sum as at `asAt`: comparable measures of a national
 * scope, dated at or before it, within the same window as the figures. Newest first. A lower bound is
 * shown too (it says it is one); it is never summed, as no published total is.
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
        isNationalScope(t.scope) &&
        t.asAt !== null &&
        t.asAt.start <= asAt &&
        daysBetween(t.asAt.start, asAt) <= windowDays,
    )
    .sort((a, b) => b.asAt!.start.localeCompare(a.asAt!.start) || b.value - a.value);
}
