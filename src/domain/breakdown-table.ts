/**
 * The national breakdown table: forces down the side, a dimension's categories across, each force's
 * breakdown as a role may see it, and each category's total over the forces whose cells are shown.
 *
 * The column totals add up only the cells a reader can see. A total that also counted suppressed cells
 * would be the national figure, but it cannot be published safely over time: forces update on their own
 * dates, so between two neighbouring dates a national total often changes by one force's breakdown only,
 * and a reader who subtracts the two totals gets that force's suppressed cells exactly (README,
 * "Disclosure control: method"; a test shows the interval audit pinning them). The table says how many
 * forces and people its totals leave out instead, so it is honest about what it covers.
 *
 * Pure functions, no I/O.
 */
import { protectBreakdown } from './disclosure';
import type { Breakdown, Dimension, Figure } from './figure';
import { OFFENCE_CATEGORIES } from './figure';

/** How one force's breakdown stands in the table. */
export type RowDisclosure =
  /** Its reported cells are shown (every cell to an analyst; to other roles, none was risky). */
  | 'SHOWN'
  /** Disclosure control hid all of its reported cells. */
  | 'SUPPRESSED'
  /** The force refused the breakdown, or it has no reported cell (WITHHELD, NOT_HELD, UNAVAILABLE). */
  | 'NOT_REPORTED'
  /** No source gave the force a breakdown by this dimension in the window. */
  | 'NONE';

/** One force's row. */
export interface TableRow {
  readonly forceId: string;
  /** The breakdown as the role sees it, or null when there is none (`NONE`). */
  readonly breakdown: Breakdown | null;
  /** The count the breakdown splits, as the force gave it for the same date; null when unknown. */
  readonly headline: number | null;
  readonly disclosure: RowDisclosure;
}

/** One category's total over the rows whose cells are shown. */
export interface ColumnTotal {
  readonly category: string;
  /**
   * Sum of the shown rows' reported values in this category. Null only when the disclosure audit
   * withdrew it (`src/disclosure/audited-table.ts`); this module always gives a number.
   */
  readonly value: number | null;
  /** How many shown rows give a reported value in this category. */
  readonly forces: number;
}

/** What the column totals cover, and what they leave out. */
export interface TableCoverage {
  readonly forces: number;
  readonly shown: number;
  /** Of the shown, how many breakdowns cover only part of their count (Greater Manchester's "one since 2006"). */
  readonly shownIncomplete: number;
  readonly suppressed: number;
  /** The suppressed forces' headline counts added up (public figures); null when one is unknown. */
  readonly suppressedPeople: number | null;
  readonly notReported: number;
  readonly none: number;
}

/** A national breakdown table for one dimension and date. */
export interface NationalBreakdownTable {
  readonly dimension: Dimension;
  /** Every category any row has, in the dimension's order (years and thresholds ascending). */
  readonly categories: readonly string[];
  /** One per force, in the order given. */
  readonly rows: readonly TableRow[];
  readonly columnTotals: readonly ColumnTotal[];
  readonly coverage: TableCoverage;
}

/** One force's input: its selected breakdown (unprotected) and the headline it splits. */
export interface TableInput {
  readonly forceId: string;
  readonly breakdown: Breakdown | null;
  readonly headline: number | null;
}

/**
 * The count a breakdown splits, as the force gave it for the same date: a breakdown of returns to
 * custody splits the returns, every other one the unaccounted-for. The breakdown's own source first.
 */
export function headlineOf(breakdown: Breakdown, candidates: readonly Figure[]): number | null {
  const measure =
    breakdown.dimension === 'RETURNED_TO_CUSTODY_BY_MAPPA_LEVEL' ? 'RETURNED_TO_CUSTODY' : 'UNACCOUNTED';
  const sameDate = candidates.filter(
    (f) => f.measure === measure && f.status === 'REPORTED' && f.asAt?.date === breakdown.asAt.date,
  );
  const figure = sameDate.find((f) => f.provenance.sourceId === breakdown.provenance.sourceId) ?? sameDate[0];
  return figure?.value ?? null;
}

/**
 * The table for one dimension. With `k` (every role but analyst), each breakdown is protected whole
 * (`protectBreakdown`) and the column totals count shown rows only; with `k` null, every cell is shown.
 */
export function nationalBreakdownTable(
  dimension: Dimension,
  inputs: readonly TableInput[],
  k: number | null,
): NationalBreakdownTable {
  const rows = inputs.map((input): TableRow => {
    const { forceId, breakdown, headline } = input;
    if (!breakdown) return { forceId, breakdown: null, headline, disclosure: 'NONE' };
    const shown = k === null ? breakdown : protectBreakdown(breakdown, headline, { k });
    return { forceId, breakdown: shown, headline, disclosure: disclosureOf(shown) };
  });
  const totals = new Map<string, { value: number; forces: number }>();
  const categories = new Set<string>();
  for (const row of rows) {
    for (const cell of row.breakdown?.cells ?? []) {
      categories.add(cell.category);
      if (row.disclosure !== 'SHOWN' || cell.status !== 'REPORTED' || cell.value === null) continue;
      const total = totals.get(cell.category) ?? { value: 0, forces: 0 };
      totals.set(cell.category, { value: total.value + cell.value, forces: total.forces + 1 });
    }
  }
  const ordered = [...categories].sort(categoryOrder(dimension));
  const count = (d: RowDisclosure): number => rows.filter((r) => r.disclosure === d).length;
  const suppressedRows = rows.filter((r) => r.disclosure === 'SUPPRESSED');
  return {
    dimension,
    categories: ordered,
    rows,
    columnTotals: ordered.map((category) => ({
      category,
      ...(totals.get(category) ?? { value: 0, forces: 0 }),
    })),
    coverage: {
      forces: rows.length,
      shown: count('SHOWN'),
      shownIncomplete: rows.filter((r) => r.disclosure === 'SHOWN' && !r.breakdown!.complete).length,
      suppressed: suppressedRows.length,
      suppressedPeople: suppressedRows.some((r) => r.headline === null)
        ? null
        : suppressedRows.reduce((sum, r) => sum + r.headline!, 0),
      notReported: count('NOT_REPORTED'),
      none: count('NONE'),
    },
  };
}

function disclosureOf(breakdown: Breakdown): RowDisclosure {
  if (breakdown.cells.some((c) => c.status === 'SUPPRESSED')) return 'SUPPRESSED';
  return breakdown.cells.some((c) => c.status === 'REPORTED') ? 'SHOWN' : 'NOT_REPORTED';
}

const OFFENCE_ORDER = new Map<string, number>(OFFENCE_CATEGORIES.map((c, i) => [c, i]));

/** Years, levels and thresholds ascending by number; offence categories in their listed order; then text. */
function categoryOrder(dimension: Dimension): (a: string, b: string) => number {
  return (a, b) => {
    if (dimension === 'OFFENCE_CATEGORY') {
      const d = (OFFENCE_ORDER.get(a) ?? Infinity) - (OFFENCE_ORDER.get(b) ?? Infinity);
      if (d) return d;
    }
    const na = leadingNumber(a);
    const nb = leadingNumber(b);
    if (na !== nb) return na - nb;
    return a < b ? -1 : a > b ? 1 : 0;
  };
}

/** The first number in a category (`2014`, `3` of `MAPPA_LEVEL_3`), or Infinity (sorted last). */
function leadingNumber(category: string): number {
  const m = /\d+/.exec(category);
  return m ? Number(m[0]) : Infinity;
}
