import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { DATA_DIR } from '../paths';

/** The four UK nations a territorial force belongs to. */
export const NATIONS = ['England', 'Wales', 'Scotland', 'Northern Ireland'] as const;
export type Nation = (typeof NATIONS)[number];

/** A population figure for a police force area, with where it comes from. */
export interface ForcePopulation {
  readonly value: number;
  /** What the number is, e.g. "House of Commons Library SN00634 (c. mid-2018)". */
  readonly label: string;
  readonly source: string;
}

/** A territorial police force: the unit every figure belongs to. */
export interface Force {
  /** data.police.uk slug (e.g. `dorset`); `police-scotland` is this project's own. */
  readonly id: string;
  readonly name: string;
  /** ONS GSS code of the police force area; Northern Ireland has only the pseudo code N99999999. */
  readonly gssCode: string | null;
  readonly nation: Nation;
  readonly region: string;
  readonly population: ForcePopulation | null;
}

const forceRowSchema = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'a lower-case slug such as "dorset" or "avon-and-somerset"'),
  name: z.string().min(1),
  gss_code: z.string().optional().default(''),
  nation: z.string().min(1),
  region: z.string().min(1),
});

/** Rows of a forces CSV: `id,name,gss_code,nation,region` (more columns are ignored). */
export type ForceRow = z.input<typeof forceRowSchema>;

/** Thrown when a forces file is not what the registry accepts; the message names file, row and field. */
export class ForceRegistryError extends Error {
  override readonly name = 'ForceRegistryError';
}

/**
 * The set of forces a national total is counted over. Immutable; lookups are O(1).
 * The registry is data, not code: the default holds the 45 UK territorial forces from the bundled
 * `forces.csv` (British Transport Police is listed there but is not territorial, so is left out).
 */
export class ForceRegistry {
  private readonly byId: ReadonlyMap<string, Force>;

  constructor(forces: readonly Force[]) {
    const map = new Map<string, Force>();
    for (const force of forces) {
      if (map.has(force.id)) throw new ForceRegistryError(`duplicate force id "${force.id}"`);
      map.set(force.id, Object.freeze(force));
    }
    this.byId = map;
    this.all = Object.freeze([...map.values()].sort((a, b) => a.id.localeCompare(b.id)));
  }

  /** Every force, sorted by id. */
  readonly all: readonly Force[];

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Force | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The ids in `ids` that are not in the registry, in the order given, without repeats. */
  unknownIds(ids: readonly string[]): string[] {
    return [...new Set(ids.filter((id) => !this.byId.has(id)))];
  }

  /** A registry with `extra` forces added; an id already present is replaced by the new entry. */
  extendedWith(extra: readonly Force[]): ForceRegistry {
    const merged = new Map(this.byId);
    for (const force of extra) merged.set(force.id, force);
    return new ForceRegistry([...merged.values()]);
  }
}

function readCsv(file: string): Record<string, string>[] {
  return parse(fs.readFileSync(file, 'utf8'), {
    columns: true,
    skip_empty_lines: true,
    trim: true,
    bom: true,
  });
}

/** Population per force from the bundled `population.csv`: HoC SN00634 where present, else Census 2011. */
export function loadBundledPopulations(
  file = path.join(DATA_DIR, 'population.csv'),
): Map<string, ForcePopulation> {
  const out = new Map<string, ForcePopulation>();
  for (const row of readCsv(file)) {
    const id = row.force_id ?? '';
    const hoc = Number(row.pop_hoc_sn00634);
    const census = Number(row.census_2011_usual_residents);
    if (row.pop_hoc_sn00634 && Number.isFinite(hoc) && hoc > 0) {
      out.set(id, {
        value: hoc,
        label:
          'House of Commons Library SN00634 population (rounded to 100; consistent with ONS mid-2018 estimates)',
        source: row.pop_hoc_source ?? '',
      });
    } else if (row.census_2011_usual_residents && Number.isFinite(census) && census > 0) {
      out.set(id, {
        value: census,
        label: '2011 Census usual residents',
        source: row.census_2011_source ?? '',
      });
    }
  }
  return out;
}

/**
 * Reads a forces CSV into forces. Rows whose nation is not one of the four UK nations are
 * non-territorial (British Transport Police) and are skipped.
 */
export function readForcesCsv(
  file: string,
  populations: ReadonlyMap<string, ForcePopulation> = new Map(),
): Force[] {
  const forces: Force[] = [];
  readCsv(file).forEach((raw, index) => {
    const parsed = forceRowSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ForceRegistryError(
        `${path.basename(file)} row ${index + 2}: field "${issue?.path.join('.')}" ${issue?.message ?? 'is invalid'}`,
      );
    }
    const row = parsed.data;
    if (!(NATIONS as readonly string[]).includes(row.nation)) return;
    forces.push({
      id: row.id,
      name: row.name,
      gssCode: row.gss_code || null,
      nation: row.nation as Nation,
      region: row.region,
      population: populations.get(row.id) ?? null,
    });
  });
  return forces;
}

/** The default registry: the 45 UK territorial forces, with populations where published. */
export function loadDefaultRegistry(): ForceRegistry {
  return new ForceRegistry(readForcesCsv(path.join(DATA_DIR, 'forces.csv'), loadBundledPopulations()));
}
