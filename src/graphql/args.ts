import { daysBetween, todayIso } from '../domain/dates';
import { WhereaboutsError } from '../errors';

/** Largest window a caller may ask for (ten years). */
export const MAX_WINDOW_DAYS = 3650;

/** The date a query is as at: the given day (not in the future), or today. */
export function resolveAsAt(asAt: string | null | undefined, nowMs: number): string {
  const today = todayIso(new Date(nowMs));
  if (asAt === null || asAt === undefined) return today;
  if (asAt > today) {
    throw new WhereaboutsError(
      'INVALID_DATE',
      `asAt must not be in the future: got ${asAt}, today is ${today} (UTC); accepted: YYYY-MM-DD up to today`,
    );
  }
  return asAt;
}

/** A window in days, 1 to MAX_WINDOW_DAYS, defaulting to the configured one. */
export function resolveWindow(windowDays: number | null | undefined, fallback: number): number {
  if (windowDays === null || windowDays === undefined) return fallback;
  if (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > MAX_WINDOW_DAYS) {
    throw new WhereaboutsError(
      'BAD_USER_INPUT',
      `windowDays must be a whole number from 1 to ${MAX_WINDOW_DAYS}; got ${windowDays}`,
    );
  }
  return windowDays;
}

/** A date range for history: both days real, `from` not after `to`, `to` not in the future. */
export function resolveRange(
  from: string | null | undefined,
  to: string | null | undefined,
  nowMs: number,
): [string, string] {
  const end = resolveAsAt(to, nowMs);
  const start = from ?? '1900-01-01';
  if (daysBetween(start, end) < 0) {
    throw new WhereaboutsError('INVALID_DATE', `from (${start}) must not be after to (${end})`);
  }
  return [start, end];
}

/**
 * A moment to answer as known at: an instant not in the future (the request's clock), in epoch ms; null
 * when not asked (what is known now).
 */
export function resolveKnownAt(knownAt: string | null | undefined, nowMs: number): number | null {
  if (knownAt === null || knownAt === undefined) return null;
  const ms = Date.parse(knownAt);
  if (ms > nowMs)
    throw new WhereaboutsError(
      'INVALID_DATE',
      `knownAt must not be in the future: got ${knownAt}, now is ${new Date(nowMs).toISOString()}`,
    );
  return ms;
}
