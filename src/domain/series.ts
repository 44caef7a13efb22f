/**
 * A series: the national (or an area's) picture at the end of each month, quarter or year between two
 * dates, each point computed exactly as `national(asAt)` computes one date (`entriesFor`, `summarise`),
 * so that a point and the single-date answer for its day always agree. Pure functions, no I/O.
 */
import { minusDays } from './dates';
import type { Figure, PublishedTotal } from './figure';
import type { Force } from './force-registry';
import type { Summary, SummaryOptions } from './national';
import { entriesFor, summarise } from './national';
import type { Dated } from './selection';

/** How far apart a series' points are. */
export const SERIES_INTERVALS = ['MONTH', 'QUARTER', 'YEAR'] as const;
export type SeriesInterval = (typeof SERIES_INTERVALS)[number];

/** Most points one series may have (fifty years of months): a bound on the work one query can ask for. */
export const MAX_SERIES_POINTS = 600;

/** One period of a series: its first day and the day its point is as at (its last, or `to`). */
export interface Period {
  readonly start: string;
  readonly end: string;
}

/** One point: the summary as at the end of its period, and the published totals dated within it. */
export interface SeriesPoint {
  readonly period: Period;
  readonly summary: Summary;
  readonly publishedTotals: readonly PublishedTotal[];
}

const MONTHS_PER: Record<SeriesInterval, number> = { MONTH: 1, QUARTER: 3, YEAR: 12 };

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** The last day of the month `month` (1-12) of `year`. */
function lastDayOf(year: number, month: number): string {
  const day = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${pad(month)}-${pad(day)}`;
}

/**
 * The calendar periods that meet [from, to], clipped to it: whole months, quarters (January, April, July,
 * October) or years, the first starting at `from` and the last ending at `to`. Returns null when there
 * would be more than `MAX_SERIES_POINTS`.
 */
export function periodsBetween(from: string, to: string, every: SeriesInterval): Period[] | null {
  const step = MONTHS_PER[every];
  let year = Number(from.slice(0, 4));
  // The first month of the period that contains `from`.
  let month = Math.floor((Number(from.slice(5, 7)) - 1) / step) * step + 1;
  const periods: Period[] = [];
  for (;;) {
    const start = `${year}-${pad(month)}-01`;
    if (start > to) break;
    const endMonth = month + step - 1;
    const end = lastDayOf(year, endMonth);
    periods.push({ start: start < from ? from : start, end: end > to ? to : end });
    if (periods.length > MAX_SERIES_POINTS) return null;
    month += step;
    if (month > 12) {
      month -= 12;
      year += 1;
    }
  }
  return periods;
}

/**
 * The series over `periods` for `forces`: each point is the summary as at its period's last day, with
 * the window of `options`, chosen from `figuresAt[i]`, the figures by force that may count at period
 * i (all of them, or the archive's preselection for that day). Published totals go to the point whose
 * period holds their date; an undated one goes nowhere (it cannot be placed on a time axis).
 */
export function seriesOf(
  forces: readonly Force[],
  figuresAt: readonly ReadonlyMap<string, readonly Figure[]>[],
  publishedTotals: readonly PublishedTotal[],
  periods: readonly Period[],
  options: Omit<SummaryOptions, 'asAt'>,
): SeriesPoint[] {
  return periods.map((period, i) => {
    const entries = entriesFor(forces, figuresAt[i]!, { ...options, asAt: period.end });
    return {
      period,
      summary: summarise(entries, period.end, options.windowDays),
      publishedTotals: publishedTotals.filter(
        (t) => t.asAt !== null && t.asAt.start >= period.start && t.asAt.start <= period.end,
      ),
    };
  });
}

/** The first day a figure dated within `windowDays` of `from` can start on: what a series must read. */
export function readFrom(from: string, windowDays: number): string {
  return minusDays(from, windowDays);
}

/** The earliest and latest day any dated item starts on; null when none is dated. */
export function datedRange(items: Iterable<Dated>): { earliest: string; latest: string } | null {
  let earliest: string | null = null;
  let latest: string | null = null;
  for (const item of items) {
    if (item.asAt === null) continue;
    const day = item.asAt.start;
    if (earliest === null || day < earliest) earliest = day;
    if (latest === null || day > latest) latest = day;
  }
  return earliest === null ? null : { earliest, latest: latest! };
}
