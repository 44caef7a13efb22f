import type { Breakdown, Citation, Figure, Provenance, PublishedTotal } from '../domain/figure';
import type { ForceEntry, Rate, Summary, SumSource } from '../domain/national';
import { sourcesOfSum } from '../domain/national';
import type { Snapshot } from '../store/snapshot';

/** What a view needs to say how fresh a figure is: the snapshot it was read from, and the clock. */
export interface ViewContext {
  readonly snapshot: Snapshot;
  /**
   * The clock (epoch ms) ages are given at: the request's, or the start of its second for a view kept for
   * that second.
   */
  readonly nowMs: number;
}

/** A figure as the API shows it: with freshness, the fetch time as epoch ms, and its age in seconds. */
export type FigureView = Figure & {
  readonly freshness: 'FRESH' | 'STALE';
  readonly retrievedAtMs: number;
  readonly ageSeconds: number;
};

/** Whole seconds from a fetch (epoch ms) to `nowMs`, never negative. */
export function ageSecondsOf(retrievedAtMs: number, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - retrievedAtMs) / 1000));
}

function retrievedAtMsOf(provenance: Provenance): number {
  return Date.parse(provenance.retrievedAt);
}

/** A citation as the API shows it: every field present, in one order. */
function citationView(citation: Citation) {
  return {
    title: citation.title,
    url: citation.url,
    asAt: citation.asAt ?? null,
    quote: citation.quote ?? null,
  };
}

/** Shared by every view of a figure without corroborating citations (most): nothing to allocate. */
const NO_CITATIONS: ReadonlyArray<ReturnType<typeof citationView>> = Object.freeze([]);

/**
 * A provenance as the API shows it: every field present (the optional ones null or empty when a source
 * gave none, or when it was stored before they existed), in one order.
 */
export function provenanceView(provenance: Provenance) {
  return {
    sourceId: provenance.sourceId,
    title: provenance.title,
    url: provenance.url,
    retrievedAt: provenance.retrievedAt,
    simulated: provenance.simulated,
    quote: provenance.quote ?? null,
    notes: provenance.notes ?? null,
    corroboratedBy: provenance.corroboratedBy?.length
      ? provenance.corroboratedBy.map(citationView)
      : NO_CITATIONS,
  };
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
    provenance: provenanceView(provenance),
    reason: reason && { code: reason.code, message: reason.message },
    lowerBound: figure.lowerBound === true,
    freshness,
    retrievedAtMs,
    ageSeconds,
  };
}

/**
 * Adds freshness and age (as at `ctx.nowMs`) to a figure. Every field is a plain property, so the
 * compiled query reads them with no resolver per figure (an age resolver cost about a seventh of an
 * analyst query's CPU).
 */
export function figureView(figure: Figure | null, ctx: ViewContext): FigureView | null {
  if (figure === null) return null;
  const retrievedAtMs = retrievedAtMsOf(figure.provenance);
  return canonicalView(
    figure,
    ctx.snapshot.staleSources.has(figure.provenance.sourceId) ? 'STALE' : 'FRESH',
    retrievedAtMs,
    ageSecondsOf(retrievedAtMs, ctx.nowMs),
  );
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
  let sources: SumSource[] | undefined;
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
    // Worked out when a query first selects it (a getter, then kept with the view, which is itself kept
    // per snapshot generation and second), so queries that do not ask do not pay for it.
    get sources() {
      return (sources ??= sourcesOfSum(summary.entries));
    },
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

/** The name of the national summary (and series). */
export const UNITED_KINGDOM = 'United Kingdom';

/** A published total as the API shows it: whether it is a lower bound, and its provenance under `source`. */
export function publishedTotalView(total: PublishedTotal) {
  return { ...total, lowerBound: total.lowerBound === true, source: provenanceView(total.provenance) };
}
