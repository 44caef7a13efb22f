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
import { createHash } from 'node:crypto';
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

/**
 * The name of one cell of one breakdown figure (given its true cells), the same in every output it
 * appears in. A source that revises a breakdown without changing its date gives a new figure, so the
 * name carries a digest of the true cells: a revision is a new unknown, and an unchanged figure served
 * again is the same one (the worst case: a reader may well know it did not change).
 */
export function cellId(breakdown: Breakdown, category: string): string {
  const { forceId, dimension, provenance, asAt } = breakdown;
  return [forceId, dimension, provenance.sourceId, asAt.date, versionOf(breakdown), category].join(' ');
}

const versions = new WeakMap<Breakdown, string>();

/** A short digest of a breakdown's true cells, kept per breakdown object (they are immutable). */
function versionOf(breakdown: Breakdown): string {
  let version = versions.get(breakdown);
  if (version === undefined) {
    const cells = breakdown.cells.map((c) => `${c.category}=${c.value ?? c.status}`).join(',');
    version = createHash('sha256').update(cells).digest('base64url').slice(0, 12);
    versions.set(breakdown, version);
  }
  return version;
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
 * Every cell is capped by its headline where there is one. A complete breakdown into a single category
 * is not audited: its one cell is the headline.
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
    // A complete breakdown into one category is its headline, a public figure: nothing to protect.
    if (truth.complete && counts.length === 1 && counts[0]!.value === headline) continue;
    const hidden = counts.filter((c) => !known.has(c.id));
    if (hidden.length === 0) continue;
    // What the reader takes the cells to add up to: the headline, or (complete) their own sum. Forces'
    // figures are sometimes inconsistent (cells adding up to more than the headline); a belief the true
    // counts contradict discloses nothing, so it is left out rather than made into a fact.
    const total = counts.reduce((sum, c) => sum + c.value, 0);
    const bound = headline ?? (truth.complete ? total : null);
    // Cumulative cells overlap (each is at most the headline; their sum may be more).
    const cumulative = CUMULATIVE_DIMENSIONS.has(truth.dimension);
    const reach = cumulative ? Math.max(...counts.map((c) => c.value)) : total;
    const believed = bound !== null && reach <= bound ? bound : null;
    for (const c of hidden) cells.set(c.id, { id: c.id, cap: believed ?? Infinity });
    const label = `${truth.forceId} ${truth.dimension} ${truth.asAt.date}`;

    if (cumulative) {
      const nested = [...counts].sort((a, b) => Number(a.category) - Number(b.category));
      for (let i = 1; i < nested.length; i++) {
        facts.push(fact(`${label}: nested`, [nested[i - 1]!, nested[i]!], [1, -1], known, 0, Infinity));
      }
      continue;
    }
    if (believed === null) continue;
    const exact = truth.complete && total === believed;
    const ones = counts.map(() => 1);
    facts.push(fact(`${label}: row`, counts, ones, known, exact ? believed : -Infinity, believed));
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
