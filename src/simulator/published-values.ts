import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { DATA_DIR } from '../paths';

/** Values that real sources published, which the simulator must never serve as its own. */
export interface PublishedValues {
  /** Headline (unaccounted-for) values each force has published. */
  readonly unaccounted: ReadonlyMap<string, ReadonlySet<number>>;
  /** Registered-RSO counts each force (or its MAPPA area) has published. */
  readonly registered: ReadonlyMap<string, ReadonlySet<number>>;
  /** National totals any investigation has published. */
  readonly totals: ReadonlySet<number>;
}

function readRows(file: string): Record<string, string>[] {
  try {
    return parse(fs.readFileSync(path.join(DATA_DIR, file), 'utf8'), {
      columns: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
    });
  } catch {
    // Without the reference data there is nothing to avoid; the simulator still works.
    return [];
  }
}

function add(map: Map<string, Set<number>>, key: string | undefined, raw: string | undefined): void {
  if (!key || raw === undefined || raw === '' || !/^\d+$/.test(raw)) return;
  const set = map.get(key) ?? new Set<number>();
  set.add(Number(raw));
  map.set(key, set);
}

let cached: PublishedValues | null = null;

/**
 * Reads the bundled published figures once. Simulated figures skip these values so that a simulated
 * number can never be read (or screenshotted) as a real force's published figure.
 */
export function publishedValues(): PublishedValues {
  if (cached) return cached;
  const unaccounted = new Map<string, Set<number>>();
  const registered = new Map<string, Set<number>>();
  const totals = new Set<number>();
  for (const row of readRows('published-figures.csv')) {
    add(unaccounted, row.force_id, row.value);
    add(registered, row.force_id, row.registered);
  }
  for (const row of readRows('mappa.csv')) add(registered, row.force_id, row.rso_count);
  for (const row of readRows('published-national-totals.csv')) {
    if (row.value && /^\d+$/.test(row.value)) totals.add(Number(row.value));
  }
  cached = { unaccounted, registered, totals };
  return cached;
}

/** The first value at or above `value` that is not in `avoid`. */
export function avoiding(value: number, avoid: ReadonlySet<number> | undefined): number {
  let v = value;
  while (avoid?.has(v)) v += 1;
  return v;
}
