import { minusDays } from '../../domain/dates';
import type { AsAt } from '../../domain/figure';

/**
 * How many days after the (UTC) day of the fetch a figure's date may still fall. A force dates its
 * figures in UK time, an hour ahead of UTC in summer, and may publish just after its own midnight;
 * its clock, or ours, may also be a little off. So a figure dated the day after the fetch can be honest.
 * Anything later cannot have been counted yet: it is a typo, a template, or a feed that is lying.
 */
export const AS_AT_CLOCK_SKEW_DAYS = 1;

/** The fetch `latestAsAtDay` was last asked about: every row of a payload shares one. */
let last = { retrievedAt: '', latest: '' };

/** The last day a figure fetched at `retrievedAt` (ISO timestamp) may be dated: the fetch's day plus the skew. */
export function latestAsAtDay(retrievedAt: string): string {
  if (retrievedAt !== last.retrievedAt)
    last = { retrievedAt, latest: minusDays(retrievedAt.slice(0, 10), -AS_AT_CLOCK_SKEW_DAYS) };
  return last.latest;
}

/**
 * Why `asAt` cannot be a figure fetched at `retrievedAt`, or null when it can. A period (month, year)
 * is judged by its first day, the earliest the figure could be as at: `2026-12` fetched on 2026-12-07
 * is in the past, `2027-01` is not. The message names the date, which validation has already proved to
 * be a date and nothing else.
 * @example futureAsAtProblem(parseAsAt('2027-01')!, '2026-12-07T10:00:00.000Z')
 * // "is after the fetch: 2027-01 (a month, from 2027-01-01) is later than 2026-12-08, the fetch's day (2026-12-07) plus 1 day of clock skew"
 */
export function futureAsAtProblem(asAt: AsAt, retrievedAt: string): string | null {
  const latest = latestAsAtDay(retrievedAt);
  // ISO dates (YYYY-MM-DD) order as text.
  if (asAt.start <= latest) return null;
  const period =
    asAt.precision === 'DAY'
      ? ''
      : ` (a ${asAt.precision === 'MONTH' ? 'month' : 'year'}, from ${asAt.start})`;
  return (
    `is after the fetch: ${asAt.date}${period} is later than ${latest}, ` +
    `the fetch's day (${retrievedAt.slice(0, 10)}) plus ${AS_AT_CLOCK_SKEW_DAYS} day of clock skew`
  );
}
