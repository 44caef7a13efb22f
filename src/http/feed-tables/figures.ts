/**
 * The table of the feeds that are lists of force figures (`national-latest`, `force-history`): one row
 * per force figure. `whereabouts export` writes the same rows (`rowOf(NATIONAL_LATEST, ...)`).
 */
import { FIGURE_STATUSES } from '../../domain/figure';
import type { FeedColumn, FeedTable } from './table';

/** The `status` cell of a force that has no figure in the window (no source gave one), so no row is silently missing. */
export const NO_FIGURE = 'NO_FIGURE';

/** Every value the `status` column can hold: a figure's status, or `NO_FIGURE`. README's feeds section lists each. */
export const CSV_STATUSES = [...FIGURE_STATUSES, NO_FIGURE] as const;

/** A figure as the approved operations select it (and as the domain has it, `freshness` aside). */
export interface FigureFields {
  readonly value?: number | null;
  readonly status?: string;
  readonly basis?: string | null;
  readonly freshness?: string | null;
  readonly asAt?: { readonly date: string; readonly precision: string } | null;
  readonly provenance?: { readonly title: string } | null;
}

/** One row's item: a force and its figure, or null when no source has one for it (`NO_FIGURE`). */
export interface FigureItem {
  readonly force: { readonly id: string; readonly name: string };
  readonly figure: FigureFields | null;
}

/** One line per value of the `status` column, as the README's feeds section gives them. */
export const STATUS_MEANINGS: Readonly<Record<(typeof CSV_STATUSES)[number], string>> = {
  REPORTED: "the force's figure; value is the count (zero is a count)",
  WITHHELD: 'the force refused to give it; value empty',
  NOT_HELD: 'the force does not record it; value empty',
  SUPPRESSED: 'hidden by disclosure control (breakdown cells only); value empty',
  UNAVAILABLE:
    'the source failed (timeout, HTTP error, invalid payload...) and nothing usable is cached; value empty',
  NO_FIGURE:
    'no source has a figure for the force dated at or before the date and within the window; the row is there so that no force is silently missing',
};

/** What the About sheet says about where the rows come from, line by line. */
export const PROVENANCE_NOTES: readonly string[] = [
  'Each row is one force figure as its source gave it; source_title names the source (GraphQL provenance gives its URL and retrieval time).',
  'Rows whose source_title starts with SIMULATED come from the simulator: made-up numbers, never a real force figure.',
  'The sum of the value column is the sum of the forces that reported, not a national total: see status, and the published totals in GraphQL.',
  'Counts only: no personal data is in this file or anywhere in Whereabouts.',
  "Text a spreadsheet could run as a formula (starting with =, +, -, @) is prefixed with ', exactly as in the CSV form.",
];

const COLUMNS: ReadonlyArray<FeedColumn<FigureItem>> = [
  { name: 'force_id', kind: 'text', holds: "the force's id (text)", cell: (i) => i.force.id },
  { name: 'force_name', kind: 'text', holds: "the force's name (text)", cell: (i) => i.force.name },
  {
    name: 'as_at',
    kind: 'date',
    holds: 'the date the figure is as at (a date cell shown at its precision: yyyy-mm-dd, yyyy-mm or yyyy)',
    cell: (i) => i.figure?.asAt?.date ?? null,
  },
  {
    name: 'precision',
    kind: 'text',
    holds: 'how precisely the source dates the figure: DAY, MONTH or YEAR (text)',
    cell: (i) => i.figure?.asAt?.precision ?? null,
  },
  {
    name: 'value',
    kind: 'number',
    holds: 'the count (a number cell); empty unless status is REPORTED',
    cell: (i) => i.figure?.value ?? null,
  },
  {
    name: 'status',
    kind: 'text',
    holds: 'whether the figure has a value and if not why (text; see below)',
    cell: (i) => i.figure?.status ?? NO_FIGURE,
  },
  {
    name: 'basis',
    kind: 'text',
    holds: 'what the count counts: WHEREABOUTS_UNKNOWN, WANTED or MISSING_OR_WANTED (text)',
    cell: (i) => i.figure?.basis ?? null,
  },
  {
    name: 'freshness',
    kind: 'text',
    holds: "FRESH, or STALE when served after the source's time to live ran out (text)",
    cell: (i) => i.figure?.freshness ?? null,
  },
  {
    name: 'source_title',
    kind: 'text',
    holds: 'the source the figure comes from (text)',
    cell: (i) => i.figure?.provenance?.title ?? null,
  },
];

/* eslint-disable @typescript-eslint/no-explicit-any -- GraphQL result data is walked by the operation's shape */

/** The columns and notes every figure feed shares; only how the items are found differs. */
const FIGURE_TABLE = {
  rowsAre: 'one row per force figure',
  columns: COLUMNS,
  legend: { column: 'status', meanings: STATUS_MEANINGS },
  notes: PROVENANCE_NOTES,
} as const;

/** `national-latest`: every force of the registry, with its figure as at the date or `NO_FIGURE`. */
export const NATIONAL_LATEST: FeedTable<FigureItem> = {
  ...FIGURE_TABLE,
  items: (data: any) => data?.national?.forces ?? [],
};

/** `force-history`: the force's figures, oldest first (never a `NO_FIGURE` row). */
export const FORCE_HISTORY: FeedTable<FigureItem> = {
  ...FIGURE_TABLE,
  items: (data: any) =>
    data?.force
      ? (data.force.history ?? []).map((figure: FigureFields) => ({ force: data.force, figure }))
      : [],
};
