/**
 * SQL both backends share: the columns a stored figure is read back with, and the conditions of an
 * "as known at" read. Placeholders differ (`?` in SQLite, `$n` in PostgreSQL), so conditions take them.
 */

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

/** The order of a force's revisions: by date, then source and citation, then oldest version first. */
export const REVISION_ORDER = `k.as_at_start, k.as_at, k.measure, k.basis, k.source_id, c.digest, v.first_seen`;
