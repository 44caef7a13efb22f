/**
 * The national breakdown table a restricted role is served, with the audit that proves it: the table is
 * built (`nationalBreakdownTable`), everything it shows is turned into the attacker's linear programs
 * (`auditInputOf`) and solved (`auditIntervals`); where a suppressed cell could be told to be small, the
 * column totals that narrow it are withdrawn and the audit runs again, until it passes.
 *
 * By construction the column totals add up shown cells only, so the first audit passes; the loop is the
 * guard that keeps that true if the table ever changes, and it is tested on a release that needs it.
 */
import type { Highs } from 'highs';
import { LRUCache } from 'lru-cache';
import type { NationalBreakdownTable, TableInput } from '../domain/breakdown-table';
import { nationalBreakdownTable } from '../domain/breakdown-table';
import type { Breakdown, Dimension } from '../domain/figure';
import type { AuditReport } from './interval-audit';
import { auditIntervals, loadSolver } from './interval-audit';
import type { Release, ReleasedSum } from './release';
import { auditInputOf, cellId } from './release';

/** What the audit of one table found, as the API reports it. */
export interface AuditSummary {
  readonly k: number;
  /** Suppressed cells whose interval was solved for. */
  readonly cellsChecked: number;
  /** Linear programs solved. */
  readonly solves: number;
  /** Column totals withdrawn so that the audit passes (their categories). */
  readonly withdrawnTotals: readonly string[];
}

/** A table with its column totals possibly withdrawn (value null), and its audit (null for analysts). */
export interface AuditedTable {
  readonly table: NationalBreakdownTable;
  readonly audit: AuditSummary | null;
}

/**
 * Audited tables by what they were made from (dimension, threshold, each force's breakdown version and
 * headline), kept across snapshot generations: a new generation usually brings one source's new headline
 * elsewhere, not a new breakdown by this dimension, and the audit is the costly part (about 0.1 ms a
 * linear program, two per suppressed cell: `test/bench/results/disclosure.md`). The promise is kept, so
 * concurrent first requests share one audit; a failed one is dropped.
 */
const AUDITED = new LRUCache<string, Promise<AuditedTable>>({ max: 256 });

/** The table for one dimension as a role with threshold `k` is served it (`k` null: every cell, no audit). */
export function auditedBreakdownTable(
  dimension: Dimension,
  inputs: readonly TableInput[],
  k: number | null,
): Promise<AuditedTable> {
  if (k === null)
    return Promise.resolve({ table: nationalBreakdownTable(dimension, inputs, null), audit: null });
  const key = [
    dimension,
    k,
    ...inputs.map((i) => `${i.forceId}:${i.headline}:${i.breakdown ? versionKey(i.breakdown) : '-'}`),
  ].join('|');
  let made = AUDITED.get(key);
  if (!made) {
    made = auditTable(dimension, inputs, k);
    AUDITED.set(key, made);
    made.catch(() => AUDITED.delete(key));
  }
  return made;
}

/** A breakdown's identity and version, as far as the table and its audit depend on it. */
function versionKey(breakdown: Breakdown): string {
  return `${cellId(breakdown, '')}:${breakdown.complete}:${breakdown.status}`;
}

/** Builds and audits the table afresh (what `auditedBreakdownTable` keeps); the bench times this. */
export async function auditTable(
  dimension: Dimension,
  inputs: readonly TableInput[],
  k: number,
): Promise<AuditedTable> {
  const table = nationalBreakdownTable(dimension, inputs, k);
  const release = releaseOfTable(table, inputs);
  const { report, withdrawn } = withdrawUntilSafe(await loadSolver(), release, k);
  const withdrawnCategories = new Set(withdrawn.map((sum) => sum.label));
  return {
    table: {
      ...table,
      columnTotals: table.columnTotals.map((total) =>
        withdrawnCategories.has(total.category) ? { ...total, value: null } : total,
      ),
    },
    audit: {
      k,
      cellsChecked: report.intervals.length,
      solves: report.solves,
      withdrawnTotals: [...withdrawnCategories],
    },
  };
}

/**
 * Everything the table shows: each force's breakdown (as shown, beside its truth) and each column total
 * as the sum of the cells it adds up. A total is labelled by its category.
 */
export function releaseOfTable(table: NationalBreakdownTable, inputs: readonly TableInput[]): Release {
  const breakdowns = table.rows.flatMap((row, i) => {
    const truth = inputs[i]!.breakdown;
    return truth && row.breakdown ? [{ truth, shown: row.breakdown, headline: row.headline }] : [];
  });
  const sums = table.columnTotals.flatMap((total): ReleasedSum[] =>
    total.value === null
      ? []
      : [
          {
            label: total.category,
            value: total.value,
            parts: table.rows.flatMap((row, i) =>
              row.disclosure === 'SHOWN' && row.breakdown!.cells.some((c) => c.category === total.category)
                ? [{ breakdown: inputs[i]!.breakdown!, category: total.category }]
                : [],
            ),
          },
        ],
  );
  return { breakdowns, sums };
}

/**
 * Audits `release`; while some suppressed cell is unsafe, withdraws every sum with an unsafe cell among
 * its parts and audits again. Returns the passing audit and the sums withdrawn, in release order. Throws
 * when an unsafe cell is in no sum: the breakdowns alone would disclose it, which the all-or-nothing rule
 * (`protectBreakdown`) rules out, so it is a bug to stop at rather than serve.
 */
export function withdrawUntilSafe(
  solver: Highs,
  release: Release,
  k: number,
): { report: AuditReport; withdrawn: ReleasedSum[] } {
  let sums = [...release.sums];
  const withdrawn: ReleasedSum[] = [];
  for (;;) {
    const report = auditIntervals(solver, auditInputOf({ breakdowns: release.breakdowns, sums }, k));
    if (report.unsafe.length === 0) return { report, withdrawn };
    const unsafe = new Set(report.unsafe.map((c) => c.id));
    const touching = sums.filter((sum) => sum.parts.some((p) => unsafe.has(cellId(p.breakdown, p.category))));
    if (touching.length === 0) {
      throw new Error(
        `disclosure audit: ${report.unsafe.length} suppressed cell(s) narrowed by the breakdowns alone: ` +
          report.unsafe
            .slice(0, 5)
            .map((c) => `${c.id} in [${c.min}, ${c.max}]`)
            .join('; '),
      );
    }
    withdrawn.push(...touching);
    sums = sums.filter((sum) => !touching.includes(sum));
  }
}
