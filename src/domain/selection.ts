import { daysBetween } from './dates';
import type { AsAt, Basis, Breakdown, Dimension, Figure, Measure, Precision, Provenance } from './figure';

/** Anything dated by a source: figures and breakdowns. */
export interface Dated {
  readonly asAt: AsAt | null;
  readonly provenance: Provenance;
}

/** How much a source is trusted when two sources date a figure the same: higher wins. */
export type PriorityOf = (sourceId: string) => number;

const PRECISION_RANK: Record<Precision, number> = { DAY: 3, MONTH: 2, YEAR: 1 };

/**
 * Which basis a force's headline takes when it gave more than one for the same date (Police Scotland's
 * reports give wanted and missing side by side; the Met's 2013 answer gave 63 missing and 96 wanted): the
 * first in this list. Whereabouts unknown is what the headline counts; a combined figure includes them;
 * a count of the wanted alone stands in only when nothing else was given for that date. The figures of
 * the other bases are kept and shown (`setAsideBeside`), never added to the headline: adding two bases
 * would be a combined figure no source printed.
 */
export const HEADLINE_BASIS_ORDER: readonly Basis[] = ['WHEREABOUTS_UNKNOWN', 'MISSING_OR_WANTED', 'WANTED'];

/** A basis's place in `HEADLINE_BASIS_ORDER` (lower wins); every figure without a basis ranks the same. */
function basisRank(basis: Basis | null): number {
  return basis === null ? 0 : HEADLINE_BASIS_ORDER.indexOf(basis);
}

/** The outcome of choosing one figure for one force and one measure as at a date. */
export interface Selection {
  /** The chosen figure: dated within the window, or an `UNAVAILABLE` one when its source failed. */
  readonly figure: Figure | null;
  /** The newest figure older than the window, when nothing falls inside it (to say why a force is missing). */
  readonly latestOutsideWindow: Figure | null;
}

/** What `isPreferred` compares: anything dated, and for figures their basis and whether they are bounds. */
type Comparable = Dated & { readonly basis?: Basis | null; readonly lowerBound?: boolean };

/**
 * True when `a` should win over `b`: the later `asAt` wins (compared by the first day each covers),
 * then the finer precision, then the basis earlier in `HEADLINE_BASIS_ORDER`, then an exact value over a
 * lower bound, then the higher configured source priority, then the source id (so that the choice never
 * depends on arrival order). Within one source, figures equal on all of these (two outlets that disagree
 * about one force on one date) keep the source's order: its earlier row wins, and the other is set aside.
 */
export function isPreferred(a: Comparable, b: Comparable, priorityOf: PriorityOf): boolean {
  const as = a.asAt!.start;
  const bs = b.asAt!.start;
  if (as !== bs) return as > bs;
  const ap = PRECISION_RANK[a.asAt!.precision];
  const bp = PRECISION_RANK[b.asAt!.precision];
  if (ap !== bp) return ap > bp;
  const ab = basisRank(a.basis ?? null);
  const bb = basisRank(b.basis ?? null);
  if (ab !== bb) return ab < bb;
  const al = a.lowerBound === true;
  if (al !== (b.lowerBound === true)) return !al;
  const apr = priorityOf(a.provenance.sourceId);
  const bpr = priorityOf(b.provenance.sourceId);
  if (apr !== bpr) return apr > bpr;
  return a.provenance.sourceId < b.provenance.sourceId;
}

/** Between two failed sources (undated figures): the more trusted, then the source id, never arrival order. */
function isPreferredFailure(a: Dated, b: Dated, priorityOf: PriorityOf): boolean {
  const apr = priorityOf(a.provenance.sourceId);
  const bpr = priorityOf(b.provenance.sourceId);
  if (apr !== bpr) return apr > bpr;
  return a.provenance.sourceId < b.provenance.sourceId;
}

/**
 * Chooses the figure for `measure` that holds as at `asAt`: the latest one dated at or before it and
 * no more than `windowDays` older. A figure of MONTH or YEAR precision counts from the first day of
 * its period: eligible from then, and as old as that day makes it (the oldest it could be).
 *
 * When no dated figure falls in the window but a source covering the force failed, the result is that
 * source's `UNAVAILABLE` figure: the force is counted as unavailable, not as silent.
 */
export function selectFigure(
  candidates: readonly Figure[],
  measure: Measure,
  asAt: string,
  windowDays: number,
  priorityOf: PriorityOf,
): Selection {
  let best: Figure | null = null;
  let outside: Figure | null = null;
  let unavailable: Figure | null = null;
  for (const figure of candidates) {
    if (figure.measure !== measure) continue;
    if (figure.asAt === null) {
      if (
        figure.status === 'UNAVAILABLE' &&
        (unavailable === null || isPreferredFailure(figure, unavailable, priorityOf))
      ) {
        unavailable = figure;
      }
      continue;
    }
    if (figure.asAt.start > asAt) continue;
    if (daysBetween(figure.asAt.start, asAt) > windowDays) {
      if (outside === null || isPreferred(figure, outside, priorityOf)) outside = figure;
      continue;
    }
    if (best === null || isPreferred(figure, best, priorityOf)) best = figure;
  }
  if (best) return { figure: best, latestOutsideWindow: null };
  return { figure: unavailable, latestOutsideWindow: outside };
}

/**
 * The figures of `chosen`'s measure and force dated exactly as it is (the same period, at the same
 * precision) that the choice left out: another basis of the headline, or a source that disagrees. Best
 * first, by the same order as the choice. Shown beside the chosen figure; never summed.
 */
export function setAsideBeside(
  candidates: readonly Figure[],
  chosen: Figure | null,
  priorityOf: PriorityOf,
): Figure[] {
  if (chosen === null || chosen.asAt === null) return [];
  const { start, precision } = chosen.asAt;
  return candidates
    .filter(
      (f) =>
        f !== chosen &&
        f.measure === chosen.measure &&
        f.asAt !== null &&
        f.asAt.start === start &&
        f.asAt.precision === precision,
    )
    .sort((a, b) => (isPreferred(a, b, priorityOf) ? -1 : isPreferred(b, a, priorityOf) ? 1 : 0));
}

/**
 * Figures whose source gave no date (not failed sources' `UNAVAILABLE` ones), for `measure` or every
 * measure, in the sources' order. They can be shown, never selected for a date, summed or charted.
 */
export function undatedFigures(candidates: readonly Figure[], measure?: Measure): Figure[] {
  return candidates.filter(
    (f) => f.asAt === null && f.status !== 'UNAVAILABLE' && (measure === undefined || f.measure === measure),
  );
}

/** Every dated figure for `measure` whose period starts within [from, to], oldest first. */
export function figuresBetween(
  candidates: readonly Figure[],
  measure: Measure,
  from: string,
  to: string,
  priorityOf: PriorityOf,
): Figure[] {
  return candidates
    .filter((f) => f.measure === measure && f.asAt !== null && f.asAt.start >= from && f.asAt.start <= to)
    .sort((a, b) => (isPreferred(a, b, priorityOf) ? 1 : isPreferred(b, a, priorityOf) ? -1 : 0));
}

/** The latest breakdown of each dimension dated within the window, ordered by dimension. */
export function selectBreakdowns(
  candidates: readonly Breakdown[],
  asAt: string,
  windowDays: number,
  priorityOf: PriorityOf,
  dimension?: Dimension,
): Breakdown[] {
  const best = new Map<Dimension, Breakdown>();
  for (const b of candidates) {
    if (dimension !== undefined && b.dimension !== dimension) continue;
    if (b.asAt.start > asAt || daysBetween(b.asAt.start, asAt) > windowDays) continue;
    const current = best.get(b.dimension);
    if (!current || isPreferred(b, current, priorityOf)) best.set(b.dimension, b);
  }
  return [...best.values()].sort((a, b) => a.dimension.localeCompare(b.dimension));
}
