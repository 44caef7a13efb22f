import type { Breakdown, Figure, Provenance, PublishedTotal } from '../domain/figure';
import type { ForceEntry, Rate, Summary } from '../domain/national';
import type { Snapshot } from '../store/snapshot';

/** What a view needs to say how fresh a figure is. */
export interface ViewContext {
  readonly snapshot: Snapshot;
  readonly nowMs: number;
}

/** A figure as the API shows it: with freshness and age. */
export type FigureView = Figure & { readonly freshness: 'FRESH' | 'STALE'; readonly ageSeconds: number };

function ageOf(provenance: Provenance, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - Date.parse(provenance.retrievedAt)) / 1000));
}

/** Adds freshness and age to a figure. */
export function figureView(figure: Figure | null, ctx: ViewContext): FigureView | null {
  if (figure === null) return null;
  const stale = ctx.snapshot.staleSources.has(figure.provenance.sourceId);
  return { ...figure, freshness: stale ? 'STALE' : 'FRESH', ageSeconds: ageOf(figure.provenance, ctx.nowMs) };
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
