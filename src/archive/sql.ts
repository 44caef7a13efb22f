/**
 * SQL both backends share: the columns a stored figure is read back with, and the conditions of an
 * "as known at" read. Placeholders differ (`?` in SQLite, `$n` in PostgreSQL), so conditions take them.
 */
import type { FigureFields } from './rows';

/** The select list of a stored row (`StoredRow`), over `figure_versions v`, `figure_keys k`, `citations c`. */
export const STORED_ROW_COLUMNS = `
  k.source_id AS "sourceId", k.force_id AS "forceId", k.measure AS "measure", k.basis AS "basis",
  k.as_at AS "asAt", k.precision AS "precision", k.as_at_start AS "asAtStart", k.as_at_end AS "asAtEnd",
  c.digest AS "citationDigest", c.title AS "title", c.url AS "url", c.simulated AS "simulated",
  c.extra AS "citationExtra", v.status AS "status", v.value AS "value", v.extra AS "extra",
  v.first_seen AS "firstSeen", v.last_seen AS "lastSeen", v.superseded_at AS "supersededAt"`;

/** The joins of a stored row. */
export const STORED_ROW_FROM = `
  figure_versions v JOIN figure_keys k ON k.id = v.key_id JOIN citations c ON c.id = k.citation_id`;

/**
 * The version current at a moment: first seen by then, and not yet superseded then. `moment` is the
 * placeholder of the epoch-ms moment (used twice).
 */
export function currentAt(moment: string): string {
  return `v.first_seen <= ${moment} AND (v.superseded_at IS NULL OR v.superseded_at > ${moment})`;
}

/**
 * The order `isPreferred` (domain/selection.ts) ranks a force's figures in, without priorities: the
 * latest start, then the finer precision, then the source id, then (two citations of one source) the
 * citation. `figure_keys_by_force` holds keys in this order, so the first known key is the choice.
 */
export const SELECTION_ORDER = 'as_at_start DESC, selection_rank, source_id, citation_id';

/** What `bestAt` reads of a key to choose one. */
export interface BestKey {
  readonly id: number;
  readonly day: string;
  readonly selectionRank: number;
  readonly sourceId: string;
  readonly citationId: number;
}

/** The select list of a `BestKey` over `figure_keys` (as `alias`, if given). */
export function bestKeyColumns(alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return `${a}id, ${a}as_at_start AS "day", ${a}selection_rank AS "selectionRank", ${a}source_id AS "sourceId",
    ${a}citation_id AS "citationId"`;
}

/**
 * Among keys of one day and precision, the one the selection prefers: the higher configured priority,
 * then the source id, then the citation.
 */
export function preferred(keys: readonly BestKey[], priorities: Readonly<Record<string, number>>): BestKey {
  const rank = (k: BestKey) => priorities[k.sourceId] ?? 0;
  return keys.reduce((a, b) => {
    if (rank(a) !== rank(b)) return rank(a) > rank(b) ? a : b;
    if (a.sourceId !== b.sourceId) return a.sourceId < b.sourceId ? a : b;
    return Number(a.citationId) <= Number(b.citationId) ? a : b;
  });
}

/**
 * `figure_days`: for each force, measure and day, the figure the selection rule ranks first among those
 * starting that day (without configured priorities), with a copy of its key and current version. A
 * series asks for the latest figure in each of its windows; this table answers with one seek into a
 * table of one row per force and day, where the full index holds one entry per source and day and the
 * figure itself lies in two more tables (the measured difference is in `test/bench/results/`).
 *
 * It is kept in the same transaction as the figures (`CHOOSE_DAY`), so it never disagrees with them.
 * `known_since` (the key's first sight) and `version_since` (its version's) say when a past moment's
 * answer may come from it: a key first seen after the moment was not a choice then, and a version
 * first seen after it was not current then; `bestAt` then reads the full index, as before this table.
 */
export const FIGURE_DAYS_COLUMNS = `force_id, measure, day, key_id, selection_rank, source_id, citation_id,
  known_since, basis, as_at, precision, as_at_end, version_since, status, value, extra`;

/**
 * The day's choice read from the figures (in `FIGURE_DAYS_COLUMNS` order), for the cell named by the
 * three placeholders: the first entry of `figure_keys_by_force` for that day, with its current version.
 */
export function dayChoiceFromFigures(forceId: string, measure: string, day: string): string {
  return `SELECT k.force_id, k.measure, k.as_at_start, k.id, k.selection_rank, k.source_id, k.citation_id,
      k.first_seen, k.basis, k.as_at, k.precision, k.as_at_end, v.first_seen, v.status, v.value, v.extra
    FROM figure_keys k JOIN figure_versions v ON v.key_id = k.id AND v.superseded_at IS NULL
    WHERE k.force_id = ${forceId} AND k.measure = ${measure} AND k.as_at_start = ${day}
    ORDER BY k.selection_rank, k.source_id, k.citation_id LIMIT 1`;
}

/** Writes a day's choice over the one held (the upsert's tail, after an `INSERT ... SELECT`). */
export const REPLACE_DAY_CHOICE = `ON CONFLICT (force_id, measure, day) DO UPDATE SET
  key_id = excluded.key_id, selection_rank = excluded.selection_rank, source_id = excluded.source_id,
  citation_id = excluded.citation_id, known_since = excluded.known_since, basis = excluded.basis,
  as_at = excluded.as_at, precision = excluded.precision, as_at_end = excluded.as_at_end,
  version_since = excluded.version_since, status = excluded.status, value = excluded.value,
  extra = excluded.extra`;

/**
 * Fills `figure_days` from the figures of an archive written before the table existed (schema 1): each
 * dated cell's first figure in the selection's order. One statement, run once by the upgrade.
 */
export const FILL_FIGURE_DAYS = `
  INSERT INTO figure_days (${FIGURE_DAYS_COLUMNS})
  SELECT force_id, measure, as_at_start, id, selection_rank, source_id, citation_id, first_seen, basis, as_at,
    precision, as_at_end, version_since, status, value, extra
  FROM (
    SELECT k.*, v.first_seen AS version_since, v.status, v.value, v.extra,
      row_number() OVER (PARTITION BY k.force_id, k.measure, k.as_at_start
                         ORDER BY k.selection_rank, k.source_id, k.citation_id) AS place
    FROM figure_keys k JOIN figure_versions v ON v.key_id = k.id AND v.superseded_at IS NULL
    WHERE k.as_at_start <> ''
  ) ranked
  WHERE place = 1`;

/**
 * A day's choice as `bestAt` reads it, over `figure_days d`: the `BestKey` fields, when it became a
 * choice and current, and the figure's own fields (its citation is read apart, once per citation).
 */
export const DAY_CHOICE_COLUMNS = `
  d.key_id AS "id", d.day AS "day", d.selection_rank AS "selectionRank", d.source_id AS "sourceId",
  d.citation_id AS "citationId", d.known_since AS "knownSince", d.version_since AS "firstSeen",
  d.force_id AS "forceId", d.measure AS "measure", d.basis AS "basis", d.as_at AS "asAt",
  d.precision AS "precision", d.day AS "asAtStart", d.as_at_end AS "asAtEnd", d.status AS "status",
  d.value AS "value", d.extra AS "extra"`;

/**
 * A day's choice from the values of `DAY_CHOICE_COLUMNS` in order, from `offset` (a backend that reads
 * rows as arrays: building the object here allocates less than a driver's row object, measured).
 */
export function dayChoiceOfValues(v: readonly unknown[], offset = 0): DayChoiceRow {
  return {
    id: v[offset] as number,
    day: v[offset + 1] as string,
    selectionRank: v[offset + 2] as number,
    sourceId: v[offset + 3] as string,
    citationId: v[offset + 4] as number,
    knownSince: v[offset + 5] as number,
    firstSeen: v[offset + 6] as number,
    forceId: v[offset + 7] as string,
    measure: v[offset + 8] as string,
    basis: v[offset + 9] as string,
    asAt: v[offset + 10] as string,
    precision: v[offset + 11] as string,
    asAtStart: v[offset + 12] as string,
    asAtEnd: v[offset + 13] as string,
    status: v[offset + 14] as string,
    value: v[offset + 15] as number | null,
    extra: v[offset + 16] as string | null,
  };
}

/** The columns of a citation's view (`citationViewOf`), over `citations c`, with its id. */
export const CITATION_VIEW_COLUMNS = `c.id AS "id", c.title AS "title", c.url AS "url", c.simulated AS "simulated",
  c.extra AS "citationExtra"`;

/** A row of `DAY_CHOICE_COLUMNS`: the chosen key, when it became the choice's, and its figure. */
export interface DayChoiceRow extends BestKey, FigureFields {
  /** When the key was first seen: before that, it was no choice. */
  readonly knownSince: number;
}

/** The order of a force's revisions: by date, then source and citation, then oldest version first. */
export const REVISION_ORDER = `k.as_at_start, k.as_at, k.measure, k.basis, k.source_id, c.digest, v.first_seen`;
