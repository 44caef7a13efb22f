/**
 * The vocabulary of the domain: what one source says about one force as at one date.
 * Pure types and constants; no I/O.
 */

/** Whether a figure carries a usable value, and if not, why. */
export const FIGURE_STATUSES = ['REPORTED', 'WITHHELD', 'NOT_HELD', 'SUPPRESSED', 'UNAVAILABLE'] as const;
export type FigureStatus = (typeof FIGURE_STATUSES)[number];

/** What the headline count counts: forces word it differently, and one combined figure is its own basis. */
export const BASES = ['WHEREABOUTS_UNKNOWN', 'WANTED', 'MISSING_OR_WANTED'] as const;
export type Basis = (typeof BASES)[number];

/** How precisely a source dates its figure (the 2015 PA figures are "February or early March"). */
export const PRECISIONS = ['DAY', 'MONTH', 'YEAR'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** Scalar measures a force may report. `UNACCOUNTED` is the headline count and carries a basis. */
export const MEASURES = [
  'UNACCOUNTED',
  'REGISTERED',
  'BREACHES_CAUTIONED_OR_CONVICTED',
  'RETURNED_TO_CUSTODY',
] as const;
export type Measure = (typeof MEASURES)[number];

/** Dimensions of breakdowns of the unaccounted-for count (and of returns to custody). */
export const DIMENSIONS = [
  'YEAR_WENT_MISSING',
  'OFFENCE_CATEGORY',
  'MAPPA_LEVEL',
  'MISSING_FOR_AT_LEAST_YEARS',
  'RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Offence categories a breakdown by offence may use. */
export const OFFENCE_CATEGORIES = [
  'RAPE',
  'SEXUAL_ASSAULT',
  'GROOMING',
  'INDECENT_IMAGES',
  'EXPOSURE',
  'OTHER',
] as const;
export type OffenceCategory = (typeof OFFENCE_CATEGORIES)[number];

/** A date as a source gave it: `2018-01-17` (DAY), `2015-03` (MONTH) or `2015` (YEAR). */
export interface AsAt {
  /** As written by the source, at its precision. */
  readonly date: string;
  readonly precision: Precision;
  /** First day the period covers (ISO date). Used for "at or before" and for age: the oldest it could be. */
  readonly start: string;
  /** Last day the period covers (ISO date). */
  readonly end: string;
}

/**
 * Another publication of the same figure: the same survey reported by another outlet (rows of one source
 * that share a `survey`, a force, a measure, a basis and a value). It corroborates the figure and is never
 * counted again.
 */
export interface Citation {
  readonly title: string;
  readonly url: string | null;
  /** The date as this citation gave it (it may differ in precision from the figure's); null or absent: none. */
  readonly asAt?: string | null;
  /** The sentence the figure was read from in this citation; null or absent: not quoted. */
  readonly quote?: string | null;
}

/** Where a figure came from. Every figure carries one; simulated data says so here. */
export interface Provenance {
  readonly sourceId: string;
  readonly title: string;
  readonly url: string | null;
  /** When the gateway obtained the payload (ISO timestamp). */
  readonly retrievedAt: string;
  readonly simulated: boolean;
  /** The sentence the figure was read from, when the source quotes it. Absent: not given. */
  readonly quote?: string | null;
  /** The source's notes on the figure: caveats, and whose figure it is (a force's own, not the MoJ's). */
  readonly notes?: string | null;
  /** Other citations of the same figure (see `Citation`). Absent: none. */
  readonly corroboratedBy?: readonly Citation[];
}

/** Why a figure is `UNAVAILABLE`: a stable reason code and a message safe to show to any caller. */
export interface UnavailableReason {
  readonly code: string;
  readonly message: string;
}

/** One measure for one force from one source. */
export interface Figure {
  readonly forceId: string;
  readonly measure: Measure;
  /** Null unless `status` is `REPORTED`. Zero is a reported value. */
  readonly value: number | null;
  readonly status: FigureStatus;
  /** Only for `UNACCOUNTED`. */
  readonly basis: Basis | null;
  /**
   * Null for `UNAVAILABLE` figures (a failed source says nothing about dates) and for figures the source
   * gave no date for: those are shown (`undatedFigures`) but never selected for a date, summed or charted.
   */
  readonly asAt: AsAt | null;
  readonly provenance: Provenance;
  readonly reason: UnavailableReason | null;
  /**
   * True when the source gave only a lower bound (written `>31300`): the true value is at least `value`.
   * Such a figure is shown, never summed or used in a rate. Absent: an exact value.
   */
  readonly lowerBound?: boolean;
}

/** One cell of a breakdown. */
export interface BreakdownCell {
  readonly category: string;
  readonly value: number | null;
  readonly status: FigureStatus;
}

/** A breakdown of a count for one force, as at one date, from one source. */
export interface Breakdown {
  readonly forceId: string;
  readonly dimension: Dimension;
  /** `WITHHELD` when the force refused the whole breakdown (Dorset 2013's MAPPA levels). */
  readonly status: FigureStatus;
  /** Whether the cells cover the whole count (Greater Manchester's "one since 2006" does not). */
  readonly complete: boolean;
  readonly asAt: AsAt;
  readonly provenance: Provenance;
  readonly cells: readonly BreakdownCell[];
}

/** A national figure an investigation published, shown beside our sum and never mixed into it. */
export interface PublishedTotal {
  readonly scope: string;
  readonly measure: string;
  readonly value: number;
  readonly asAt: AsAt | null;
  readonly forcesResponded: number | null;
  readonly forcesAsked: number | null;
  readonly notes: string | null;
  readonly provenance: Provenance;
  /** True when the publication gave only a lower bound (">31300"): the true value is at least `value`. */
  readonly lowerBound?: boolean;
}

/** Everything one source said in one successful fetch, already validated and normalised. */
export interface SourceReport {
  readonly figures: readonly Figure[];
  readonly breakdowns: readonly Breakdown[];
  readonly publishedTotals: readonly PublishedTotal[];
}

export const EMPTY_REPORT: SourceReport = Object.freeze({ figures: [], breakdowns: [], publishedTotals: [] });
