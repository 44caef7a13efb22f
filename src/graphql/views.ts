import type { Breakdown, Figure, Provenance, PublishedTotal } from '../domain/figure';
import type { ForceEntry, Rate, Summary } from '../domain/national';
import type { Snapshot } from '../store/snapshot';

/** What a view needs to say how fresh a figure is: the snapshot it was read from, and the clock. */
export interface ViewContext {
  readonly snapshot: Snapshot;
  /** The request's clock (epoch ms): ages are given as at the start of its second. */
  readonly nowMs: number;
}

/**
 * A figure as the API shows it: with freshness, the fetch time as epoch ms, and its age in seconds as at
 * the start of the view's clock second.
 */
export type FigureView = Figure & {
  readonly freshness: 'FRESH' | 'STALE';
  readonly retrievedAtMs: number;
  readonly ageSeconds: number;
};

/** The clock second (epoch seconds) that views made at `nowMs` belong to. */
export function viewSecond(nowMs: number): number {
  return Math.floor(nowMs / 1000);
}

/**
 * Views depend only on the snapshot and the clock second (freshness is fixed per snapshot; ages change
 * once a second), so they are made at most once per snapshot, figure and second, and shared by every
 * request in that second: the warm path allocates nothing per figure, and the compiled query reads every
 * field of a figure as a plain property (a resolver per figure for its age cost about a seventh of an
 * analyst query's CPU). So `ageSeconds` is at most a second behind the request's clock, as in the
 * pre-serialized responses of approved operations (`RESPONSE_CACHE_MAX_AGE_MS`).
 */
const viewsBySnapshot = new WeakMap<
  Snapshot,
  { readonly second: number; readonly views: WeakMap<Figure, FigureView> }
>();

/** Whole seconds from a fetch (epoch ms) to `nowMs`, never negative. */
export function ageSecondsOf(retrievedAtMs: number, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - retrievedAtMs) / 1000));
}

function retrievedAtMsOf(provenance: Provenance): number {
  return Date.parse(provenance.retrievedAt);
}

/**
 * A figure's view, with its fields (and those of its date and provenance) always created in the same
 * order. Figures come from many parsers and from L2's JSON, so their own objects differ in field order
 * and optional fields; a view of each would give the compiled query's property reads one object shape
 * per origin (megamorphic loads, once per field per figure per request). Views made here all share one.
 */
function canonicalView(
  figure: Figure,
  freshness: 'FRESH' | 'STALE',
  retrievedAtMs: number,
  ageSeconds: number,
): FigureView {
  const { asAt, provenance, reason } = figure;
  return {
    forceId: figure.forceId,
    measure: figure.measure,
    value: figure.value,
    status: figure.status,
    basis: figure.basis,
    asAt: asAt && { date: asAt.date, precision: asAt.precision, start: asAt.start, end: asAt.end },
    provenance: {
      sourceId: provenance.sourceId,
      title: provenance.title,
      url: provenance.url,
      retrievedAt: provenance.retrievedAt,
      simulated: provenance.simulated,
    },
    reason: reason && { code: reason.code, message: reason.message },
    freshness,
    retrievedAtMs,
    ageSeconds,
  };
}

/** Adds freshness and age to a figure (memoised per snapshot and clock second). */
export function figureView(figure: Figure | null, ctx: ViewContext): FigureView | null {
  if (figure === null) return null;
  const second = viewSecond(ctx.nowMs);
  let memo = viewsBySnapshot.get(ctx.snapshot);
  if (!memo || memo.second !== second) {
    memo = { second, views: new WeakMap() };
    viewsBySnapshot.set(ctx.snapshot, memo);
  }
  let view = memo.views.get(figure);
  if (!view) {
    const stale = ctx.snapshot.staleSources.has(figure.provenance.sourceId);
    const retrievedAtMs = retrievedAtMsOf(figure.provenance);
    view = canonicalView(
      figure,
      stale ? 'STALE' : 'FRESH',
      retrievedAtMs,
      ageSecondsOf(retrievedAtMs, second * 1000),
    );
    memo.views.set(figure, view);
  }
  return view;
}

/** A force's part in a summary, as the API shows it. */
export function entryView(entry: ForceEntry, ctx: ViewContext) {
  return {
    force: entry.force,
    outcome: entry.outcome,
    figure: figureView(entry.figure, ctx),
    latestOutsideWindow: figureView(entry.latestOutsideWindow, ctx),
    stale: entry.stale,
    reason: entry.figure?.reason ?? null,
  };
}

function rateView(rate: Rate | null) {
  return rate;
}

/** A summary as the API shows it (national, a region or a nation). */
export function summaryView(
  summary: Summary,
  ctx: ViewContext,
  publishedTotals: readonly PublishedTotal[],
  name: string,
) {
  return {
    name,
    asAt: summary.asAt,
    windowDays: summary.windowDays,
    unaccounted: { value: summary.unaccounted, byBasis: summary.byBasis },
    coverage: {
      ...summary.coverage,
      missingForces: summary.coverage.missing.map((e) => e.force),
      missing: summary.coverage.missing.map((e) => entryView(e, ctx)),
    },
    forces: summary.entries.map((e) => entryView(e, ctx)),
    publishedTotals,
    rates: {
      per1000Registered: rateView(summary.per1000Registered),
      per100kPopulation: rateView(summary.per100kPopulation),
    },
  };
}

/** A breakdown as the API shows it. */
export function breakdownView(breakdown: Breakdown): Breakdown {
  return breakdown;
}
