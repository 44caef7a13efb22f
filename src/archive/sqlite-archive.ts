/**
 * The embedded archive: one SQLite file through Node's built-in `node:sqlite` (no native addon to build,
 * nothing to download). Write-ahead logging lets readers go on while a record is written, and lets several
 * processes on one machine share the file; each record is one `BEGIN IMMEDIATE` transaction, so a process
 * killed in the middle of one leaves the file as it was before it (SQLite's journal rolls it back on the
 * next open).
 *
 * `node:sqlite` is synchronous. A record of one report is a few hundred microseconds; a series reads one
 * row per force and point from `figure_days`, in one statement (see `test/bench/archive.ts` for the
 * measured cost at 16 million figures).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { StatementSync } from 'node:sqlite';
import type { Figure, Measure } from '../domain/figure';
import type {
  Archive,
  ArchivedFigure,
  BestAtQuery,
  DayWindow,
  KnownAtQuery,
  RecordOutcome,
  ReportToRecord,
} from './archive';
import type { CitationRow, CitationView, CurrentVersion, StoredRow } from './rows';
import {
  addOutcomes,
  archivedFigureOf,
  citationViewOf,
  DayCells,
  figureFrom,
  incomingRows,
  keyId,
  NO_CHANGE,
  outcomeOf,
  planRecord,
} from './rows';
import type { BestKey } from './sql';
import {
  bestKeyColumns,
  CITATION_VIEW_COLUMNS,
  currentAt,
  DAY_CHOICE_COLUMNS,
  dayChoiceFromFigures,
  dayChoiceOfValues,
  FIGURE_DAYS_COLUMNS,
  FILL_FIGURE_DAYS,
  preferred,
  REPLACE_DAY_CHOICE,
  REVISION_ORDER,
  SELECTION_ORDER,
  STORED_ROW_COLUMNS,
  STORED_ROW_FROM,
} from './sql';

/**
 * The tables' version. 2 added `figure_days`; an archive of version 1 is upgraded when first opened
 * (`upgrade`). A gateway refuses an archive of a version it does not know.
 */
const SCHEMA_VERSION = '2';

/** How long a writer waits for another process's write to finish before failing. */
const BUSY_TIMEOUT_MS = 5_000;

/** Citation ids kept in memory: one per source and per cited row of the bundled data, far below this. */
const CITATION_IDS_KEPT = 100_000;

/**
 * The tables. `figure_keys.first_seen` is when the figure was first recorded, so that "as known at" can
 * skip figures not yet known without reading their versions. Indexes, each for a query that needs it:
 * - `citations.digest` (unique): find a citation again when recording.
 * - `figure_keys` unique key: find a figure again when recording, and keep it one row under races.
 * - `figure_keys_by_force` (force, measure, start descending, precision order, source, citation,
 *   first_seen): in the selection rule's own order, so that `bestAt`'s preferred figure in a window is the
 *   first index entry from the window's end that was known by then (one seek, no sort, no table read:
 *   `bestAt` for a past moment a day's choice postdates); a day's choice again when a record changes it
 *   (the day's first entry); `dateRange`'s first and last day; a force's revisions (by its prefix).
 * - `figure_versions` primary key (key, first_seen): a key's versions in order, its current one last,
 *   and the version current at a moment.
 * - `figure_days` primary key (force, measure, day): a series point's latest day in its window, in a
 *   table of one row per force and day (see `FIGURE_DAYS_COLUMNS`); without rowid, so that the seek
 *   lands on the row itself.
 * Not indexed: `knownAt` over a date range reads every key (tests and small archives use it; series and
 * national answers go through `bestAt`).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS archive_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS citations (
  id INTEGER PRIMARY KEY,
  digest TEXT NOT NULL UNIQUE,
  source_id TEXT NOT NULL,
  title TEXT NOT NULL,
  url TEXT,
  simulated INTEGER NOT NULL,
  extra TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS figure_keys (
  id INTEGER PRIMARY KEY,
  source_id TEXT NOT NULL,
  force_id TEXT NOT NULL,
  measure TEXT NOT NULL,
  basis TEXT NOT NULL,
  as_at TEXT NOT NULL,
  precision TEXT NOT NULL,
  as_at_start TEXT NOT NULL,
  as_at_end TEXT NOT NULL,
  selection_rank INTEGER NOT NULL,
  citation_id INTEGER NOT NULL REFERENCES citations (id),
  first_seen INTEGER NOT NULL,
  UNIQUE (source_id, force_id, measure, basis, as_at, citation_id)
) STRICT;
CREATE INDEX IF NOT EXISTS figure_keys_by_force
  ON figure_keys (force_id, measure, as_at_start DESC, selection_rank, source_id, citation_id, first_seen);
CREATE TABLE IF NOT EXISTS figure_versions (
  key_id INTEGER NOT NULL REFERENCES figure_keys (id),
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  superseded_at INTEGER,
  status TEXT NOT NULL,
  value INTEGER,
  extra TEXT,
  PRIMARY KEY (key_id, first_seen)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS figure_days (
  force_id TEXT NOT NULL,
  measure TEXT NOT NULL,
  day TEXT NOT NULL,
  key_id INTEGER NOT NULL REFERENCES figure_keys (id),
  selection_rank INTEGER NOT NULL,
  source_id TEXT NOT NULL,
  citation_id INTEGER NOT NULL REFERENCES citations (id),
  known_since INTEGER NOT NULL,
  basis TEXT NOT NULL,
  as_at TEXT NOT NULL,
  precision TEXT NOT NULL,
  as_at_end TEXT NOT NULL,
  version_since INTEGER NOT NULL,
  status TEXT NOT NULL,
  value INTEGER,
  extra TEXT,
  PRIMARY KEY (force_id, measure, day)
) STRICT, WITHOUT ROWID;
INSERT INTO archive_meta (name, value) VALUES ('schema_version', '${SCHEMA_VERSION}') ON CONFLICT (name) DO NOTHING;
`;

/** The archive in one SQLite file, created (with its folder) on first open. */
export class SqliteArchive implements Archive {
  readonly kind = 'sqlite' as const;
  private readonly db: DatabaseSync;
  private readonly statements: ReturnType<typeof prepare>;
  /** Citation ids by digest, of committed rows. */
  private readonly citationIds = new Map<string, number>();
  /** Citation ids found or inserted by the transaction under way. */
  private readonly newCitationIds = new Map<string, number>();
  /** Citations as figures show them, by id, once read (a stored citation never changes). */
  private readonly citationViews = new Map<number, CitationView>();

  /** Opens (creating if needed) the archive at `file`; `:memory:` for a throwaway one. */
  constructor(readonly file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
    // Created and upgraded in one immediate transaction: processes opening one file at once take turns,
    // and the second finds the work done.
    this.db.exec('BEGIN IMMEDIATE');
    try {
      this.db.exec(SCHEMA);
      upgrade(this.db, file);
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      this.db.close();
      throw error;
    }
    this.statements = prepare(this.db);
  }

  // Async so that a failure is a rejection, as from every archive, never a synchronous throw.
  async record(reports: readonly ReportToRecord[]): Promise<RecordOutcome> {
    return this.recordNow(reports);
  }

  /** `record`, synchronously: one immediate transaction for all the reports. */
  recordNow(reports: readonly ReportToRecord[]): RecordOutcome {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      let outcome = NO_CHANGE;
      const days = new DayCells();
      for (const report of reports) outcome = addOutcomes(outcome, this.recordOne(report, days));
      // Each day that gained a figure or a version chooses again, after all of them are in.
      for (const [forceId, measure, day] of days) this.statements.chooseDay.run(forceId, measure, day);
      this.db.exec('COMMIT');
      // Ids of citations inserted by this transaction are known good only once it committed.
      if (this.citationIds.size + this.newCitationIds.size > CITATION_IDS_KEPT) this.citationIds.clear();
      for (const [digest, id] of this.newCitationIds) this.citationIds.set(digest, id);
      return outcome;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    } finally {
      this.newCitationIds.clear();
    }
  }

  /** One report's rows, inside the caller's transaction; the days whose choice may change go in `days`. */
  private recordOne({ sourceId, figures, seenAt }: ReportToRecord, days: DayCells): RecordOutcome {
    const incoming = incomingRows(sourceId, figures);
    const s = this.statements;
    const keyIds = new Map<string, number>();
    const current = new Map<string, CurrentVersion>();
    for (const { key, citation } of incoming) {
      const citationId = this.citationId(citation);
      const k = [key.sourceId, key.forceId, key.measure, key.basis, key.asAt] as const;
      // A figure seen for the first time (most of a daily feed's) is one insert; only one seen before is
      // looked up with its current version.
      const added = s.insertKey.get(
        ...k,
        key.precision,
        key.selectionRank,
        key.asAtStart,
        key.asAtEnd,
        citationId,
        seenAt,
      ) as { id: number } | undefined;
      if (added) {
        keyIds.set(keyId(key), added.id);
        continue;
      }
      const held = s.heldKey.get(...k, citationId) as {
        id: number;
        firstSeen: number | null;
        lastSeen: number;
        status: string;
        value: number | null;
        extra: string | null;
      };
      keyIds.set(keyId(key), held.id);
      if (held.firstSeen !== null)
        current.set(keyId(key), {
          firstSeen: held.firstSeen,
          lastSeen: held.lastSeen,
          body: { status: held.status, value: held.value, extra: held.extra },
        });
    }
    const plan = planRecord(incoming, current, seenAt);
    for (const rows of plan.touch) {
      const id = keyIds.get(keyId(rows.key))!;
      s.touch.run(seenAt, id, current.get(keyId(rows.key))!.firstSeen);
    }
    for (const rows of plan.supersede) {
      const id = keyIds.get(keyId(rows.key))!;
      s.supersede.run(seenAt, id, current.get(keyId(rows.key))!.firstSeen);
      s.rerank.run(rows.key.selectionRank, id);
    }
    for (const rows of plan.insert) {
      const id = keyIds.get(keyId(rows.key))!;
      s.insertVersion.run(id, seenAt, seenAt, rows.version.status, rows.version.value, rows.version.extra);
      days.add(rows.key);
    }
    return outcomeOf(incoming, plan);
  }

  /**
   * A citation's id, inserting it the first time. Ids are kept in memory once their transaction
   * committed (rows are never deleted, so a committed id stays right); the map is emptied if it ever
   * grows past `CITATION_IDS_KEPT`.
   */
  private citationId(c: CitationRow): number {
    let id = this.citationIds.get(c.digest) ?? this.newCitationIds.get(c.digest);
    if (id === undefined) {
      this.statements.insertCitation.run(c.digest, c.sourceId, c.title, c.url, c.simulated ? 1 : 0, c.extra);
      id = (this.statements.citationId.get(c.digest) as { id: number }).id;
      this.newCitationIds.set(c.digest, id);
    }
    return id;
  }

  /** A stored citation's view, read once. */
  private citationView(id: number): CitationView {
    let view = this.citationViews.get(id);
    if (view === undefined) {
      if (this.citationViews.size >= CITATION_IDS_KEPT) this.citationViews.clear();
      view = citationViewOf(
        this.statements.citationView.get(id) as unknown as Parameters<typeof citationViewOf>[0],
      );
      this.citationViews.set(id, view);
    }
    return view;
  }

  async knownAt(query: KnownAtQuery): Promise<ArchivedFigure[]> {
    return this.knownAtNow(query);
  }

  /** `knownAt`, synchronously. */
  knownAtNow(query: KnownAtQuery): ArchivedFigure[] {
    const from = query.from ?? '0000-01-01';
    const to = query.to ?? '9999-12-31';
    const measures = query.measures ?? null;
    const rows = measures
      ? measures.flatMap((m) =>
          this.statements.knownAtByMeasure.all(query.knownAt, query.knownAt, m, from, to),
        )
      : this.statements.knownAt.all(query.knownAt, query.knownAt, from, to);
    return rows.map((row) => archivedFigureOf(storedRow(row)));
  }

  async revisions(forceId: string, measure?: Measure): Promise<ArchivedFigure[]> {
    const rows =
      measure === undefined
        ? this.statements.revisions.all(forceId)
        : this.statements.revisionsOfMeasure.all(forceId, measure);
    return rows.map((row) => archivedFigureOf(storedRow(row)));
  }

  async bestAt(query: BestAtQuery): Promise<Array<Map<string, Figure>>> {
    const s = this.statements;
    const prioritised = Object.keys(query.priorities).length > 0 ? JSON.stringify(query.priorities) : null;
    // Windows often end on one day for many points (sparse surveys): each key is read once.
    const figureOfKey = new Map<number, Figure | null>();
    const read = (id: number): Figure | null => {
      let figure = figureOfKey.get(id);
      if (figure === undefined) {
        const row = s.versionAt.get(id, query.knownAt, query.knownAt);
        figure = row ? archivedFigureOf(storedRow(row)).figure : null;
        figureOfKey.set(id, figure);
      }
      return figure;
    };
    // One read transaction: every window sees the same archive, and SQLite takes its read lock once.
    this.db.exec('BEGIN');
    try {
      return this.bestAtNow(query, prioritised, read);
    } finally {
      this.db.exec('COMMIT');
    }
  }

  /** `bestAt` inside its read transaction. */
  private bestAtNow(
    query: BestAtQuery,
    prioritised: string | null,
    read: (id: number) => Figure | null,
  ): Array<Map<string, Figure>> {
    const s = this.statements;
    const out = query.windows.map(() => new Map<string, Figure>());
    // Each window's latest day and the figure it chose, for every force at once: one statement. At 16
    // million figures, 5,400 statements of one seek each cost 34-38 µs apiece, mostly statement overhead;
    // one statement about 8 µs a row (README, Performance: the archive at scale).
    const rows = s.dayChoices.all(
      windowsParameter(query.windows),
      JSON.stringify(query.forceIds),
      query.measure,
    ) as unknown as unknown[][];
    for (const values of rows) {
      const window = values[0] as number;
      const choice = dayChoiceOfValues(values, 1);
      const w = query.windows[window]!;
      const forceId = choice.forceId;
      // The full index only when the day's choice was not yet made at a past moment.
      const head =
        choice.knownSince <= query.knownAt
          ? choice
          : (s.firstInOrder.get(forceId, query.measure, w.to, w.from, query.knownAt) as BestKey | undefined);
      if (!head) continue;
      // A source with a configured priority can beat the head only on its day and at its precision.
      const rivals = prioritised
        ? (s.prioritisedRivals.all(
            prioritised,
            forceId,
            query.measure,
            head.day,
            head.selectionRank,
            query.knownAt,
          ) as unknown as BestKey[])
        : [];
      const chosen = rivals.length === 0 ? head : preferred([head, ...rivals], query.priorities);
      const figure =
        chosen === choice && choice.firstSeen <= query.knownAt
          ? figureFrom(choice, this.citationView(choice.citationId))
          : read(chosen.id);
      if (figure) out[window]!.set(forceId, figure);
    }
    return out;
  }

  async dateRange(query: {
    measure: Measure;
    forceIds: readonly string[];
    knownAt: number;
  }): Promise<DayWindow | null> {
    let from: string | null = null;
    let to: string | null = null;
    for (const forceId of query.forceIds) {
      const first = (
        this.statements.firstDay.get(forceId, query.measure, query.knownAt) as { day: string } | undefined
      )?.day;
      const last = (
        this.statements.lastDay.get(forceId, query.measure, query.knownAt) as { day: string } | undefined
      )?.day;
      if (first !== undefined && (from === null || first < from)) from = first;
      if (last !== undefined && (to === null || last > to)) to = last;
    }
    return from === null ? null : { from, to: to! };
  }

  async count(): Promise<number> {
    return (this.statements.count.get() as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}

/**
 * For each window (`windowsParameter`) and force (a JSON array of ids): the latest day in the window (a
 * seek backwards in figure_days' key) and its choice (a seek forwards), in one statement.
 */
export const DAY_CHOICES = `SELECT w.key AS "window", ${DAY_CHOICE_COLUMNS}
  FROM json_each(?1) w CROSS JOIN json_each(?2) f
  JOIN figure_days d ON d.force_id = f.value AND d.measure = ?3
    AND d.day = (SELECT max(x.day) FROM figure_days x WHERE x.force_id = f.value AND x.measure = ?3
                   AND x.day >= substr(w.value, 1, 10) AND x.day <= substr(w.value, 11, 10))`;

/**
 * Windows as `DAY_CHOICES` takes them: a JSON array of each window's two days written together
 * ("2018-01-012018-03-31"), which the statement cuts with substr; reading a JSON object's fields
 * instead cost the statement about a fifth more (measured at 16 million figures).
 */
export function windowsParameter(windows: readonly DayWindow[]): string {
  const isDay = /^\d{4}-\d{2}-\d{2}$/;
  for (const w of windows)
    if (!isDay.test(w.from) || !isDay.test(w.to))
      throw new RangeError(`a window's days are YYYY-MM-DD: got ${w.from} to ${w.to}`);
  return JSON.stringify(windows.map((w) => w.from + w.to));
}

/** SQLite has no boolean: `simulated` comes back as 0 or 1. */
function storedRow(row: unknown): StoredRow {
  const r = row as Omit<StoredRow, 'simulated'> & { simulated: number };
  return { ...r, simulated: r.simulated === 1 };
}

/**
 * Brings an archive of an earlier schema version to this one, inside the opening transaction; refuses
 * one of a version this gateway does not know (a newer gateway's).
 */
function upgrade(db: DatabaseSync, file: string): void {
  const version = () =>
    (db.prepare(`SELECT value FROM archive_meta WHERE name = 'schema_version'`).get() as { value: string })
      .value;
  if (version() === '1') {
    db.exec(FILL_FIGURE_DAYS);
    db.exec(`UPDATE archive_meta SET value = '2' WHERE name = 'schema_version'`);
  }
  if (version() !== SCHEMA_VERSION)
    throw new Error(
      `the archive at ${file} has schema version ${version()}; this gateway reads ${SCHEMA_VERSION}`,
    );
}

/** A statement that returns rows as arrays of values, in the select list's order. */
function arrays(statement: StatementSync): StatementSync {
  statement.setReturnArrays(true);
  return statement;
}

function prepare(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  return {
    insertCitation: p(
      `INSERT INTO citations (digest, source_id, title, url, simulated, extra) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (digest) DO NOTHING`,
    ),
    citationId: p(`SELECT id FROM citations WHERE digest = ?`),
    insertKey: p(
      `INSERT INTO figure_keys (source_id, force_id, measure, basis, as_at, precision, selection_rank,
         as_at_start, as_at_end, citation_id, first_seen)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
    ),
    heldKey: p(
      `SELECT k.id, v.first_seen AS firstSeen, v.last_seen AS lastSeen, v.status, v.value, v.extra
       FROM figure_keys k LEFT JOIN figure_versions v ON v.key_id = k.id AND v.superseded_at IS NULL
       WHERE k.source_id = ? AND k.force_id = ? AND k.measure = ? AND k.basis = ? AND k.as_at = ?
         AND k.citation_id = ?`,
    ),
    touch: p(`UPDATE figure_versions SET last_seen = ? WHERE key_id = ? AND first_seen = ?`),
    supersede: p(`UPDATE figure_versions SET superseded_at = ? WHERE key_id = ? AND first_seen = ?`),
    rerank: p(`UPDATE figure_keys SET selection_rank = ?1 WHERE id = ?2 AND selection_rank <> ?1`),
    insertVersion: p(
      `INSERT INTO figure_versions (key_id, first_seen, last_seen, status, value, extra) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    knownAt: p(
      `SELECT ${STORED_ROW_COLUMNS} FROM ${STORED_ROW_FROM}
       WHERE ${currentAt('?')} AND k.as_at_start >= ? AND k.as_at_start <= ? AND k.as_at <> ''`,
    ),
    knownAtByMeasure: p(
      `SELECT ${STORED_ROW_COLUMNS} FROM ${STORED_ROW_FROM}
       WHERE ${currentAt('?')} AND k.measure = ? AND k.as_at_start >= ? AND k.as_at_start <= ? AND k.as_at <> ''`,
    ),
    revisions: p(
      `SELECT ${STORED_ROW_COLUMNS} FROM ${STORED_ROW_FROM} WHERE k.force_id = ? ORDER BY ${REVISION_ORDER}`,
    ),
    revisionsOfMeasure: p(
      `SELECT ${STORED_ROW_COLUMNS} FROM ${STORED_ROW_FROM}
       WHERE k.force_id = ? AND k.measure = ? ORDER BY ${REVISION_ORDER}`,
    ),
    count: p(`SELECT count(*) AS n FROM figure_versions`),
    firstInOrder: p(
      `SELECT ${bestKeyColumns()} FROM figure_keys
       WHERE force_id = ? AND measure = ? AND as_at_start <= ? AND as_at_start >= ? AND first_seen <= ?
       ORDER BY ${SELECTION_ORDER} LIMIT 1`,
    ),
    prioritisedRivals: p(
      `SELECT ${bestKeyColumns('k')} FROM figure_keys k JOIN json_each(?) p ON p.key = k.source_id
       WHERE k.force_id = ? AND k.measure = ? AND k.as_at_start = ? AND k.selection_rank = ? AND k.first_seen <= ?`,
    ),
    chooseDay: p(
      `INSERT INTO figure_days (${FIGURE_DAYS_COLUMNS}) ${dayChoiceFromFigures('?1', '?2', '?3')} ${REPLACE_DAY_CHOICE}`,
    ),
    dayChoices: arrays(p(DAY_CHOICES)),
    citationView: p(`SELECT ${CITATION_VIEW_COLUMNS} FROM citations c WHERE c.id = ?`),
    versionAt: p(`SELECT ${STORED_ROW_COLUMNS} FROM ${STORED_ROW_FROM} WHERE k.id = ? AND ${currentAt('?')}`),
    firstDay: p(
      `SELECT as_at_start AS day FROM figure_keys
       WHERE force_id = ? AND measure = ? AND as_at_start > '' AND first_seen <= ? ORDER BY as_at_start LIMIT 1`,
    ),
    lastDay: p(
      `SELECT as_at_start AS day FROM figure_keys
       WHERE force_id = ? AND measure = ? AND as_at_start > '' AND first_seen <= ? ORDER BY as_at_start DESC LIMIT 1`,
    ),
  };
}
