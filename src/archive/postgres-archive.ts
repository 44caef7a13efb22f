/**
 * The archive in PostgreSQL (`DATABASE_URL`), for deployments with several instances or more history
 * than one machine's file should hold. Same tables and the same planning as the SQLite archive
 * (`rows.ts`); each record is one transaction that first takes a transaction-scoped advisory lock on its
 * source, so that instances recording the same source at once queue behind each other rather than
 * both inserting its new version. Rows go in as arrays (`unnest`): a record is a handful of round trips
 * whatever the number of reports and figures in it.
 */
import pg from 'pg';
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
import type { CitationView, CurrentVersion, FigureRows, StoredRow } from './rows';
import {
  addOutcomes,
  archivedFigureOf,
  citationsOf,
  citationViewOf,
  DayCells,
  figureFrom,
  incomingRows,
  keyId,
  NO_CHANGE,
  outcomeOf,
  planRecord,
} from './rows';
import type { BestKey, DayChoiceRow } from './sql';
import {
  bestKeyColumns,
  CITATION_VIEW_COLUMNS,
  currentAt,
  DAY_CHOICE_COLUMNS,
  dayChoiceFromFigures,
  FIGURE_DAYS_COLUMNS,
  FILL_FIGURE_DAYS,
  preferred,
  REPLACE_DAY_CHOICE,
  REVISION_ORDER,
  SELECTION_ORDER,
  STORED_ROW_COLUMNS,
  STORED_ROW_FROM,
} from './sql';

/** The tables' version, as in the SQLite archive: 2 added `figure_days`, and a version 1 is upgraded. */
const SCHEMA_VERSION = '2';

/** The tables; the same indexes as the SQLite archive, each for the query named there. */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS archive_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS citations (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  digest TEXT NOT NULL UNIQUE,
  source_id TEXT NOT NULL,
  title TEXT NOT NULL,
  url TEXT,
  simulated BOOLEAN NOT NULL,
  extra TEXT
);
CREATE TABLE IF NOT EXISTS figure_keys (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_id TEXT NOT NULL,
  force_id TEXT NOT NULL,
  measure TEXT NOT NULL,
  basis TEXT NOT NULL,
  as_at TEXT NOT NULL,
  precision TEXT NOT NULL,
  as_at_start TEXT NOT NULL,
  as_at_end TEXT NOT NULL,
  selection_rank SMALLINT NOT NULL,
  citation_id BIGINT NOT NULL REFERENCES citations (id),
  first_seen BIGINT NOT NULL,
  UNIQUE (source_id, force_id, measure, basis, as_at, citation_id)
);
CREATE INDEX IF NOT EXISTS figure_keys_by_force
  ON figure_keys (force_id, measure, as_at_start DESC, selection_rank, source_id, citation_id, first_seen);
CREATE TABLE IF NOT EXISTS figure_versions (
  key_id BIGINT NOT NULL REFERENCES figure_keys (id),
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  superseded_at BIGINT,
  status TEXT NOT NULL,
  value INTEGER,
  extra TEXT,
  PRIMARY KEY (key_id, first_seen)
);
CREATE TABLE IF NOT EXISTS figure_days (
  force_id TEXT NOT NULL,
  measure TEXT NOT NULL,
  day TEXT NOT NULL,
  key_id BIGINT NOT NULL REFERENCES figure_keys (id),
  selection_rank SMALLINT NOT NULL,
  source_id TEXT NOT NULL,
  citation_id BIGINT NOT NULL REFERENCES citations (id),
  known_since BIGINT NOT NULL,
  basis TEXT NOT NULL,
  as_at TEXT NOT NULL,
  precision TEXT NOT NULL,
  as_at_end TEXT NOT NULL,
  version_since BIGINT NOT NULL,
  status TEXT NOT NULL,
  value INTEGER,
  extra TEXT,
  PRIMARY KEY (force_id, measure, day)
);
INSERT INTO archive_meta (name, value) VALUES ('schema_version', '${SCHEMA_VERSION}') ON CONFLICT (name) DO NOTHING;
`;

/** Citation views kept in memory: one per source and per cited row of the bundled data, far below this. */
const CITATION_VIEWS_KEPT = 100_000;

/** Any 64-bit number the gateway's instances agree on, for the lock that serialises creating the tables. */
const SCHEMA_LOCK = 0x57686572_6561; // "Wherea"

/** PostgreSQL returns BIGINT as text (it may exceed a double); epoch milliseconds never do. */
function storedRow(row: Record<string, unknown>): StoredRow {
  return {
    ...(row as unknown as StoredRow),
    firstSeen: Number(row.firstSeen),
    lastSeen: Number(row.lastSeen),
    supersededAt: row.supersededAt === null ? null : Number(row.supersededAt),
  };
}

/**
 * Brings a database of an earlier schema version to this one (in one transaction, under the schema
 * lock the caller holds); refuses one of a version this gateway does not know (a newer gateway's).
 */
async function upgrade(client: pg.PoolClient): Promise<void> {
  const version = async () =>
    (await client.query<{ value: string }>(`SELECT value FROM archive_meta WHERE name = 'schema_version'`))
      .rows[0]?.value;
  if ((await version()) === '1') {
    await client.query('BEGIN');
    try {
      await client.query(FILL_FIGURE_DAYS);
      await client.query(`UPDATE archive_meta SET value = '2' WHERE name = 'schema_version'`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  }
  const found = await version();
  if (found !== SCHEMA_VERSION)
    throw new Error(`the archive database has schema version ${found}; this gateway reads ${SCHEMA_VERSION}`);
}

/**
 * Chooses each day's figure again (`figure_days`), inside a record's transaction. Instances recording
 * different sources for one day at once would each choose among the figures they can see, and the
 * later write could lose the earlier's better figure; so each day is first locked (a transaction-scoped
 * advisory lock, taken in one order by every instance, after the source locks), and the choice is read
 * after the lock is held, when every earlier holder's figures are committed and visible.
 */
async function chooseDays(client: pg.PoolClient, days: DayCells): Promise<void> {
  const cells = [...days];
  const columns = [cells.map((c) => c[0]), cells.map((c) => c[1]), cells.map((c) => c[2])];
  await client.query(
    `SELECT pg_advisory_xact_lock(hashtextextended('whereabouts.archive.day:' || f || ' ' || m || ' ' || d, 0))
     FROM (SELECT DISTINCT * FROM unnest($1::text[], $2::text[], $3::text[]) AS c (f, m, d) ORDER BY 1, 2, 3) AS cells`,
    columns,
  );
  await client.query(
    `INSERT INTO figure_days (${FIGURE_DAYS_COLUMNS})
     SELECT chosen.* FROM unnest($1::text[], $2::text[], $3::text[]) AS cell (f, m, d)
     CROSS JOIN LATERAL (${dayChoiceFromFigures('cell.f', 'cell.m', 'cell.d')}) AS chosen
     ${REPLACE_DAY_CHOICE}`,
    columns,
  );
}

/** A day's choice as read: BIGINT columns come back as text. */
function dayChoiceRow(row: Record<string, unknown>): DayChoiceRow {
  return {
    ...(row as unknown as DayChoiceRow),
    id: Number(row.id),
    citationId: Number(row.citationId),
    knownSince: Number(row.knownSince),
    firstSeen: Number(row.firstSeen),
  };
}

/** The archive in a PostgreSQL database. Open with `PostgresArchive.open`. */
export class PostgresArchive implements Archive {
  readonly kind = 'postgres' as const;

  /** Citations as figures show them, by id, once read (a stored citation never changes). */
  private readonly citationViews = new Map<number, CitationView>();

  private constructor(private readonly pool: pg.Pool) {}

  /**
   * Connects, and creates the tables when they are missing (under an advisory lock, so that instances
   * starting together do not race on `CREATE TABLE`). The connection string stays in the pool: it is
   * never logged or put in an error.
   */
  static async open(connectionString: string, options: { max?: number } = {}): Promise<PostgresArchive> {
    const pool = new pg.Pool({ connectionString, max: options.max ?? 4, connectionTimeoutMillis: 5_000 });
    // An idle client's connection dropping (a database restart) must not crash the process.
    pool.on('error', () => {});
    try {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
        try {
          await client.query(SCHEMA);
          await upgrade(client);
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]);
        }
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresArchive(pool);
  }

  async record(reports: readonly ReportToRecord[]): Promise<RecordOutcome> {
    // Every row tagged with its report's fetch time; keys already carry their source.
    const perReport = reports.map((r) => incomingRows(r.sourceId, r.figures));
    const incoming = perReport.flatMap((rows, i) =>
      rows.map((r) => ({ rows: r, seenAt: reports[i]!.seenAt })),
    );
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // One lock per source, taken in one order by every instance (so two never wait on each other).
      await client.query(
        `SELECT pg_advisory_xact_lock(hashtextextended('whereabouts.archive:' || s, 0))
         FROM (SELECT DISTINCT unnest($1::text[]) AS s ORDER BY 1) AS sources`,
        [reports.map((r) => r.sourceId)],
      );
      const citations = citationsOf(incoming.map((i) => i.rows));
      await client.query(
        `INSERT INTO citations (digest, source_id, title, url, simulated, extra)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::text[])
         ON CONFLICT (digest) DO NOTHING`,
        [
          citations.map((c) => c.digest),
          citations.map((c) => c.sourceId),
          citations.map((c) => c.title),
          citations.map((c) => c.url),
          citations.map((c) => c.simulated),
          citations.map((c) => c.extra),
        ],
      );
      const citationIds = new Map(
        (
          await client.query<{ id: string; digest: string }>(
            `SELECT id, digest FROM citations WHERE digest = ANY($1)`,
            [citations.map((c) => c.digest)],
          )
        ).rows.map((r) => [r.digest, r.id]),
      );
      const keys = incoming.map((i) => i.rows.key);
      const keyColumns = [
        keys.map((k) => k.sourceId),
        keys.map((k) => k.forceId),
        keys.map((k) => k.measure),
        keys.map((k) => k.basis),
        keys.map((k) => k.asAt),
        keys.map((k) => citationIds.get(k.citationDigest)!),
      ];
      await client.query(
        `INSERT INTO figure_keys (source_id, force_id, measure, basis, as_at, citation_id, precision, selection_rank,
           as_at_start, as_at_end, first_seen)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
           $8::smallint[], $9::text[], $10::text[], $11::bigint[])
         ON CONFLICT DO NOTHING`,
        [
          ...keyColumns,
          keys.map((k) => k.precision),
          keys.map((k) => k.selectionRank),
          keys.map((k) => k.asAtStart),
          keys.map((k) => k.asAtEnd),
          incoming.map((i) => i.seenAt),
        ],
      );
      const held = await client.query<{
        id: string;
        source_id: string;
        force_id: string;
        measure: string;
        basis: string;
        as_at: string;
        digest: string;
        first_seen: string | null;
        last_seen: string | null;
        status: string | null;
        value: number | null;
        extra: string | null;
      }>(
        `SELECT k.id, k.source_id, k.force_id, k.measure, k.basis, k.as_at, c.digest, cur.first_seen, cur.last_seen,
                cur.status, cur.value, cur.extra
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
           AS i (source_id, force_id, measure, basis, as_at, citation_id)
         JOIN figure_keys k ON k.source_id = i.source_id AND k.force_id = i.force_id AND k.measure = i.measure
           AND k.basis = i.basis AND k.as_at = i.as_at AND k.citation_id = i.citation_id
         JOIN citations c ON c.id = k.citation_id
         LEFT JOIN LATERAL (
           SELECT first_seen, last_seen, status, value, extra FROM figure_versions
           WHERE key_id = k.id ORDER BY first_seen DESC LIMIT 1
         ) cur ON true`,
        keyColumns,
      );
      const keyIds = new Map<string, string>();
      const current = new Map<string, CurrentVersion>();
      for (const row of held.rows) {
        const id = keyId({
          sourceId: row.source_id,
          forceId: row.force_id,
          measure: row.measure,
          basis: row.basis,
          asAt: row.as_at,
          citationDigest: row.digest,
          precision: '',
          selectionRank: 0,
          asAtStart: '',
          asAtEnd: '',
        });
        keyIds.set(id, row.id);
        if (row.first_seen !== null)
          current.set(id, {
            firstSeen: Number(row.first_seen),
            lastSeen: Number(row.last_seen),
            body: { status: row.status!, value: row.value, extra: row.extra },
          });
      }
      // Planned per report (each has its own fetch time), applied together.
      const touch: Array<{ rows: FigureRows; seenAt: number }> = [];
      const supersede: Array<{ rows: FigureRows; seenAt: number }> = [];
      const insert: Array<{ rows: FigureRows; seenAt: number }> = [];
      let outcome = NO_CHANGE;
      for (const [index, report] of reports.entries()) {
        const mine = perReport[index]!;
        const plan = planRecord(mine, current, report.seenAt);
        const at = (rows: FigureRows) => ({ rows, seenAt: report.seenAt });
        touch.push(...plan.touch.map(at));
        supersede.push(...plan.supersede.map(at));
        insert.push(...plan.insert.map(at));
        outcome = addOutcomes(outcome, outcomeOf(mine, plan));
      }
      const versionOf = (list: typeof touch) => [
        list.map((i) => i.seenAt),
        list.map((i) => keyIds.get(keyId(i.rows.key))!),
        list.map((i) => current.get(keyId(i.rows.key))!.firstSeen),
      ];
      if (touch.length > 0)
        await client.query(
          `UPDATE figure_versions v SET last_seen = u.seen
           FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u (seen, key_id, first_seen)
           WHERE v.key_id = u.key_id AND v.first_seen = u.first_seen`,
          versionOf(touch),
        );
      if (supersede.length > 0) {
        await client.query(
          `UPDATE figure_versions v SET superseded_at = u.seen
           FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u (seen, key_id, first_seen)
           WHERE v.key_id = u.key_id AND v.first_seen = u.first_seen`,
          versionOf(supersede),
        );
        // A revision may turn a lower bound into an exact value: the key's place in the selection moves.
        await client.query(
          `UPDATE figure_keys k SET selection_rank = u.rank FROM unnest($1::bigint[], $2::smallint[]) AS u (id, rank)
           WHERE k.id = u.id AND k.selection_rank <> u.rank`,
          [
            supersede.map((i) => keyIds.get(keyId(i.rows.key))!),
            supersede.map((i) => i.rows.key.selectionRank),
          ],
        );
      }
      if (insert.length > 0)
        await client.query(
          `INSERT INTO figure_versions (key_id, first_seen, last_seen, status, value, extra)
           SELECT key_id, seen, seen, status, value, extra
           FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::integer[], $5::text[]) AS i (key_id, seen, status, value, extra)`,
          [
            insert.map((i) => keyIds.get(keyId(i.rows.key))!),
            insert.map((i) => i.seenAt),
            insert.map((i) => i.rows.version.status),
            insert.map((i) => i.rows.version.value),
            insert.map((i) => i.rows.version.extra),
          ],
        );
      const days = new DayCells();
      for (const i of insert) days.add(i.rows.key);
      if (days.size > 0) await chooseDays(client, days);
      await client.query('COMMIT');
      return outcome;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async knownAt(query: KnownAtQuery): Promise<ArchivedFigure[]> {
    const { rows } = await this.pool.query(
      `SELECT ${STORED_ROW_COLUMNS} FROM ${STORED_ROW_FROM}
       WHERE ${currentAt('$1::bigint')} AND k.as_at_start >= $2 AND k.as_at_start <= $3 AND k.as_at <> ''
         AND ($4::text[] IS NULL OR k.measure = ANY($4))`,
      [query.knownAt, query.from ?? '0000-01-01', query.to ?? '9999-12-31', query.measures ?? null],
    );
    return rows.map((row) => archivedFigureOf(storedRow(row)));
  }

  async revisions(forceId: string, measure?: Measure): Promise<ArchivedFigure[]> {
    const { rows } = await this.pool.query(
      `SELECT ${STORED_ROW_COLUMNS} FROM ${STORED_ROW_FROM}
       WHERE k.force_id = $1 AND ($2::text IS NULL OR k.measure = $2) ORDER BY ${REVISION_ORDER}`,
      [forceId, measure ?? null],
    );
    return rows.map((row) => archivedFigureOf(storedRow(row)));
  }

  async bestAt(query: BestAtQuery): Promise<Array<Map<string, Figure>>> {
    // For each window and force, the window's latest day and the figure it chose, in one round trip.
    // Only when that choice was not yet made at a past moment, the first known key in the selection's
    // order (an index read from the window's end); then rivals from prioritised sources, if any; then
    // the versions that were current at the moment, where the day's copy is not.
    const windowColumns = [query.windows.map((w) => w.from), query.windows.map((w) => w.to)];
    const choices = (
      await this.pool.query<Record<string, unknown>>(
        `SELECT w.i AS "window", ${DAY_CHOICE_COLUMNS}
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w (day_from, day_to, i)
         CROSS JOIN unnest($3::text[]) AS f (force_id)
         CROSS JOIN LATERAL (
           SELECT * FROM figure_days
           WHERE force_id = f.force_id AND measure = $4 AND day <= w.day_to AND day >= w.day_from
           ORDER BY day DESC LIMIT 1
         ) d`,
        [...windowColumns, query.forceIds, query.measure],
      )
    ).rows.map((r) => ({ ...dayChoiceRow(r), at: `${String(r.window)} ${r.forceId as string}` }));
    const chosen = new Map<string, BestKey>();
    const choiceAt = new Map<string, DayChoiceRow>();
    const unmade: string[] = [];
    for (const choice of choices) {
      if (choice.knownSince <= query.knownAt) {
        chosen.set(choice.at, choice);
        choiceAt.set(choice.at, choice);
      } else unmade.push(choice.at);
    }
    if (unmade.length > 0) {
      const heads = (
        await this.pool.query<BestKey & { window: string; forceId: string }>(
          `SELECT a.i AS "window", a.force_id AS "forceId", h.*
           FROM unnest($1::bigint[], $2::text[]) AS a (i, force_id)
           JOIN unnest($3::text[], $4::text[]) WITH ORDINALITY AS w (day_from, day_to, i) ON w.i = a.i
           CROSS JOIN LATERAL (
             SELECT ${bestKeyColumns()} FROM figure_keys
             WHERE force_id = a.force_id AND measure = $5 AND as_at_start <= w.day_to AND as_at_start >= w.day_from
               AND first_seen <= $6::bigint
             ORDER BY ${SELECTION_ORDER} LIMIT 1
           ) h`,
          [
            unmade.map((at) => at.slice(0, at.indexOf(' '))),
            unmade.map((at) => at.slice(at.indexOf(' ') + 1)),
            ...windowColumns,
            query.measure,
            query.knownAt,
          ],
        )
      ).rows;
      for (const h of heads) chosen.set(`${h.window} ${h.forceId}`, h);
    }
    const prioritised = Object.keys(query.priorities);
    if (prioritised.length > 0 && chosen.size > 0) {
      const heads = [...chosen].map(([at, head]) => ({ forceId: at.slice(at.indexOf(' ') + 1), head }));
      const rivals = (
        await this.pool.query<BestKey & { forceId: string }>(
          `SELECT DISTINCT k.force_id AS "forceId", ${bestKeyColumns('k')}
           FROM unnest($1::text[], $2::text[], $3::smallint[]) AS h (force_id, day, selection_rank)
           JOIN figure_keys k ON k.force_id = h.force_id AND k.measure = $4 AND k.as_at_start = h.day
             AND k.selection_rank = h.selection_rank AND k.first_seen <= $5::bigint AND k.source_id = ANY($6)`,
          [
            heads.map((h) => h.forceId),
            heads.map((h) => h.head.day),
            heads.map((h) => h.head.selectionRank),
            query.measure,
            query.knownAt,
            prioritised,
          ],
        )
      ).rows;
      for (const [at, head] of chosen) {
        const forceId = at.slice(at.indexOf(' ') + 1);
        const mine = rivals.filter(
          (r) => r.forceId === forceId && r.day === head.day && r.selectionRank === head.selectionRank,
        );
        if (mine.length > 0) chosen.set(at, preferred([head, ...mine], query.priorities));
      }
    }
    // The day's copy serves when it is the choice and its version was current at the moment.
    const figureAt = new Map<string, Figure>();
    const toRead = new Set<string>();
    const served: Array<[string, DayChoiceRow]> = [];
    for (const [at, key] of chosen) {
      const choice = choiceAt.get(at);
      if (choice === key && choice.firstSeen <= query.knownAt) served.push([at, choice]);
      else toRead.add(String(key.id));
    }
    await this.readCitationViews(served.map(([, choice]) => choice.citationId));
    for (const [at, choice] of served)
      figureAt.set(at, figureFrom(choice, this.citationViews.get(choice.citationId)!));
    const { rows } =
      toRead.size === 0
        ? { rows: [] }
        : await this.pool.query(
            `SELECT k.id AS "keyId", ${STORED_ROW_COLUMNS} FROM ${STORED_ROW_FROM}
             WHERE k.id = ANY($1::bigint[]) AND ${currentAt('$2::bigint')}`,
            [[...toRead], query.knownAt],
          );
    const figureOfKey = new Map(
      (rows as Array<Record<string, unknown>>).map((r) => [
        String(r.keyId),
        archivedFigureOf(storedRow(r)).figure,
      ]),
    );
    const out = query.windows.map(() => new Map<string, Figure>());
    for (const [at, key] of chosen) {
      const figure = figureAt.get(at) ?? figureOfKey.get(String(key.id));
      const space = at.indexOf(' ');
      if (figure) out[Number(at.slice(0, space)) - 1]!.set(at.slice(space + 1), figure);
    }
    return out;
  }

  /** Reads the views of the citations not yet kept, in one round trip (a stored citation never changes). */
  private async readCitationViews(ids: readonly number[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.citationViews.has(id));
    if (missing.length === 0) return;
    if (this.citationViews.size + missing.length > CITATION_VIEWS_KEPT) this.citationViews.clear();
    const { rows } = await this.pool.query<{
      id: string;
      title: string;
      url: string | null;
      simulated: boolean;
      citationExtra: string | null;
    }>(`SELECT ${CITATION_VIEW_COLUMNS} FROM citations c WHERE c.id = ANY($1::bigint[])`, [missing]);
    for (const row of rows) this.citationViews.set(Number(row.id), citationViewOf(row));
  }

  async dateRange(query: {
    measure: Measure;
    forceIds: readonly string[];
    knownAt: number;
  }): Promise<DayWindow | null> {
    const { rows } = await this.pool.query<{ first: string | null; last: string | null }>(
      `SELECT min(first.day) AS first, max(last.day) AS last FROM unnest($1::text[]) AS f (force_id)
       LEFT JOIN LATERAL (
         SELECT as_at_start AS day FROM figure_keys WHERE force_id = f.force_id AND measure = $2
           AND as_at_start > '' AND first_seen <= $3::bigint ORDER BY as_at_start LIMIT 1
       ) first ON true
       LEFT JOIN LATERAL (
         SELECT as_at_start AS day FROM figure_keys WHERE force_id = f.force_id AND measure = $2
           AND as_at_start > '' AND first_seen <= $3::bigint ORDER BY as_at_start DESC LIMIT 1
       ) last ON true`,
      [query.forceIds, query.measure, query.knownAt],
    );
    const { first, last } = rows[0] ?? { first: null, last: null };
    return first === null || last === null ? null : { from: first, to: last };
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM figure_versions`);
    return Number(rows[0]!.n);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
