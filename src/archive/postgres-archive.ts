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
import type { CurrentVersion, FigureRows, StoredRow } from './rows';
import {
  addOutcomes,
  archivedFigureOf,
  citationsOf,
  incomingRows,
  keyId,
  NO_CHANGE,
  outcomeOf,
  planRecord,
} from './rows';
import type { BestKey } from './sql';
import {
  bestKeyColumns,
  currentAt,
  preferred,
  REVISION_ORDER,
  SELECTION_ORDER,
  STORED_ROW_COLUMNS,
  STORED_ROW_FROM,
} from './sql';

const SCHEMA_VERSION = '1';

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
INSERT INTO archive_meta (name, value) VALUES ('schema_version', '${SCHEMA_VERSION}') ON CONFLICT (name) DO NOTHING;
`;

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

/** The archive in a PostgreSQL database. Open with `PostgresArchive.open`. */
export class PostgresArchive implements Archive {
  readonly kind = 'postgres' as const;

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
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]);
        }
        const { rows } = await client.query<{ value: string }>(
          `SELECT value FROM archive_meta WHERE name = 'schema_version'`,
        );
        if (rows[0]?.value !== SCHEMA_VERSION)
          throw new Error(
            `the archive database has schema version ${rows[0]?.value}; this gateway reads ${SCHEMA_VERSION}`,
          );
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
    // For each window and force, the first known key in the selection's order (an index read from the
    // window's end), in one round trip; then rivals from prioritised sources, if any; then the versions.
    const heads = (
      await this.pool.query<BestKey & { window: string; forceId: string }>(
        `SELECT w.i AS "window", f.force_id AS "forceId", h.*
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w (day_from, day_to, i)
         CROSS JOIN unnest($3::text[]) AS f (force_id)
         CROSS JOIN LATERAL (
           SELECT ${bestKeyColumns()} FROM figure_keys
           WHERE force_id = f.force_id AND measure = $4 AND as_at_start <= w.day_to AND as_at_start >= w.day_from
             AND first_seen <= $5::bigint
           ORDER BY ${SELECTION_ORDER} LIMIT 1
         ) h`,
        [
          query.windows.map((w) => w.from),
          query.windows.map((w) => w.to),
          query.forceIds,
          query.measure,
          query.knownAt,
        ],
      )
    ).rows;
    const prioritised = Object.keys(query.priorities);
    const chosen = new Map<string, BestKey>(heads.map((h) => [`${h.window} ${h.forceId}`, h]));
    if (prioritised.length > 0 && heads.length > 0) {
      const rivals = (
        await this.pool.query<BestKey & { forceId: string }>(
          `SELECT DISTINCT k.force_id AS "forceId", ${bestKeyColumns('k')}
           FROM unnest($1::text[], $2::text[], $3::smallint[]) AS h (force_id, day, selection_rank)
           JOIN figure_keys k ON k.force_id = h.force_id AND k.measure = $4 AND k.as_at_start = h.day
             AND k.selection_rank = h.selection_rank AND k.first_seen <= $5::bigint AND k.source_id = ANY($6)`,
          [
            heads.map((h) => h.forceId),
            heads.map((h) => h.day),
            heads.map((h) => h.selectionRank),
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
    const ids = [...new Set([...chosen.values()].map((k) => String(k.id)))];
    const { rows } = await this.pool.query(
      `SELECT k.id AS "keyId", ${STORED_ROW_COLUMNS} FROM ${STORED_ROW_FROM}
       WHERE k.id = ANY($1::bigint[]) AND ${currentAt('$2::bigint')}`,
      [ids, query.knownAt],
    );
    const figureOfKey = new Map(
      (rows as Array<Record<string, unknown>>).map((r) => [
        String(r.keyId),
        archivedFigureOf(storedRow(r)).figure,
      ]),
    );
    const out = query.windows.map(() => new Map<string, Figure>());
    for (const [at, key] of chosen) {
      const figure = figureOfKey.get(String(key.id));
      const space = at.indexOf(' ');
      if (figure) out[Number(at.slice(0, space)) - 1]!.set(at.slice(space + 1), figure);
    }
    return out;
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
