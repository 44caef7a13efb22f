import { isFresh, planRead, timingOf } from '../../../src/store/freshness';

/** ttl 30 s, staleFor 300 s, as the store tests configure their sources. */
const timing = timingOf({ ttlSeconds: 30, staleForSeconds: 300 });
const fetchedAt = 1_000_000;

describe('freshness: what a read does with a stored report', () => {
  test("a source's timing is its ttl, and its ttl plus staleFor, in milliseconds", () => {
    expect(timing).toEqual({ freshMs: 30_000, keepMs: 330_000 });
    expect(timingOf({ ttlSeconds: 0.5, staleForSeconds: 0 })).toEqual({ freshMs: 500, keepMs: 500 });
  });

  test('with nothing stored, a read waits for a fetch', () => {
    expect(planRead(undefined, fetchedAt, timing)).toBe('fetch');
  });

  test.each([
    ['just fetched', 0, 'serve-fresh'],
    ['1 ms before the ttl ends', 29_999, 'serve-fresh'],
    ['as the ttl ends', 30_000, 'serve-stale-and-refresh'],
    ['1 ms before staleFor ends', 329_999, 'serve-stale-and-refresh'],
    ['as staleFor ends', 330_000, 'fetch'],
    ['long after', 10_000_000, 'fetch'],
  ] as const)('a report %s (age %i ms) is planned as %s', (_when, ageMs, plan) => {
    expect(planRead(fetchedAt, fetchedAt + ageMs, timing)).toBe(plan);
  });

  test('a report dated a little ahead of the clock (another instance, its clock ahead) is fresh', () => {
    expect(planRead(fetchedAt + 500, fetchedAt, timing)).toBe('serve-fresh');
    expect(isFresh(fetchedAt + 500, fetchedAt, timing)).toBe(true);
  });

  test('isFresh agrees with the plan at every boundary', () => {
    for (const ageMs of [0, 29_999, 30_000, 329_999, 330_000])
      expect(isFresh(fetchedAt, fetchedAt + ageMs, timing)).toBe(
        planRead(fetchedAt, fetchedAt + ageMs, timing) === 'serve-fresh',
      );
  });

  test('without staleFor a report goes straight from fresh to fetched again', () => {
    const noStale = timingOf({ ttlSeconds: 30, staleForSeconds: 0 });
    expect(planRead(fetchedAt, fetchedAt + 29_999, noStale)).toBe('serve-fresh');
    expect(planRead(fetchedAt, fetchedAt + 30_000, noStale)).toBe('fetch');
  });
});
