/**
 * A source's report as the store keeps it, and its L2 value format: written by `storedText` and read by
 * `parseStored` here and nowhere else (the commit script reads the value's first bytes: see COMMIT in
 * `redis-scripts.ts`).
 */
import type { SourceReport } from '../domain/figure';

/** A source's report as stored, with when it was fetched. */
export interface StoredReport {
  readonly report: SourceReport;
  /** Epoch milliseconds of the successful fetch. */
  readonly retrievedAt: number;
}

/** Largest report accepted from L2 (a corrupt or foreign value must not exhaust memory). */
const MAX_L2_VALUE_BYTES = 32 * 1024 * 1024;

/**
 * A report as stored in L2: JSON with `retrievedAt` first, so that the commit script can compare fetch
 * times from the value's first bytes (see COMMIT). Readers do not depend on the order (`parseStored`).
 */
export function storedText(entry: StoredReport): string {
  return JSON.stringify({ retrievedAt: entry.retrievedAt, report: entry.report });
}

/**
 * A report read from L2; undefined when there is none, or it is too large, not JSON or of another shape: a
 * value that cannot be read is a miss (the source is refetched, nothing wrong is served).
 */
export function parseStored(text: string | null): StoredReport | undefined {
  if (text === null || text.length > MAX_L2_VALUE_BYTES) return undefined;
  try {
    const value = JSON.parse(text) as StoredReport;
    if (typeof value?.retrievedAt !== 'number' || typeof value.report !== 'object' || value.report === null)
      return undefined;
    return value;
  } catch {
    return undefined;
  }
}
