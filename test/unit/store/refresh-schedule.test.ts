import {
  MAX_TIMER_MS,
  REFRESH_SCHEDULE_DEFAULTS,
  isDue,
  refreshDelay,
  retryDelay,
} from '../../../src/store/refresh-schedule';

const TTL_MS = 30_000;
const NOW = Date.parse('2026-06-01T12:00:00Z');

describe('when a source is refreshed without traffic', () => {
  test('a report is refreshed in the last tenth of its TTL, at a point the random number picks', () => {
    expect(refreshDelay(NOW, NOW, TTL_MS, 0)).toBe(TTL_MS);
    expect(refreshDelay(NOW, NOW, TTL_MS, 0.5)).toBe(TTL_MS - 1500);
    expect(refreshDelay(NOW, NOW, TTL_MS, 0.999_999)).toBe(TTL_MS - 2999);
    // Counted from the report's fetch time, not from now.
    expect(refreshDelay(NOW - 10_000, NOW, TTL_MS, 0)).toBe(TTL_MS - 10_000);
  });

  test('a report already past its point is refreshed after the shortest wait, never at once in a loop', () => {
    expect(refreshDelay(NOW - 10 * TTL_MS, NOW, TTL_MS, 0.3)).toBe(REFRESH_SCHEDULE_DEFAULTS.minDelayMs);
    expect(refreshDelay(NOW, NOW, 100, 0)).toBe(REFRESH_SCHEDULE_DEFAULTS.minDelayMs);
  });

  test('a TTL longer than a timer can hold (the bundled year) waits at most 2^31-1 ms and is looked at again', () => {
    const year = 365 * 86_400_000;
    expect(refreshDelay(NOW, NOW, year, 0)).toBe(MAX_TIMER_MS);
    expect(isDue(NOW, NOW + MAX_TIMER_MS, year)).toBe(false);
    expect(isDue(NOW, NOW + year, year)).toBe(true);
  });

  test('a report is due from the last tenth of its TTL on, so every armed point is due when it comes', () => {
    expect(isDue(NOW, NOW + 26_000, TTL_MS)).toBe(false);
    expect(isDue(NOW, NOW + 27_000, TTL_MS)).toBe(true);
    expect(isDue(NOW, NOW + 60_000, TTL_MS)).toBe(true);
    for (const random of [0, 0.25, 0.5, 0.75, 0.999]) {
      expect(isDue(NOW, NOW + refreshDelay(NOW, NOW, TTL_MS, random), TTL_MS)).toBe(true);
    }
    // A timer may fire a few ms before the wall clock reaches its point (timers run on a monotonic clock).
    expect(isDue(NOW, NOW + refreshDelay(NOW, NOW, TTL_MS, 0.999) - 5, TTL_MS)).toBe(true);
  });
});

describe('after failed refreshes', () => {
  const HALF_OPEN_MS = 1000;

  test("waits start at the breaker's half-open time and double per failure, up to the TTL", () => {
    const waits = [1, 2, 3, 4, 5, 6, 40].map((n) => retryDelay(n, TTL_MS, HALF_OPEN_MS, 0.999_999));
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, TTL_MS, TTL_MS]);
  });

  test('each wait is jittered within 75-100 % of its backoff, so the next is always longer until the cap', () => {
    expect(retryDelay(1, TTL_MS, HALF_OPEN_MS, 0)).toBe(750);
    expect(retryDelay(2, TTL_MS, HALF_OPEN_MS, 0)).toBe(1500);
    for (let n = 1; n < 5; n += 1) {
      expect(retryDelay(n + 1, TTL_MS, HALF_OPEN_MS, 0)).toBeGreaterThan(
        retryDelay(n, TTL_MS, HALF_OPEN_MS, 0.999_999),
      );
    }
  });

  test('never shorter than the shortest wait, whatever the half-open time', () => {
    expect(retryDelay(1, TTL_MS, 10, 0)).toBe(REFRESH_SCHEDULE_DEFAULTS.minDelayMs);
  });
});
