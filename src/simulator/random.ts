/**
 * Deterministic pseudo-randomness for the simulator. Every simulated number is a pure function of the
 * seed and a few labels (force id, time bucket, record index), so two simulators with the same seed and
 * clock serve byte-identical payloads, and a test can predict what the gateway should see.
 */

/** A 32-bit FNV-1a hash of the labels joined with a separator that cannot occur in them. */
export function hashLabels(...labels: ReadonlyArray<string | number>): number {
  let h = 0x811c9dc5;
  const text = labels.join('\u0000');
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A generator of numbers in [0, 1) (mulberry32): small, fast, and good enough for made-up figures. */
export type Random = () => number;

/** A seeded generator whose stream depends only on the labels given. */
export function randomFor(...labels: ReadonlyArray<string | number>): Random {
  let state = hashLabels(...labels);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A whole number from `min` to `max` inclusive. */
export function intBetween(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Picks one item, each with its relative weight. */
export function weightedPick<T>(random: Random, choices: ReadonlyArray<readonly [T, number]>): T {
  const total = choices.reduce((sum, [, w]) => sum + w, 0);
  let r = random() * total;
  for (const [item, weight] of choices) {
    r -= weight;
    if (r < 0) return item;
  }
  return choices[choices.length - 1]![0];
}
