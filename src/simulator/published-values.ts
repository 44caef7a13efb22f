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
  // Rows set aside (a derived sum, a subset, two forces' combined figure) were published all the same.
  for (const file of ['published-figures.csv', 'published-figures-set-aside.csv']) {
    for (const row of readRows(file)) {
      add(unaccounted, row.force_id, row.value);
      add(registered, row.force_id, row.registered);
    }
  }
  for (const row of readRows('scotland-mappa.csv')) {
    add(unaccounted, row.force_id, row.wanted);
    add(unaccounted, row.force_id, row.missing);
    add(registered, row.force_id, row.rsos_at_liberty);
  }
  for (const file of ['mappa.csv', 'registered-force-figures.csv']) {
    for (const row of readRows(file)) add(registered, row.force_id, row.rso_count);
  }
  for (const row of readRows('published-national-totals.csv')) {
    // A lower bound (">31300") is avoided as its number.
    const value = row.value?.replace(/^>\s*/, '');
    if (value && /^\d+$/.test(value)) totals.add(Number(value));
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
