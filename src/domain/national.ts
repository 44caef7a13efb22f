import type { Force } from './force-registry';
import type { Basis, Figure } from './figure';
import { BASES } from './figure';
import type { PriorityOf } from './selection';
import { selectFigure } from './selection';

/**
 * Why a force is, or is not, in a sum. Each force has exactly one outcome. `LOWER_BOUND`: its figure is
 * only a lower bound (">31300"), shown but never summed.
 */
export const OUTCOMES = [
  'REPORTED',
  'WITHHELD',
  'NOT_HELD',
  'UNAVAILABLE',
  'LOWER_BOUND',
  'NO_FIGURE',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** One force's part in a summary. */
export interface ForceEntry {
  readonly force: Force;
  readonly outcome: Outcome;
  /** The headline figure chosen as at the date (null for `NO_FIGURE`). */
  readonly figure: Figure | null;
  /** When there is no figure in the window: the newest older one, so readers see how old it is. */
  readonly latestOutsideWindow: Figure | null;
  /** Whether the chosen figure is being served stale from cache (its source is failing or refreshing). */
  readonly stale: boolean;
  /** Registered RSOs chosen for the same date (for rates), if any. */
  readonly registered: Figure | null;
}

/** Which forces a total covers. The six outcome counts always add up to `forces`. */
export interface Coverage {
  readonly forces: number;
  readonly reporting: number;
  readonly withheld: number;
  readonly notHeld: number;
  readonly unavailable: number;
  /** Forces whose figure in the window is only a lower bound: not in the sum. */
  readonly lowerBound: number;
  /** Forces with no figure at all in the window. */
  readonly withoutFigure: number;
  /** Reporting forces whose figure is served stale (a subset of `reporting`). */
  readonly stale: number;
  /** Every force not in the sum, for any reason, sorted by id. */
  readonly missing: readonly ForceEntry[];
  readonly reportingForces: readonly Force[];
}

/** The sum of one basis. */
export interface BasisTotal {
  readonly basis: Basis;
  readonly value: number;
  readonly forces: number;
}

/** A rate with the parts it was computed from, over only the forces where both parts are known. */
export interface Rate {
  readonly value: number;
  readonly numerator: number;
  readonly denominator: number;
  readonly forcesIncluded: number;
}

/** A sum over a set of forces as at a date, never without its coverage. */
export interface Summary {
  readonly asAt: string;
  readonly windowDays: number;
  /** Sum of every REPORTED headline figure, across bases (as the published investigations counted). */
  readonly unaccounted: number;
  readonly byBasis: readonly BasisTotal[];
  readonly coverage: Coverage;
  readonly entries: readonly ForceEntry[];
  readonly per1000Registered: Rate | null;
  readonly per100kPopulation: Rate | null;
}

/** Inputs that say how to pick figures. */
export interface SummaryOptions {
  readonly asAt: string;
  readonly windowDays: number;
  /** Window for the registered-RSO denominator, which forces publish yearly (MAPPA reports). */
  readonly registeredWindowDays: number;
  readonly priorityOf: PriorityOf;
  /** Source ids whose figures are currently served stale. */
  readonly staleSources: ReadonlySet<string>;
}

function outcomeOf(figure: Figure | null): Outcome {
  if (figure === null) return 'NO_FIGURE';
  switch (figure.status) {
    case 'REPORTED':
      // Shapes never produce a REPORTED figure without a number; should one appear, it is not summable.
      if (typeof figure.value !== 'number') return 'UNAVAILABLE';
      return figure.lowerBound === true ? 'LOWER_BOUND' : 'REPORTED';
    case 'WITHHELD':
      return 'WITHHELD';
    case 'NOT_HELD':
      return 'NOT_HELD';
    // Disclosure control suppresses breakdown cells, not headlines; should a headline ever be
    // suppressed, it is hidden from this caller just as a withheld one is.
    case 'SUPPRESSED':
      return 'WITHHELD';
    case 'UNAVAILABLE':
      return 'UNAVAILABLE';
    default: {
      const unreachable: never = figure.status;
      throw new Error(`unreachable status ${String(unreachable)}`);
    }
  }
}

/** Picks each force's headline (and registered) figure as at the date. */
export function entriesFor(
  forces: readonly Force[],
  figuresByForce: ReadonlyMap<string, readonly Figure[]>,
  options: SummaryOptions,
): ForceEntry[] {
  return forces.map((force) => {
    const candidates = figuresByForce.get(force.id) ?? [];
    const head = selectFigure(
      candidates,
      'UNACCOUNTED',
      options.asAt,
      options.windowDays,
      options.priorityOf,
    );
    const reg = selectFigure(
      candidates,
      'REGISTERED',
      options.asAt,
      options.registeredWindowDays,
      options.priorityOf,
    );
    const outcome = outcomeOf(head.figure);
    return {
      force,
      outcome,
      figure: head.figure,
      latestOutsideWindow: head.latestOutsideWindow,
      stale: head.figure !== null && options.staleSources.has(head.figure.provenance.sourceId),
      // A lower bound is no denominator: the rate would look exact.
      registered: isSummable(reg.figure) ? reg.figure : null,
    };
  });
}

/**
 * True when a figure contributes a number to a sum or a rate: a REPORTED exact value. Nothing else ever
 * does (not a lower bound, not a withheld or failed figure).
 */
export function isSummable(figure: Figure | null): figure is Figure & { value: number } {
  return (
    figure !== null &&
    figure.status === 'REPORTED' &&
    typeof figure.value === 'number' &&
    figure.lowerBound !== true
  );
}

function rate(parts: Array<[number, number]>, per: number): Rate | null {
  if (parts.length === 0) return null;
  const numerator = parts.reduce((s, [n]) => s + n, 0);
  const denominator = parts.reduce((s, [, d]) => s + d, 0);
  if (denominator <= 0) return null;
  return { value: (numerator / denominator) * per, numerator, denominator, forcesIncluded: parts.length };
}

/** A source whose figures are in a sum, and how many forces' figures it gave to it. */
export interface SumSource {
  readonly sourceId: string;
  readonly title: string;
  readonly url: string | null;
  readonly simulated: boolean;
  readonly forces: number;
}

/**
 * The sources a sum rests on: one per citation (source id, title, url) of the summed figures, with
 * how many forces' figures each gave, most first (then by title), so that a total is never read
 * without knowing whose numbers, real or simulated, it adds up.
 */
export function sourcesOfSum(entries: readonly ForceEntry[]): SumSource[] {
  const bySource = new Map<string, { source: Omit<SumSource, 'forces'>; forces: number }>();
  for (const entry of entries) {
    if (entry.outcome !== 'REPORTED' || !isSummable(entry.figure)) continue;
    const { sourceId, title, url, simulated } = entry.figure.provenance;
    const key = JSON.stringify([sourceId, title, url, simulated]);
    const held = bySource.get(key);
    if (held) held.forces += 1;
    else bySource.set(key, { source: { sourceId, title, url, simulated }, forces: 1 });
  }
  return [...bySource.values()]
    .map(({ source, forces }) => ({ ...source, forces }))
    .sort((a, b) => b.forces - a.forces || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0));
}

/**
 * Sums entries into a summary with its coverage. Pure: the same entries give the same summary.
 * Only `REPORTED` values are summed; every other outcome is counted in coverage instead.
 */
export function summarise(entries: readonly ForceEntry[], asAt: string, windowDays: number): Summary {
  let unaccounted = 0;
  const basis = new Map<Basis, { value: number; forces: number }>();
  const counts: Record<Outcome, number> = {
    REPORTED: 0,
    WITHHELD: 0,
    NOT_HELD: 0,
    UNAVAILABLE: 0,
    LOWER_BOUND: 0,
    NO_FIGURE: 0,
  };
  let stale = 0;
  const regParts: Array<[number, number]> = [];
  const popParts: Array<[number, number]> = [];
  const missing: ForceEntry[] = [];
  const reportingForces: Force[] = [];
  for (const entry of entries) {
    counts[entry.outcome] += 1;
    const figure = entry.figure;
    if (entry.outcome === 'REPORTED' && isSummable(figure)) {
      unaccounted += figure.value;
      reportingForces.push(entry.force);
      const b = basis.get(figure.basis ?? 'WHEREABOUTS_UNKNOWN') ?? { value: 0, forces: 0 };
      b.value += figure.value;
      b.forces += 1;
      basis.set(figure.basis ?? 'WHEREABOUTS_UNKNOWN', b);
      if (entry.stale) stale += 1;
      if (entry.registered && isSummable(entry.registered) && entry.registered.value > 0) {
        regParts.push([figure.value, entry.registered.value]);
      }
      if (entry.force.population) popParts.push([figure.value, entry.force.population.value]);
    } else {
      missing.push(entry);
    }
  }
  return {
    asAt,
    windowDays,
    unaccounted,
    byBasis: BASES.filter((b) => basis.has(b)).map((b) => ({ basis: b, ...basis.get(b)! })),
    coverage: {
      forces: entries.length,
      reporting: counts.REPORTED,
      withheld: counts.WITHHELD,
      notHeld: counts.NOT_HELD,
      unavailable: counts.UNAVAILABLE,
      lowerBound: counts.LOWER_BOUND,
      withoutFigure: counts.NO_FIGURE,
      stale,
      missing: missing.sort((a, b) => a.force.id.localeCompare(b.force.id)),
      reportingForces,
    },
    entries,
    per1000Registered: rate(regParts, 1000),
    per100kPopulation: rate(popParts, 100_000),
  };
}

/** Groups entries by a key (region, nation) and summarises each group, sorted by key. */
export function summariseBy(
  entries: readonly ForceEntry[],
  keyOf: (force: Force) => string,
  asAt: string,
  windowDays: number,
): Array<{ key: string; summary: Summary }> {
  const groups = new Map<string, ForceEntry[]>();
  for (const entry of entries) {
    const key = keyOf(entry.force);
    const list = groups.get(key) ?? [];
    list.push(entry);
    groups.set(key, list);
  }
  return [...groups.keys()]
    .sort()
    .map((key) => ({ key, summary: summarise(groups.get(key)!, asAt, windowDays) }));
}
