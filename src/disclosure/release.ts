/**
 * What a restricted role can see, as the interval audit reads it: every breakdown it is shown (beside
 * the truth it was made from) and every sum over breakdown cells it is shown. Headline counts, regional
 * and national totals and published totals are sums of headlines, which are public numbers: they are the
 * row totals of the facts below, not further facts.
 *
 * A cell is named by the figure it belongs to (force, dimension, source, the date it is as at, category),
 * not by the date it was asked for, so a breakdown served for many dates is one set of unknowns, and an
 * audit over the union of several dates' releases sees every way they can be combined.
 */
import { CUMULATIVE_DIMENSIONS } from '../domain/disclosure';
import type { Breakdown } from '../domain/figure';
import type { AuditCell, AuditInput, LinearFact } from './interval-audit';

/** A breakdown as shown, beside the truth it was made from and the headline it splits. */
export interface ReleasedBreakdown {
  readonly truth: Breakdown;
  readonly shown: Breakdown;
  readonly headline: number | null;
}

/** A published sum of cells: the value, and the cells (of true breakdowns) it adds up. */
export interface ReleasedSum {
  readonly label: string;
  readonly value: number;
  readonly parts: ReadonlyArray<{ readonly breakdown: Breakdown; readonly category: string }>;
}

/** Everything one role is shown, for one date or the union of several. */
export interface Release {
  readonly breakdowns: readonly ReleasedBreakdown[];
  readonly sums: readonly ReleasedSum[];
}

/** The name of one cell of one breakdown figure, the same in every output it appears in. */
export function cellId(breakdown: Breakdown, category: string): string {
  const { forceId, dimension, provenance, asAt } = breakdown;
  return [forceId, dimension, provenance.sourceId, asAt.date, category].join(' ');
}

/** A count cell: reported with a finite value of at least 0. */
function countOf(value: number | null, status: string): number | null {
  return status === 'REPORTED' && typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? value
    : null;
}

/**
 * The audit's unknowns and facts for a release, at threshold `k`. A cell is unknown when no output shows
 * it; a cell shown anywhere is a known number everywhere. Facts:
 * - a breakdown's hidden cells add up to its headline minus its shown cells (complete), or at most that
 *   (incomplete, or complete but adding up to something else, as forces' figures sometimes do);
 * - a cumulative breakdown's cells are nested: "at least 8 years" ≥ "at least 10 years";
 * - a published sum's hidden parts add up to its value minus its shown parts.
 * Every cell is capped by its headline where there is one.
 */
export function auditInputOf(release: Release, k: number): AuditInput {
  const known = new Map<string, number>();
  const truthOf = new Map<string, ReleasedBreakdown>();
  for (const released of release.breakdowns) {
    truthOf.set(cellId(released.truth, ''), released);
    for (const cell of released.shown.cells) {
      const value = countOf(cell.value, cell.status);
      if (value !== null) known.set(cellId(released.truth, cell.category), value);
    }
  }

  const cells = new Map<string, AuditCell>();
  const facts: LinearFact[] = [];
  for (const released of truthOf.values()) {
    const { truth, headline } = released;
    const counts = truth.cells.flatMap((c) => {
      const value = countOf(c.value, c.status);
      return value === null ? [] : [{ id: cellId(truth, c.category), category: c.category, value }];
    });
    const hidden = counts.filter((c) => !known.has(c.id));
    if (hidden.length === 0) continue;
    const cap = headline ?? Infinity;
    for (const c of hidden) cells.set(c.id, { id: c.id, cap });
    const label = `${truth.forceId} ${truth.dimension} ${truth.asAt.date}`;

    if (CUMULATIVE_DIMENSIONS.has(truth.dimension)) {
      const nested = [...counts].sort((a, b) => Number(a.category) - Number(b.category));
      for (let i = 1; i < nested.length; i++) {
        facts.push(fact(`${label}: nested`, [nested[i - 1]!, nested[i]!], [1, -1], known, 0, Infinity));
      }
      continue;
    }
    const total = counts.reduce((sum, c) => sum + c.value, 0);
    const exact = truth.complete && headline === total;
    const rest = headline ?? (truth.complete ? total : null);
    if (rest === null) continue;
    facts.push(
      fact(
        `${label}: row`,
        counts,
        counts.map(() => 1),
        known,
        exact ? rest : -Infinity,
        rest,
      ),
    );
  }

  for (const sum of release.sums) {
    const parts = sum.parts.flatMap(({ breakdown, category }) => {
      const cell = breakdown.cells.find((c) => c.category === category);
      const value = cell ? countOf(cell.value, cell.status) : null;
      return value === null ? [] : [{ id: cellId(breakdown, category), value }];
    });
    for (const p of parts)
      if (!known.has(p.id) && !cells.has(p.id)) cells.set(p.id, { id: p.id, cap: Infinity });
    facts.push(
      fact(
        sum.label,
        parts,
        parts.map(() => 1),
        known,
        sum.value,
        sum.value,
      ),
    );
  }

  return { cells: [...cells.values()], facts: facts.filter((f) => f.terms.length > 0), k };
}

/** `lower ≤ Σ coefficient × cell ≤ upper`, with known cells moved to the bounds. */
function fact(
  label: string,
  cells: ReadonlyArray<{ readonly id: string }>,
  coefficients: readonly number[],
  known: ReadonlyMap<string, number>,
  lower: number,
  upper: number,
): LinearFact {
  let shown = 0;
  const terms: Array<readonly [string, number]> = [];
  cells.forEach((c, i) => {
    const value = known.get(c.id);
    if (value === undefined) terms.push([c.id, coefficients[i]!]);
    else shown += value * coefficients[i]!;
  });
  return { label, terms, lower: lower - shown, upper: upper - shown };
}
