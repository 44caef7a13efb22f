import type { Basis, OffenceCategory } from '../domain/figure';
import type { PublishedValues } from './published-values';
import { avoiding } from './published-values';
import type { Random } from './random';
import { hashLabels, intBetween, randomFor, weightedPick } from './random';

/** One force's headline as a simulated force would publish it. */
export interface SimulatedCount {
  readonly forceId: string;
  /** YYYY-MM-DD, at day precision. */
  readonly asAt: string;
  readonly basis: Basis;
  readonly unaccounted: number;
  readonly registered: number;
}

/** One anonymised record: no id, no name, nothing that could single out a person. */
export interface SimulatedRecord {
  readonly forceId: string;
  readonly asAt: string;
  readonly yearWentMissing: number;
  readonly offenceCategory: OffenceCategory;
  readonly mappaLevel: 1 | 2 | 3;
}

/** Breakdown dimensions the simulator serves (the ones records can be reduced to). */
export type SimulatedDimension = 'YEAR_WENT_MISSING' | 'OFFENCE_CATEGORY' | 'MAPPA_LEVEL';

/** One cell of a simulated breakdown; a withheld dimension is one `ALL` cell with no value. */
export interface SimulatedCell {
  readonly forceId: string;
  readonly asAt: string;
  readonly dimension: SimulatedDimension;
  readonly category: string;
  readonly value: number | null;
  readonly status: 'REPORTED' | 'WITHHELD';
}

/** The simulated national total, as an investigation would publish it. */
export interface SimulatedTotal {
  readonly scope: string;
  readonly asAt: string;
  readonly measure: string;
  readonly value: number;
  readonly forcesResponded: number;
  readonly forcesAsked: number;
  readonly notes: string;
}

/** How many forces get a much larger figure (the Metropolitan Police's is several times anyone else's). */
const LARGE_FORCES = 3;
/** Largest step a figure drifts by between two drift intervals, either way. */
const DRIFT_STEP = 3;

const OFFENCE_WEIGHTS: ReadonlyArray<readonly [OffenceCategory, number]> = [
  ['SEXUAL_ASSAULT', 30],
  ['INDECENT_IMAGES', 25],
  ['RAPE', 15],
  ['OTHER', 12],
  ['EXPOSURE', 10],
  ['GROOMING', 8],
];
const MAPPA_WEIGHTS: ReadonlyArray<readonly [1 | 2 | 3, number]> = [
  [1, 80],
  [2, 15],
  [3, 5],
];

/**
 * The simulator's figures: pure functions of (seed, force id, time bucket). Nothing here reads a clock;
 * callers pass the bucket and date, so tests can predict every number.
 */
export class FigureModel {
  private readonly large: ReadonlySet<string>;

  constructor(
    private readonly seed: string,
    private readonly forceIds: readonly string[],
    private readonly published: PublishedValues,
    populations: ReadonlyMap<string, number> = new Map(),
  ) {
    // The most populous areas get the large figures, as in life; the seed breaks ties (and decides
    // alone for forces without a population), so there are always exactly LARGE_FORCES of them.
    const ranked = [...forceIds].sort(
      (a, b) =>
        (populations.get(b) ?? 0) - (populations.get(a) ?? 0) ||
        hashLabels(seed, 'large', a) - hashLabels(seed, 'large', b),
    );
    this.large = new Set(ranked.slice(0, LARGE_FORCES));
  }

  private random(...labels: ReadonlyArray<string | number>): Random {
    return randomFor(this.seed, ...labels);
  }

  /** The headline count of a force in a drift bucket: a stable base plus a small bucket-dependent step. */
  unaccounted(forceId: string, bucket: number): number {
    const base = this.large.has(forceId)
      ? intBetween(this.random('base', forceId), 80, 240)
      : intBetween(this.random('base', forceId), 2, 55);
    const step = intBetween(this.random('drift', forceId, bucket), -DRIFT_STEP, DRIFT_STEP);
    return avoiding(Math.max(0, base + step), this.published.unaccounted.get(forceId));
  }

  /** Registered RSOs in a force area: changes far more slowly than the headline, so it does not drift. */
  registered(forceId: string): number {
    const r = this.random('registered', forceId);
    const value = this.large.has(forceId) ? intBetween(r, 4000, 9000) : intBetween(r, 300, 2500);
    return avoiding(value, this.published.registered.get(forceId));
  }

  /** What the headline counts: mostly whereabouts unknown; a few forces count wanted, or both combined. */
  basis(forceId: string): Basis {
    const h = hashLabels(this.seed, 'basis', forceId) % 12;
    return h === 0 ? 'WANTED' : h === 1 ? 'MISSING_OR_WANTED' : 'WHEREABOUTS_UNKNOWN';
  }

  count(forceId: string, bucket: number, asAt: string): SimulatedCount {
    return {
      forceId,
      asAt,
      basis: this.basis(forceId),
      unaccounted: this.unaccounted(forceId, bucket),
      registered: this.registered(forceId),
    };
  }

  /**
   * The force's records: as many as its headline count. Record `i` depends only on (seed, force, i), so
   * drift adds or removes records at the end instead of reshuffling every one.
   */
  records(forceId: string, bucket: number, asAt: string): SimulatedRecord[] {
    const year = Number(asAt.slice(0, 4));
    const n = this.unaccounted(forceId, bucket);
    return Array.from({ length: n }, (_, i) => {
      const r = this.random('record', forceId, i);
      return {
        forceId,
        asAt,
        // Never the current year: the gateway rejects years after its own clock's.
        yearWentMissing: year - intBetween(r, 1, 12),
        offenceCategory: weightedPick(r, OFFENCE_WEIGHTS),
        mappaLevel: weightedPick(r, MAPPA_WEIGHTS),
      };
    });
  }

  /** Breakdowns of the headline count, consistent with it (each reported dimension sums to it). */
  breakdowns(forceId: string, bucket: number, asAt: string, withheld: readonly string[]): SimulatedCell[] {
    const records = this.records(forceId, bucket, asAt);
    const dimensions: Array<[SimulatedDimension, (r: SimulatedRecord) => string]> = [
      ['YEAR_WENT_MISSING', (r) => String(r.yearWentMissing)],
      ['OFFENCE_CATEGORY', (r) => r.offenceCategory],
      ['MAPPA_LEVEL', (r) => String(r.mappaLevel)],
    ];
    const cells: SimulatedCell[] = [];
    for (const [dimension, categoryOf] of dimensions) {
      if (withheld.includes(dimension)) {
        cells.push({ forceId, asAt, dimension, category: 'ALL', value: null, status: 'WITHHELD' });
        continue;
      }
      const counts = new Map<string, number>();
      for (const record of records) counts.set(categoryOf(record), (counts.get(categoryOf(record)) ?? 0) + 1);
      for (const [category, value] of [...counts].sort(([a], [b]) =>
        a.localeCompare(b, 'en', { numeric: true }),
      )) {
        cells.push({ forceId, asAt, dimension, category, value, status: 'REPORTED' });
      }
    }
    return cells;
  }

  /** The national total: the sum of every force's headline in the bucket (never a published total). */
  total(bucket: number, asAt: string): SimulatedTotal {
    const sum = this.forceIds.reduce((acc, id) => acc + this.unaccounted(id, bucket), 0);
    return {
      scope: 'UK',
      asAt,
      measure: 'whereabouts_unknown',
      value: avoiding(sum, this.published.totals),
      forcesResponded: this.forceIds.length,
      forcesAsked: this.forceIds.length,
      notes: "SIMULATED: made-up figures from the Whereabouts simulator, not any force's published data",
    };
  }
}
