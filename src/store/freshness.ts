/**
 * The gateway's cache semantics for one source, as pure functions of a report's fetch time, the clock and
 * the source's `ttlSeconds` and `staleForSeconds`:
 * - within `ttl` the stored report is served `FRESH`;
 * - after `ttl` it is served `STALE` while one background refresh runs (stale-while-revalidate);
 * - while refreshes fail it stays `STALE` until `staleFor` after the ttl ends (stale-if-error);
 * - after that, or with nothing stored, a read waits for a fetch; if that fails the read is an error.
 */
import type { SourceConfig } from '../config/schema';

/** How long a source's report is fresh, and how long it is kept at all (ttl + staleFor). */
export interface SourceTiming {
  readonly freshMs: number;
  readonly keepMs: number;
}

/** A source's timing from its config. */
export function timingOf(config: Pick<SourceConfig, 'ttlSeconds' | 'staleForSeconds'>): SourceTiming {
  const freshMs = config.ttlSeconds * 1000;
  return { freshMs, keepMs: freshMs + config.staleForSeconds * 1000 };
}

/** Whether a report fetched at `retrievedAt` is still fresh at `nowMs` (all epoch ms). */
export function isFresh(retrievedAt: number, nowMs: number, timing: SourceTiming): boolean {
  return nowMs - retrievedAt < timing.freshMs;
}

/**
 * What a read does with what the store holds for a source:
 * - `serve-fresh`: serve it, `FRESH`;
 * - `serve-stale-and-refresh`: serve it, `STALE`, and refresh the source in the background;
 * - `fetch`: nothing usable is stored (none, or past `staleFor`): wait for a fetch.
 */
export type ReadPlan = 'serve-fresh' | 'serve-stale-and-refresh' | 'fetch';

/** The read plan for a report fetched at `retrievedAt` (undefined: nothing stored), at `nowMs`. */
export function planRead(retrievedAt: number | undefined, nowMs: number, timing: SourceTiming): ReadPlan {
  if (retrievedAt === undefined) return 'fetch';
  const age = nowMs - retrievedAt;
  if (age < timing.freshMs) return 'serve-fresh';
  if (age < timing.keepMs) return 'serve-stale-and-refresh';
  return 'fetch';
}
