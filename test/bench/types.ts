/** One measured result of `npm run bench`, as it goes into the markdown table and the JSON file. */
export interface ScenarioResult {
  /** The table it belongs to, e.g. `warm`, `cold`, `scale`. */
  readonly section: string;
  /** What was measured, e.g. `cold national p50 (45 sources, 50-200 ms)`. */
  readonly name: string;
  readonly value: number;
  /** e.g. `ms`, `rps`, `MB`, `x R0`. */
  readonly unit: string;
  /** The target in words, e.g. `<= slowest source + 20 ms (220 ms)`. */
  readonly target?: string;
  /** Whether the target was met; absent when the row is context, not a target. */
  readonly pass?: boolean;
  /** Anything else worth keeping in the JSON (raw numbers, configuration). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Options every scenario group takes. */
export interface ScenarioOptions {
  /** `npm run bench -- --quick`: the whole bench within 60 s, with fewer and shorter runs. */
  readonly quick: boolean;
  /** Progress lines (to stderr). */
  readonly log: (line: string) => void;
}
