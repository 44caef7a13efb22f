import { FORCE_BREAKDOWNS, NATIONAL_BREAKDOWN } from './breakdowns';
import { FORCE_HISTORY, NATIONAL_LATEST } from './figures';
import { NATIONAL_SERIES } from './national-series';
import type { FeedTable } from './table';

/**
 * The table of each approved operation that has CSV and `.xlsx` forms, by operation name (`@name`). An
 * operation that is not a list (source status) has none and is a JSON feed only. A new table goes in a file
 * of this folder and a line here; the README's feeds section lists its columns (a test compares them).
 */
export const FEED_TABLES: Readonly<Record<string, FeedTable>> = {
  'national-latest': NATIONAL_LATEST,
  'force-history': FORCE_HISTORY,
  'national-series': NATIONAL_SERIES,
  'national-breakdown': NATIONAL_BREAKDOWN,
  'force-breakdowns': FORCE_BREAKDOWNS,
};

/** The table of a feed, or undefined when it has only a JSON form. */
export function feedTable(name: string): FeedTable | undefined {
  return Object.hasOwn(FEED_TABLES, name) ? FEED_TABLES[name] : undefined;
}

/** The forms a feed is served in: `/feeds/<name>.<format>`. */
export const FEED_FORMATS = ['json', 'csv', 'xlsx'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

/** The forms of a feed: JSON always; CSV and `.xlsx` when it has a table of rows. */
export function feedFormatsOf(name: string): readonly FeedFormat[] {
  return feedTable(name) ? FEED_FORMATS : ['json'];
}
