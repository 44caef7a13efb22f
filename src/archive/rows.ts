/**
 * How a figure is laid out in the archive's three tables, shared by both backends so that they store
 * and compare figures identically:
 *
 * - a **citation** (source, title, url, simulated, any further provenance), kept once and referred to;
 * - a **key**: what the figure is about (source, force, measure, basis, as-at date as the source wrote it)
 *   and whose word it is (the citation);
 * - a **version**: what the source said about the key (status, value), from `first_seen` until a revision
 *   replaced it (`superseded_at`).
 *
 * Two figures are the same figure when their keys match, and the same version when status, value and
 * any further fields match too. The citation is part of the key so that two outlets that disagree about
 * one force on one date, in one source, stay two figures each with its provenance, never one revising
 * the other.
 */
import { createHash } from 'node:crypto';
import type { AsAt, Basis, Figure, FigureStatus, Measure, Precision, Provenance } from '../domain/figure';
import { HEADLINE_BASIS_ORDER } from '../domain/selection';
import type { ArchivedFigure, RecordOutcome } from './archive';

/** A citation as stored: one row per distinct provenance, found again by its digest. */
export interface CitationRow {
  readonly digest: string;
  readonly sourceId: string;
  readonly title: string;
  readonly url: string | null;
  readonly simulated: boolean;
  /** Provenance fields beyond those above (JSON), so that a field added later survives the archive. */
  readonly extra: string | null;
}

/** What a figure is about. `basis` and, for an undated figure, `asAt` are '' when absent (a key column). */
export interface KeyRow {
  readonly sourceId: string;
  readonly forceId: string;
  readonly measure: string;
  readonly basis: string;
  readonly asAt: string;
  readonly precision: string;
  /**
   * The selection rule's ties after the date, as one number the rule prefers lower (`selectionRankOf`),
   * so that an index can hold a force's figures in the rule's order.
   */
  readonly selectionRank: number;
  readonly asAtStart: string;
  readonly asAtEnd: string;
  readonly citationDigest: string;
}

/** What the source said about a key. */
export interface VersionBody {
  readonly status: string;
  readonly value: number | null;
  /** Figure fields beyond the known ones (JSON), or null. */
  readonly extra: string | null;
}

/** One incoming figure, split into its rows. */
export interface FigureRows {
  readonly key: KeyRow;
  readonly citation: CitationRow;
  readonly version: VersionBody;
}

/** A version joined with its key and citation: what a figure is read back from. */
export interface FigureRow extends Omit<KeyRow, 'selectionRank'> {
  readonly status: string;
  readonly value: number | null;
  readonly title: string;
  readonly url: string | null;
  readonly simulated: boolean;
  readonly citationExtra: string | null;
  readonly extra: string | null;
  /** When the version was first seen. */
  readonly firstSeen: number;
}

/** A stored version with its whole life: what backends read back for `knownAt` and revisions. */
export interface StoredRow extends FigureRow {
  readonly lastSeen: number;
  readonly supersededAt: number | null;
}

/** The identity of a key as one string, for maps. */
export function keyId(key: KeyRow): string {
  return JSON.stringify([key.sourceId, key.forceId, key.measure, key.basis, key.asAt, key.citationDigest]);
}

/** JSON of the fields of `record` not named in `known`, with sorted keys; null when there are none. */
function extraFields(record: object, known: readonly string[]): string | null {
  const rest = Object.entries(record)
    .filter(([name, value]) => !known.includes(name) && value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return rest.length === 0 ? null : JSON.stringify(Object.fromEntries(rest));
}

const PRECISION_ORDER: Record<Precision, number> = { DAY: 1, MONTH: 2, YEAR: 3 };

/**
 * `isPreferred`'s tie-breaks after the start day, in its order, as one number (lower wins): the finer
 * precision, then the basis earlier in `HEADLINE_BASIS_ORDER`, then an exact value over a lower bound.
 * Priority and source id follow in SQL. A lower bound is a figure's (its version's), so a revision that
 * turns one into an exact value updates its key's rank.
 */
export function selectionRankOf(figure: Figure): number {
  const precision = figure.asAt ? PRECISION_ORDER[figure.asAt.precision] : 9;
  const basis = figure.basis === null ? 0 : HEADLINE_BASIS_ORDER.indexOf(figure.basis);
  return precision * 100 + basis * 10 + (figure.lowerBound === true ? 1 : 0);
}

const FIGURE_FIELDS = ['forceId', 'measure', 'value', 'status', 'basis', 'asAt', 'provenance', 'reason'];
const PROVENANCE_FIELDS = ['sourceId', 'title', 'url', 'retrievedAt', 'simulated'];

/** Splits a figure into its rows. `sourceId` is the recording source's, which the key is filed under. */
export function rowsOf(sourceId: string, figure: Figure): FigureRows {
  const p = figure.provenance;
  const citationExtra = extraFields(p, PROVENANCE_FIELDS);
  const digest = createHash('sha256')
    .update(JSON.stringify([sourceId, p.title, p.url, p.simulated, citationExtra]))
    .digest('hex');
  return {
    key: {
      sourceId,
      forceId: figure.forceId,
      measure: figure.measure,
      basis: figure.basis ?? '',
      asAt: figure.asAt?.date ?? '',
      precision: figure.asAt?.precision ?? '',
      selectionRank: selectionRankOf(figure),
      asAtStart: figure.asAt?.start ?? '',
      asAtEnd: figure.asAt?.end ?? '',
      citationDigest: digest,
    },
    citation: { digest, sourceId, title: p.title, url: p.url, simulated: p.simulated, extra: citationExtra },
    version: {
      status: figure.status,
      value: figure.value,
      extra: extraFields(figure, FIGURE_FIELDS),
    },
  };
}

/** The figure a stored row holds, with its version's times. */
export function archivedFigureOf(row: StoredRow): ArchivedFigure {
  return {
    figure: figureOf(row),
    firstSeen: Number(row.firstSeen),
    lastSeen: Number(row.lastSeen),
    supersededAt: row.supersededAt === null ? null : Number(row.supersededAt),
  };
}

/**
 * A citation as figures show it in their provenance, with its further fields parsed: read once per
 * citation (citations are never changed once stored, so a backend may keep these).
 */
export interface CitationView {
  readonly title: string;
  readonly url: string | null;
  readonly simulated: boolean;
  readonly extra: Readonly<Record<string, unknown>> | null;
}

/** A citation's view from its stored columns (SQLite gives `simulated` as 0 or 1). */
export function citationViewOf(row: {
  readonly title: string;
  readonly url: string | null;
  readonly simulated: boolean | number;
  readonly citationExtra: string | null;
}): CitationView {
  return {
    title: row.title,
    url: row.url,
    simulated: row.simulated === true || row.simulated === 1,
    extra: row.citationExtra ? (JSON.parse(row.citationExtra) as Record<string, unknown>) : null,
  };
}

/** What a figure is read from besides its citation: its key and one version. */
export type FigureFields = Omit<
  FigureRow,
  'title' | 'url' | 'simulated' | 'citationExtra' | 'citationDigest'
>;

/** The figure a row holds, as the source gave it; `retrievedAt` is when this version was first seen. */
export function figureOf(row: FigureRow): Figure {
  return figureFrom(row, citationViewOf(row));
}

/** The figure of a key's version with its citation's view. */
export function figureFrom(row: FigureFields, citation: CitationView): Figure {
  const asAt: AsAt | null =
    row.asAt === ''
      ? null
      : {
          date: row.asAt,
          precision: row.precision as Precision,
          start: row.asAtStart,
          end: row.asAtEnd,
        };
  const provenance: Provenance = {
    ...citation.extra,
    sourceId: row.sourceId,
    title: citation.title,
    url: citation.url,
    retrievedAt: new Date(Number(row.firstSeen)).toISOString(),
    simulated: citation.simulated,
  };
  return {
    ...(row.extra ? (JSON.parse(row.extra) as object) : {}),
    forceId: row.forceId,
    measure: row.measure as Measure,
    value: row.value,
    status: row.status as FigureStatus,
    basis: row.basis === '' ? null : (row.basis as Basis),
    asAt,
    provenance,
    reason: null,
  };
}

/** The version currently held for a key, as a backend reads it to plan a record. */
export interface CurrentVersion {
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly body: VersionBody;
}

/** What recording a report does to each key, planned the same way by both backends. */
export interface RecordPlan {
  /** Keys whose current version was seen again: move `last_seen`. */
  readonly touch: FigureRows[];
  /** Keys whose current version is replaced by a revision at `seenAt`, and keys seen for the first time. */
  readonly insert: FigureRows[];
  /** Of `insert`, the keys that had a version, which is superseded at `seenAt`. */
  readonly supersede: FigureRows[];
  readonly ignored: number;
}

function sameBody(a: VersionBody, b: VersionBody): boolean {
  return a.status === b.status && a.value === b.value && a.extra === b.extra;
}

/**
 * Plans a record at `seenAt` against the versions currently held (by `keyId`). A report older than the
 * current version (one instance's slow write arriving after another's newer one) cannot revise history:
 * it only confirms an equal version, and is otherwise ignored.
 */
export function planRecord(
  incoming: readonly FigureRows[],
  current: ReadonlyMap<string, CurrentVersion>,
  seenAt: number,
): RecordPlan {
  const plan = {
    touch: [] as FigureRows[],
    insert: [] as FigureRows[],
    supersede: [] as FigureRows[],
    ignored: 0,
  };
  for (const rows of incoming) {
    const held = current.get(keyId(rows.key));
    if (!held) plan.insert.push(rows);
    else if (sameBody(held.body, rows.version)) {
      if (seenAt > held.lastSeen) plan.touch.push(rows);
    } else if (seenAt > held.firstSeen) {
      plan.insert.push(rows);
      plan.supersede.push(rows);
    } else plan.ignored += 1;
  }
  return plan;
}

/**
 * The rows of the figures a source gave, one per key: `UNAVAILABLE` figures are skipped (a failure, not
 * a figure), and a key given twice in one report (the same citation giving one figure twice) keeps its
 * first.
 */
export function incomingRows(sourceId: string, figures: readonly Figure[]): FigureRows[] {
  const byKey = new Map<string, FigureRows>();
  for (const figure of figures) {
    if (figure.status === 'UNAVAILABLE') continue;
    const rows = rowsOf(sourceId, figure);
    const id = keyId(rows.key);
    if (!byKey.has(id)) byKey.set(id, rows);
  }
  return [...byKey.values()];
}

/**
 * The days (force, measure, start day) a record gave a figure or a version for: the `figure_days` rows
 * to choose again before it commits. Undated figures have no day, and are left out.
 */
export class DayCells implements Iterable<readonly [string, string, string]> {
  private readonly cells = new Map<string, readonly [string, string, string]>();

  add(key: KeyRow): void {
    if (key.asAtStart === '') return;
    const cell = [key.forceId, key.measure, key.asAtStart] as const;
    this.cells.set(cell.join('\u0000'), cell);
  }

  get size(): number {
    return this.cells.size;
  }

  [Symbol.iterator](): Iterator<readonly [string, string, string]> {
    return this.cells.values();
  }
}

/** Nothing recorded: the start of a sum of outcomes. */
export const NO_CHANGE: RecordOutcome = { added: 0, revised: 0, unchanged: 0, ignored: 0 };

/** The outcome of recording `incoming` by `plan`. */
export function outcomeOf(incoming: readonly FigureRows[], plan: RecordPlan): RecordOutcome {
  return {
    added: plan.insert.length - plan.supersede.length,
    revised: plan.supersede.length,
    unchanged: incoming.length - plan.insert.length - plan.ignored,
    ignored: plan.ignored,
  };
}

/** Two outcomes added up. */
export function addOutcomes(a: RecordOutcome, b: RecordOutcome): RecordOutcome {
  return {
    added: a.added + b.added,
    revised: a.revised + b.revised,
    unchanged: a.unchanged + b.unchanged,
    ignored: a.ignored + b.ignored,
  };
}

/** The distinct citations among rows, by digest. */
export function citationsOf(rows: readonly FigureRows[]): CitationRow[] {
  const byDigest = new Map<string, CitationRow>();
  for (const r of rows) byDigest.set(r.citation.digest, r.citation);
  return [...byDigest.values()];
}
