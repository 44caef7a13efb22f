import type { Breakdown, Figure, Measure, PublishedTotal } from '../domain/figure';
import type { Source } from '../sources/source';
import type { SourceRead } from './source-reader';

/** The figures of every source as one request sees them, indexed by force. */
export interface Snapshot {
  readonly reads: readonly SourceRead[];
  readonly figuresByForce: ReadonlyMap<string, readonly Figure[]>;
  readonly breakdownsByForce: ReadonlyMap<string, readonly Breakdown[]>;
  readonly publishedTotals: readonly PublishedTotal[];
  /** Sources whose report is being served stale. */
  readonly staleSources: ReadonlySet<string>;
  /** Fetch time (epoch ms) of each source's served report. */
  readonly retrievedAt: ReadonlyMap<string, number>;
}

/** Measures a source provides, judged from its mapping (a failed source makes these unavailable). */
export function measuresOf(source: Source): Measure[] {
  const { shape, mapping, constants } = source.config;
  const has = (field: string) => field in mapping || field in constants;
  if (shape === 'records') return ['UNACCOUNTED'];
  if (shape === 'counts') {
    const out: Measure[] = [];
    if (has('unaccounted') || has('unaccountedStatus')) out.push('UNACCOUNTED');
    if (has('registered')) out.push('REGISTERED');
    if (has('breachesCautionedOrConvicted')) out.push('BREACHES_CAUTIONED_OR_CONVICTED');
    if (has('returnedToCustody')) out.push('RETURNED_TO_CUSTODY');
    return out;
  }
  return [];
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Joins the reads of all sources into one snapshot. A failed source becomes an `UNAVAILABLE` figure,
 * with its reason, for every force and measure it covers: a failing force is data, not an exception.
 */
export function buildSnapshot(
  sources: readonly Source[],
  reads: readonly SourceRead[],
  nowIso: string,
): Snapshot {
  const figuresByForce = new Map<string, Figure[]>();
  const breakdownsByForce = new Map<string, Breakdown[]>();
  const publishedTotals: PublishedTotal[] = [];
  const staleSources = new Set<string>();
  const retrievedAt = new Map<string, number>();
  reads.forEach((read, i) => {
    const source = sources[i]!;
    if (read.ok) {
      if (read.freshness === 'STALE') staleSources.add(read.sourceId);
      retrievedAt.set(read.sourceId, read.retrievedAt);
      for (const figure of read.report.figures) push(figuresByForce, figure.forceId, figure);
      for (const breakdown of read.report.breakdowns) push(breakdownsByForce, breakdown.forceId, breakdown);
      publishedTotals.push(...read.report.publishedTotals);
      return;
    }
    const provenance = {
      sourceId: source.config.id,
      title: source.config.title,
      url: source.config.url,
      retrievedAt: nowIso,
      simulated: source.config.simulated,
    };
    for (const measure of measuresOf(source)) {
      for (const forceId of source.forceIds) {
        push(figuresByForce, forceId, {
          forceId,
          measure,
          value: null,
          status: 'UNAVAILABLE',
          basis: null,
          asAt: null,
          provenance,
          reason: { code: read.error.code, message: read.error.message },
        });
      }
    }
  });
  return { reads, figuresByForce, breakdownsByForce, publishedTotals, staleSources, retrievedAt };
}
