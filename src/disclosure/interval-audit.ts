/**
 * The attacker's linear programs: for every suppressed cell, the smallest and largest value it can take
 * given everything a reader can see (DESIGN.md, "Disclosure control"; README, "Disclosure control:
 * method"). This is the interval audit of sdcTable's `attack()` and τ-ARGUS's audit, solved with HiGHS
 * (npm `highs`, the HiGHS solver compiled to WebAssembly).
 *
 * Why HiGHS: it is a maintained, MIT-licensed LP and MIP solver (University of Edinburgh) that needs no
 * native build and no network; its persistent model lets one model answer every cell's minimum and
 * maximum by changing only the objective, warm-started from the last basis, so a cell costs tens of
 * microseconds rather than a fresh parse. The release it reads is ours (no untrusted text is parsed).
 *
 * Integrality: the LP bound is exact for the tables we publish (sums over rows and columns are totally
 * unimodular, so every vertex is integral). Where another fact makes an LP optimum fractional, the
 * same objective is solved again as an integer program, since a person count is whole and the
 * fractional bound would understate what a reader can pin.
 */
import type { Highs, Model, ModelData } from 'highs';

/** A suppressed cell: an unknown whole count of at least 0. */
export interface AuditCell {
  /** Names the cell across every output it appears in (so the same cell in two outputs is one unknown). */
  readonly id: string;
  /**
   * The most it could be whatever was suppressed: the count it is part of (its force's headline), or
   * `Infinity` when nothing bounds it. An interval of [0, cap] is the most protection suppression gives.
   */
  readonly cap: number;
}

/** Something a reader can work out from the release: `lower ≤ Σ coefficient × cell ≤ upper`. */
export interface LinearFact {
  /** What it comes from, for a reader of the audit (`dorset YEAR_WENT_MISSING 2018-01-17: row sum`). */
  readonly label: string;
  readonly terms: ReadonlyArray<readonly [cellId: string, coefficient: number]>;
  readonly lower: number;
  readonly upper: number;
}

/** The audit's question. */
export interface AuditInput {
  readonly cells: readonly AuditCell[];
  readonly facts: readonly LinearFact[];
  /** The disclosure threshold: a count from 1 to k-1 is small. */
  readonly k: number;
}

/** What a reader can narrow one suppressed cell down to. */
export interface CellInterval {
  readonly id: string;
  readonly min: number;
  readonly max: number;
  readonly cap: number;
  /** Whether the interval passes `isWideEnough`. */
  readonly safe: boolean;
}

/** The audit's answer. */
export interface AuditReport {
  /** One per suppressed cell, in the input's order. */
  readonly intervals: readonly CellInterval[];
  /** The intervals that are not wide enough. */
  readonly unsafe: readonly CellInterval[];
  /** Groups of cells linked by some fact; each is one model. */
  readonly components: number;
  /** Linear programs solved (two per linked cell), and how many were solved again as integer programs. */
  readonly solves: number;
  readonly integerSolves: number;
}

/**
 * The disclosure criterion. A suppressed cell is protected when a reader cannot tell whether it is small:
 * its interval holds a value below k and one of at least k, or is at least k wide, or is all the
 * suppression can give ([0, cap]: a force whose whole count is below k cannot be hidden further).
 */
export function isWideEnough(min: number, max: number, cap: number, k: number): boolean {
  return (min < k && max >= k) || max - min >= k || (min <= 0 && max >= cap);
}

let solverPromise: Promise<Highs> | null = null;

/**
 * The solver, loaded (the WebAssembly module compiled) once per process, at the first audit: its
 * JavaScript (a 165 kB source the heap keeps) is required then too, not at start, so a gateway that
 * never audits a breakdown does not carry it.
 */
export function loadSolver(): Promise<Highs> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy loading, on purpose
  solverPromise ??= (require('highs') as typeof import('highs')).default();
  return solverPromise;
}

/** Raised when the facts admit no counts at all: the release contradicts itself (a bug, not a leak). */
export class InconsistentReleaseError extends Error {
  override readonly name = 'InconsistentReleaseError';
}

const EPSILON = 1e-7;

/**
 * Solves the attacker's programs for every cell: min and max of the cell subject to every fact, each
 * cell in [0, cap]. Cells no fact mentions need no solve ([0, cap]). Synchronous once the solver is
 * loaded; its cost grows with the cells that facts link, not with the release's size.
 */
export function auditIntervals(solver: Highs, input: AuditInput): AuditReport {
  const index = new Map(input.cells.map((c, i) => [c.id, i]));
  const parent = input.cells.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const factCells = input.facts.map((fact) =>
    fact.terms.map(([id, coefficient]) => {
      const i = index.get(id);
      if (i === undefined) throw new RangeError(`fact "${fact.label}" names an unknown cell ${id}`);
      return [i, coefficient] as const;
    }),
  );
  for (const terms of factCells) {
    for (const [i] of terms.slice(1)) parent[find(i)] = find(terms[0]![0]);
  }

  const groups = new Map<number, number[]>();
  input.cells.forEach((_, i) => {
    const root = find(i);
    const group = groups.get(root);
    if (group) group.push(i);
    else groups.set(root, [i]);
  });
  const factsOf = new Map<number, number[]>();
  factCells.forEach((terms, f) => {
    if (terms.length === 0) return;
    const root = find(terms[0]![0]);
    const list = factsOf.get(root);
    if (list) list.push(f);
    else factsOf.set(root, [f]);
  });

  const bounds: Array<readonly [number, number]> = input.cells.map((c) => [0, c.cap]);
  let solves = 0;
  let integerSolves = 0;
  let components = 0;
  for (const [root, members] of groups) {
    const facts = factsOf.get(root);
    if (!facts) continue;
    components++;
    const result = solveComponent(solver, input, members, facts, factCells);
    solves += result.solves;
    integerSolves += result.integerSolves;
    members.forEach((cell, j) => (bounds[cell] = result.bounds[j]!));
  }

  const intervals = input.cells.map((cell, i): CellInterval => {
    const [min, max] = bounds[i]!;
    return { id: cell.id, min, max, cap: cell.cap, safe: isWideEnough(min, max, cell.cap, input.k) };
  });
  return { intervals, unsafe: intervals.filter((c) => !c.safe), components, solves, integerSolves };
}

/** One linked group: one persistent model, two objectives per cell, warm-started. */
function solveComponent(
  solver: Highs,
  input: AuditInput,
  members: readonly number[],
  facts: readonly number[],
  factCells: ReadonlyArray<ReadonlyArray<readonly [number, number]>>,
): { bounds: Array<readonly [number, number]>; solves: number; integerSolves: number } {
  const column = new Map(members.map((cell, j) => [cell, j]));
  const starts = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (const f of facts) {
    // A cell named twice in one fact is one coefficient (the matrix may not repeat a coordinate).
    const merged = new Map<number, number>();
    for (const [cell, coefficient] of factCells[f]!) {
      const j = column.get(cell)!;
      merged.set(j, (merged.get(j) ?? 0) + coefficient);
    }
    for (const [j, coefficient] of [...merged].sort((a, b) => a[0] - b[0])) {
      indices.push(j);
      values.push(coefficient);
    }
    starts.push(indices.length);
  }
  const infinity = solver.infinity;
  const data: ModelData = {
    numCols: members.length,
    numRows: facts.length,
    colCost: new Array<number>(members.length).fill(0),
    colLower: new Array<number>(members.length).fill(0),
    colUpper: members.map((cell) => solverNumber(input.cells[cell]!.cap, infinity)),
    rowLower: facts.map((f) => solverNumber(input.facts[f]!.lower, infinity)),
    rowUpper: facts.map((f) => solverNumber(input.facts[f]!.upper, infinity)),
    matrix: { format: 'csr', numRows: facts.length, numCols: members.length, starts, indices, values },
  };
  const { constants } = solver;
  const model = solver.createModel(data);
  try {
    model.options.set({ output_flag: false });
    let solves = 0;
    let integerSolves = 0;
    const optimum = (j: number, sense: 'min' | 'max'): number => {
      model.changeColCost(j, 1);
      model.changeObjectiveSense(
        sense === 'min' ? constants.objectiveSense.minimize : constants.objectiveSense.maximize,
      );
      let value = run(model, constants.modelStatus, sense);
      solves++;
      if (Number.isFinite(value) && Math.abs(value - Math.round(value)) > EPSILON) {
        // A fractional bound: the whole-number answer is tighter, and it is the one a reader gets.
        model.changeColsIntegrality(
          { kind: 'range', from: 0, to: members.length - 1 },
          new Int32Array(members.length).fill(constants.variableType.integer),
        );
        value = run(model, constants.modelStatus, sense);
        model.clearIntegrality();
        integerSolves++;
      }
      model.changeColCost(j, 0);
      return Number.isFinite(value) ? Math.round(value) : value;
    };
    const bounds = members.map((_, j) => [optimum(j, 'min'), optimum(j, 'max')] as const);
    return { bounds, solves, integerSolves };
  } finally {
    model.dispose();
  }
}

/** `value`, with an infinite bound written as the solver's own infinity. */
function solverNumber(value: number, infinity: number): number {
  return Number.isFinite(value) ? value : value > 0 ? infinity : -infinity;
}

/** Runs the model and returns its optimum; `±Infinity` when the objective is unbounded that way. */
function run(
  model: Model,
  status: {
    readonly optimal: number;
    readonly unbounded: number;
    readonly unboundedOrInfeasible: number;
    readonly infeasible: number;
  },
  sense: 'min' | 'max',
): number {
  model.run();
  const code = model.getModelStatus();
  if (code === status.optimal) return model.getObjectiveValue();
  // Every cell is at least 0 and every fact holds for the true counts, so "unbounded or infeasible"
  // here can only be unbounded (a cell nothing caps from above).
  if (code === status.unbounded || code === status.unboundedOrInfeasible)
    return sense === 'max' ? Infinity : -Infinity;
  if (code === status.infeasible) throw new InconsistentReleaseError('the release admits no counts');
  throw new Error(`the interval audit's solver stopped with model status ${code}`);
}
