import type { SourceKind, SourceShape } from '../config/schema';
import type { Force } from '../domain/force-registry';

/** The kinds the simulator serves feeds of (workbooks are tested with their own fixtures). */
export type SimulatedKind = Exclude<SourceKind, 'spreadsheet'>;

/** One simulated upstream feed: what it serves and where. */
export interface FeedDefinition {
  /** Also the gateway's source id for this feed. */
  readonly id: string;
  readonly kind: SimulatedKind;
  readonly shape: SourceShape;
  /** Forces whose figures the payload carries (every force for the national totals feed). */
  readonly forces: readonly string[];
  /** Always starts with "SIMULATED", so nobody mistakes the feed for a force's published figures. */
  readonly title: string;
  /** Path on the simulator: `/feeds/<id>.csv`, `/feeds/<id>.json` or `/graphql/<id>`. */
  readonly path: string;
  /** Whether this feed gives the headline (unaccounted-for) count of its forces. */
  readonly headline: boolean;
  /** Breakdowns feeds only: dimensions the force refuses (one `all` row with status WITHHELD). */
  readonly withheld: readonly string[];
}

const KINDS: readonly SimulatedKind[] = ['csv', 'json', 'graphql'];

/**
 * Regions served as one multi-force payload each, one per kind, so that every adapter meets a payload
 * speaking for several forces (a regional collaboration publishing one file).
 */
const REGIONAL_FEEDS: ReadonlyArray<{ region: string; kind: SimulatedKind }> = [
  { region: 'Wales', kind: 'csv' },
  { region: 'North East', kind: 'json' },
  { region: 'Yorkshire and The Humber', kind: 'graphql' },
];

/** Among single-force feeds (in force id order), every `RECORDS_EVERY`th serves anonymised records. */
const RECORDS_EVERY = 4;

/** The national totals feed's id. */
export const TOTALS_FEED_ID = 'sim-national-total';

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function pathOf(id: string, kind: SimulatedKind): string {
  return kind === 'graphql' ? `/graphql/${id}` : `/feeds/${id}.${kind}`;
}

function feed(
  id: string,
  kind: SimulatedKind,
  shape: SourceShape,
  forces: readonly string[],
  title: string,
  headline: boolean,
  withheld: readonly string[] = [],
): FeedDefinition {
  return Object.freeze({
    id,
    kind,
    shape,
    forces: Object.freeze([...forces]),
    title: `SIMULATED: ${title}`,
    path: pathOf(id, kind),
    headline,
    withheld: Object.freeze([...withheld]),
  });
}

/**
 * Lays out the feeds for a set of forces (the registry's, sorted by id). Every force gets exactly one
 * headline feed:
 * - the forces of each region in `REGIONAL_FEEDS` share one `counts` payload (csv, json, graphql);
 * - every other force has its own feed, kinds rotating csv, json, graphql, and every fourth of them
 *   serving anonymised `records` instead of `counts`;
 * - the first single-force `counts` feed of each kind also gets a `breakdowns` feed (the graphql one
 *   withholds its MAPPA levels, as Dorset did in 2013);
 * - one `totals` feed publishes a simulated national total.
 * The layout depends only on the force list, never on the seed, so feed ids are stable across runs.
 */
export function layoutFeeds(forces: readonly Force[]): FeedDefinition[] {
  const feeds: FeedDefinition[] = [];
  const regional = new Set<string>();
  for (const { region, kind } of REGIONAL_FEEDS) {
    const members = forces.filter((f) => f.region === region).map((f) => f.id);
    if (members.length === 0) continue;
    members.forEach((id) => regional.add(id));
    feeds.push(
      feed(
        `sim-region-${slug(region)}`,
        kind,
        'counts',
        members,
        `${region} forces' unaccounted-for counts (regional ${kind})`,
        true,
      ),
    );
  }

  const breakdownsFor: Array<{ force: Force; kind: SimulatedKind }> = [];
  forces
    .filter((f) => !regional.has(f.id))
    .forEach((force, i) => {
      const kind = KINDS[i % KINDS.length]!;
      const shape: SourceShape = i % RECORDS_EVERY === RECORDS_EVERY - 1 ? 'records' : 'counts';
      const what =
        shape === 'records'
          ? 'anonymised records of offenders whose whereabouts are unknown'
          : 'unaccounted-for count';
      feeds.push(feed(`sim-${force.id}`, kind, shape, [force.id], `${force.name} ${what} (${kind})`, true));
      if (shape === 'counts' && !breakdownsFor.some((b) => b.kind === kind))
        breakdownsFor.push({ force, kind });
    });

  for (const { force, kind } of breakdownsFor) {
    const withheld = kind === 'graphql' ? ['MAPPA_LEVEL'] : [];
    feeds.push(
      feed(
        `sim-breakdowns-${force.id}`,
        kind,
        'breakdowns',
        [force.id],
        `${force.name} breakdowns of the unaccounted-for count (${kind})`,
        false,
        withheld,
      ),
    );
  }

  feeds.push(
    feed(
      TOTALS_FEED_ID,
      'json',
      'totals',
      forces.map((f) => f.id),
      'national total of offenders whose whereabouts are unknown, as a simulated investigation would publish it',
      false,
    ),
  );
  return feeds;
}

/** Most feeds `layoutCountFeeds` lays out: enough for any benchmark, few enough to stay one process. */
export const MAX_COUNT_FEEDS = 100_000;

/**
 * Lays out `n` simple single-force `counts` feeds for scale benchmarks, instead of `layoutFeeds`' mixed
 * layout: feed `i` (from 0) speaks for force `i mod forces` (forces sorted by id as given), kinds rotating
 * csv, json, graphql, so every force has about `n / forces` sources and every adapter is exercised. Every
 * feed serves its force's simulated headline (the same figures as the default layout: they come from the
 * seed, the force and the time). Ids are `sim-n<index, 1-based, zero-padded>-<force id>`, stable for a
 * given `n` and force list. With `breakdowns`, every odd-numbered feed (from 0) serves its force's
 * breakdowns instead (shape `breakdowns`, no headline): with an odd number of forces, as the 45, and `n`
 * an even multiple of it, every force then has as many breakdown feeds as count feeds.
 */
export function layoutCountFeeds(
  forces: readonly Force[],
  n: number,
  options: { readonly breakdowns?: boolean } = {},
): FeedDefinition[] {
  if (!Number.isInteger(n) || n < 1 || n > MAX_COUNT_FEEDS) {
    throw new Error(`sources must be a whole number from 1 to ${MAX_COUNT_FEEDS}; got ${n}`);
  }
  if (forces.length === 0) throw new Error('sources needs at least one force');
  const width = String(n).length;
  return Array.from({ length: n }, (_, i) => {
    const force = forces[i % forces.length]!;
    const kind = KINDS[i % KINDS.length]!;
    const ordinal = String(i + 1).padStart(width, '0');
    if (options.breakdowns && i % 2 === 1) {
      return feed(
        `sim-n${ordinal}-${force.id}`,
        kind,
        'breakdowns',
        [force.id],
        `${force.name} breakdowns of the unaccounted-for count, simulated source ${i + 1} of ${n} (${kind})`,
        false,
      );
    }
    return feed(
      `sim-n${ordinal}-${force.id}`,
      kind,
      'counts',
      [force.id],
      `${force.name} unaccounted-for count, simulated source ${i + 1} of ${n} (${kind})`,
      true,
    );
  });
}
