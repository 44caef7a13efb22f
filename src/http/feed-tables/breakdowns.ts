/**
 * The tables of the breakdown feeds (`national-breakdown`, `force-breakdowns`): one row per cell of a
 * force's breakdown, in long ("tidy") form, so that a spreadsheet pivots it (forces down, categories
 * across) and the value column sums without counting anything twice. The national table's column totals
 * and coverage are not rows: a total row would be counted again by anyone summing the column, so they stay
 * in the JSON form, and the notes say how the rows give them. A force without a breakdown, or a breakdown
 * without cells (refused whole), still has one row with no category, so that no force is silently missing.
 */
import type { FeedColumn, FeedTable } from './table';

/** A cell of a breakdown, as the approved operations select it. */
export interface BreakdownCellFields {
  readonly category: string;
  readonly value: number | null;
  readonly status: string;
}

/** A breakdown, as the approved operations select it (`force-breakdowns` adds its `dimension`). */
export interface BreakdownFields {
  readonly dimension?: string;
  readonly status: string;
  readonly complete: boolean;
  readonly asAt: { readonly date: string; readonly precision: string } | null;
  readonly provenance: { readonly title: string; readonly simulated: boolean } | null;
  readonly cells: readonly BreakdownCellFields[];
}

/**
 * One row's item: a force, the dimension, the force's breakdown (null when it has none) and one of its
 * cells (null on the one row of a force without a breakdown or of a breakdown without cells).
 */
export interface BreakdownCellItem {
  readonly force: { readonly id: string; readonly name: string };
  readonly dimension: string;
  readonly breakdown: BreakdownFields | null;
  readonly cell: BreakdownCellFields | null;
  /** The count the breakdown splits (the row total), or null when unknown. */
  readonly headline: number | null;
}

/** A row of the national table: with how the force's breakdown stands in it and the threshold applied. */
export interface NationalCellItem extends BreakdownCellItem {
  /** `RowDisclosure`: SHOWN, SUPPRESSED, NOT_REPORTED or NONE. */
  readonly disclosure: string;
  readonly disclosureK: number | null;
}

/** A force's unaccounted-for figure, as `force-breakdowns` selects it (`latest.unaccounted`). */
export interface UnaccountedFields {
  readonly value: number | null;
  readonly status: string;
  readonly asAt: { readonly date: string } | null;
}

/** The dimension of the breakdowns of returns to custody: they split a count other than the unaccounted-for. */
export const RETURNED_TO_CUSTODY_DIMENSION = 'RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL';

/** One line per value of the national table's `breakdown` column (`RowDisclosure` in the schema). */
export const BREAKDOWN_MEANINGS: Readonly<Record<string, string>> = {
  SHOWN:
    "the force's reported cells are shown (value filled where status is REPORTED) and counted in the column totals",
  SUPPRESSED:
    'disclosure control hid every reported cell of the breakdown (some cell was from 1 to k-1, or the whole count at most k): status SUPPRESSED, value empty; headline still gives the row total',
  NOT_REPORTED:
    'the force refused the breakdown or has no reported cell (breakdown_status and status say which); value empty',
  NONE: 'no source gave the force a breakdown by this dimension in the window: one row with category, value and the columns of the breakdown empty, so that no force is silently missing',
};

/** One line per value of the `status` column of `force-breakdowns` (a cell's status). */
export const CELL_STATUS_MEANINGS: Readonly<Record<string, string>> = {
  REPORTED: "the force's count in the category; value is the count (zero is a count)",
  SUPPRESSED:
    'hidden by disclosure control: some cell of the breakdown was from 1 to k-1 (or the whole count at most k), so every reported cell of it is hidden; value empty',
  WITHHELD: 'the force refused to give the cell; value empty',
  NOT_HELD: 'the force does not record it; value empty',
  UNAVAILABLE: 'the source failed and nothing usable is cached; value empty',
  '(empty)':
    'the row of a breakdown without cells: breakdown_status says why (WITHHELD: the force refused the whole breakdown)',
};

/** What both tables end their notes with. */
const COMMON_NOTES: readonly string[] = [
  "Rows whose simulated is TRUE come from the simulator: made-up numbers, never a real force's.",
  'Counts only: no personal data is in this file or anywhere in Whereabouts.',
  "Text a spreadsheet could run as a formula (starting with =, +, -, @) is prefixed with ', exactly as in the CSV form.",
];

const FORCE_ID: FeedColumn<BreakdownCellItem> = {
  name: 'force_id',
  kind: 'text',
  holds: "the force's id (text)",
  cell: (i) => i.force.id,
};

const FORCE_NAME: FeedColumn<BreakdownCellItem> = {
  name: 'force_name',
  kind: 'text',
  holds: "the force's name (text)",
  cell: (i) => i.force.name,
};

const DIMENSION: FeedColumn<BreakdownCellItem> = {
  name: 'dimension',
  kind: 'text',
  holds:
    'what the breakdown splits the count by: YEAR_WENT_MISSING, OFFENCE_CATEGORY, MAPPA_LEVEL, MISSING_FOR_AT_LEAST_YEARS or RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL (text)',
  cell: (i) => i.dimension,
};

const BREAKDOWN_STATUS: FeedColumn<BreakdownCellItem> = {
  name: 'breakdown_status',
  kind: 'text',
  holds:
    'the status of the breakdown as a whole, as the force gave it: REPORTED (it gave cells; status says how each is shown, SUPPRESSED included), WITHHELD (refused whole; no cells), NOT_HELD or UNAVAILABLE (text); empty when the force has no breakdown',
  cell: (i) => i.breakdown?.status ?? null,
};

/** The columns of one cell and of its breakdown, the same in both tables, `headline` between them. */
function cellColumns(headline: FeedColumn<BreakdownCellItem>): Array<FeedColumn<BreakdownCellItem>> {
  return [
    {
      name: 'category',
      kind: 'text',
      holds:
        'the category of the cell: a year (YEAR_WENT_MISSING), an offence category, a MAPPA level (1-3) or a number of years (MISSING_FOR_AT_LEAST_YEARS: missing for at least that many) (text); empty on the one row of a force without cells',
      cell: (i) => i.cell?.category ?? null,
    },
    {
      name: 'value',
      kind: 'number',
      holds: 'the count in the category (a number cell); empty unless status is REPORTED (zero is a count)',
      cell: (i) => (i.cell?.status === 'REPORTED' ? i.cell.value : null),
    },
    {
      name: 'status',
      kind: 'text',
      holds:
        "the cell's status: REPORTED, SUPPRESSED (hidden by disclosure control), WITHHELD, NOT_HELD or UNAVAILABLE (text); empty on the one row of a force without cells",
      cell: (i) => i.cell?.status ?? null,
    },
    {
      name: 'complete',
      kind: 'boolean',
      holds:
        "TRUE when the breakdown's cells cover the whole count, FALSE when they cover only part of it (its cells then add up to less than headline); empty when the force has no breakdown",
      cell: (i) => i.breakdown?.complete ?? null,
    },
    headline,
    {
      name: 'as_at',
      kind: 'date',
      holds:
        'the date the breakdown is as at (a date cell shown at its precision: yyyy-mm-dd, yyyy-mm or yyyy); empty when the force has no breakdown',
      cell: (i) => i.breakdown?.asAt?.date ?? null,
    },
    {
      name: 'precision',
      kind: 'text',
      holds: 'how precisely the source dates the breakdown: DAY, MONTH or YEAR (text)',
      cell: (i) => i.breakdown?.asAt?.precision ?? null,
    },
    {
      name: 'source_title',
      kind: 'text',
      holds: 'the source the breakdown comes from (text)',
      cell: (i) => i.breakdown?.provenance?.title ?? null,
    },
    {
      name: 'simulated',
      kind: 'boolean',
      holds: 'TRUE when the source is the simulator (made-up numbers, never a real force figure), else FALSE',
      cell: (i) => i.breakdown?.provenance?.simulated ?? null,
    },
  ];
}

/**
 * A force's breakdown as items: one per cell, or one with no cell when it has none (refused whole, or no
 * breakdown at all), so that the force keeps a row.
 */
function cellItems<Item extends BreakdownCellItem>(
  base: Omit<Item, 'cell'>,
  breakdown: BreakdownFields | null,
): Item[] {
  const cells = breakdown?.cells ?? [];
  if (cells.length === 0) return [{ ...base, cell: null } as Item];
  return cells.map((cell) => ({ ...base, cell }) as Item);
}

/* eslint-disable @typescript-eslint/no-explicit-any -- GraphQL result data is walked by the operation's shape */

const NATIONAL_COLUMNS: ReadonlyArray<FeedColumn<NationalCellItem>> = [
  FORCE_ID,
  FORCE_NAME,
  DIMENSION,
  {
    name: 'breakdown',
    kind: 'text',
    holds:
      "how the force's breakdown stands in the table: SHOWN, SUPPRESSED, NOT_REPORTED or NONE (text; see below)",
    cell: (i) => i.disclosure,
  },
  BREAKDOWN_STATUS,
  ...cellColumns({
    name: 'headline',
    kind: 'number',
    holds:
      "the count the breakdown splits, as the force gave it for the same date: the row total (a number cell), public even when the cells are suppressed; repeated on each of the force's rows, so never sum it over every row; empty when unknown",
    cell: (i) => i.headline,
  }),
  {
    name: 'disclosure_k',
    kind: 'number',
    holds:
      'the disclosure threshold applied for your role (cells from 1 to k-1 are small); empty when you see every cell (analyst)',
    cell: (i) => i.disclosureK,
  },
];

/** What the About sheet of `national-breakdown` says about its rows. */
export const NATIONAL_BREAKDOWN_NOTES: readonly string[] = [
  "Each row is one cell of one force's breakdown by the dimension, as at the table's date: force_id and category together are the key. In a spreadsheet, pivot it: force_name down, category across, the sum of value in the cells.",
  'A force with no breakdown (breakdown NONE) or a breakdown without cells (refused whole) has one row with category and value empty, so that no force is silently missing.',
  'The column totals and the coverage (how many forces, and how many people, the totals leave out) are in the JSON form (/feeds/national-breakdown.json: columnTotals, coverage) and are not rows here, so summing value never counts a cell twice. Summing value over the rows whose status is REPORTED and breakdown is SHOWN, category by category, gives the column totals.',
  "A column total counts only the cells shown: it is not a national figure. headline is the force's row total, repeated on each of its rows: take it once per force. A breakdown whose complete is FALSE covers only part of its headline.",
  'For every role but analyst (disclosure_k filled), a breakdown is shown whole or every reported cell of it is suppressed; the JSON form has the audit (audit) showing that no suppressed cell can be worked out from what is shown.',
  ...COMMON_NOTES,
];

/** `national-breakdown`: every force of the registry, sorted by id, one row per cell (or one without). */
export const NATIONAL_BREAKDOWN: FeedTable<NationalCellItem> = {
  rowsAre: 'one row per force and category',
  items: (data: any) => {
    const table = data?.nationalBreakdown;
    if (!table) return [];
    return (table.rows ?? []).flatMap((row: any) =>
      cellItems<NationalCellItem>(
        {
          force: row.force,
          dimension: table.dimension,
          breakdown: row.breakdown ?? null,
          headline: row.headline ?? null,
          disclosure: row.disclosure,
          disclosureK: table.disclosureK ?? null,
        },
        row.breakdown ?? null,
      ),
    );
  },
  columns: NATIONAL_COLUMNS,
  legend: { column: 'breakdown', meanings: BREAKDOWN_MEANINGS },
  notes: NATIONAL_BREAKDOWN_NOTES,
};

/**
 * The headline of one of a force's breakdowns: its unaccounted-for figure, only when that is reported and
 * dated the same day as the breakdown, and never for a breakdown of returns to custody (which splits
 * another count). Else null: a figure of another day is not the total of these cells.
 */
export function forceHeadline(
  breakdown: BreakdownFields,
  unaccounted: UnaccountedFields | null | undefined,
): number | null {
  if (breakdown.dimension === RETURNED_TO_CUSTODY_DIMENSION) return null;
  if (!unaccounted || unaccounted.status !== 'REPORTED' || unaccounted.value === null) return null;
  const date = unaccounted.asAt?.date;
  return date && date === breakdown.asAt?.date ? unaccounted.value : null;
}

const FORCE_COLUMNS: ReadonlyArray<FeedColumn<BreakdownCellItem>> = [
  FORCE_ID,
  FORCE_NAME,
  DIMENSION,
  BREAKDOWN_STATUS,
  ...cellColumns({
    name: 'headline',
    kind: 'number',
    holds:
      "the force's unaccounted-for figure when it is dated the same day as the breakdown (the count the breakdown splits; a number cell); empty when it is of another day or unknown, and for RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL (which splits returns to custody); repeated on each row of the breakdown, so never sum it over every row",
    cell: (i) => i.headline,
  }),
];

/** What the About sheet of `force-breakdowns` says about its rows. */
export const FORCE_BREAKDOWNS_NOTES: readonly string[] = [
  "Each row is one cell of one of the force's latest breakdowns as at the date (by every dimension, or by the one asked for): dimension and category together are the key.",
  'A breakdown the force refused whole (breakdown_status WITHHELD) has no cells: it has one row with category, value and status empty. A force with no breakdown as at the date gives the header row alone.',
  "headline is the force's unaccounted-for figure, given only when it is dated the same day as the breakdown, since a figure of another day is not the total of these cells; never for RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL, which splits returns to custody. It is repeated on each row of a breakdown: take it once per breakdown. A breakdown whose complete is FALSE covers only part of its count.",
  'For every role but analyst, each breakdown is under disclosure control: shown whole, or every reported cell of it suppressed (status SUPPRESSED), exactly as in the national-breakdown feed.',
  ...COMMON_NOTES,
];

/** `force-breakdowns`: the force's breakdowns in the order the operation gives them, one row per cell (or one without). */
export const FORCE_BREAKDOWNS: FeedTable<BreakdownCellItem> = {
  rowsAre: 'one row per breakdown and category',
  items: (data: any) => {
    const force = data?.force;
    if (!force) return [];
    const latest = force.latest;
    return (latest?.breakdowns ?? []).flatMap((breakdown: BreakdownFields) =>
      cellItems<BreakdownCellItem>(
        {
          force: { id: force.id, name: force.name },
          dimension: breakdown.dimension ?? '',
          breakdown,
          headline: forceHeadline(breakdown, latest?.unaccounted),
        },
        breakdown,
      ),
    );
  },
  columns: FORCE_COLUMNS,
  legend: { column: 'status', meanings: CELL_STATUS_MEANINGS },
  notes: FORCE_BREAKDOWNS_NOTES,
};
