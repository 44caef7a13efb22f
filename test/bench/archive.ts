/**
 * The archive at scale (issue 19 item 7): `node test/bench/run.js archive [--years 10] [--sources 4500]
 * [--backends sqlite,postgres] [--name archive]`.
 *
 * Simulated sources (labelled simulated in every citation), spread round-robin over the 45 forces, each
 * giving a new figure every simulated day for `--years` years: 4,500 sources for ten years are about 16
 * million figures. Each simulated day is recorded as the gateway's recorder records what is waiting: one
 * `record` call (one transaction) with every source's report. Reported per backend:
 * - the write rate (figures per second, wall clock; for SQLite also this process's CPU, which is all of it);
 * - the database's size on disk;
 * - the time of a ten-year monthly national series with coverage (120 points, the archive's preselection
 *   `bestAt` plus the domain's summary per point), as known now and as known half-way through, median of
 *   five after one warm-up; `bestAt` alone, and beside it, in the same run on the same data, the same
 *   choices made through the full index (`figure_keys_by_force`, then each key's version and citation:
 *   how `bestAt` read before `figure_days`), as the reference the per-day table is measured against;
 * - with `--keep` on a database written by an earlier schema, how long opening took (the upgrade);
 * - the query plans of the statements a series and a record use, to show each index in use.
 * PostgreSQL is Debian's server on a loopback port (`test/helpers/postgres.ts`), fsync off as in the tests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { Archive, DayWindow, ReportToRecord } from '../../src/archive/archive';
import { History } from '../../src/archive/history';
import { PostgresArchive } from '../../src/archive/postgres-archive';
import { archivedFigureOf } from '../../src/archive/rows';
import type { StoredRow } from '../../src/archive/rows';
import {
  currentAt,
  DAY_CHOICE_COLUMNS,
  dayChoiceFromFigures,
  SELECTION_ORDER,
  STORED_ROW_COLUMNS,
  STORED_ROW_FROM,
} from '../../src/archive/sql';
import { DAY_CHOICES, SqliteArchive, windowsParameter } from '../../src/archive/sqlite-archive';
import type { Figure, Provenance } from '../../src/domain/figure';
import { loadDefaultRegistry } from '../../src/domain/force-registry';
import { periodsBetween, seriesOf } from '../../src/domain/series';
import type { Snapshot } from '../../src/store/snapshot';
import { PostgresServer } from '../helpers/postgres';
import { writeFormatted } from './support';

const DAY_MS = 86_400_000;
const RESULTS = path.join(__dirname, 'results');

interface Args {
  years: number;
  sources: number;
  backends: Array<'sqlite' | 'postgres'>;
  name: string;
  /** SQLite only: keep the database in this folder, and reuse it if it is there (skips the writes). */
  keep: string | null;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    years: 10,
    sources: 4500,
    backends: ['sqlite', 'postgres'],
    name: 'archive',
    keep: null,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--years') args.years = Number(value);
    else if (flag === '--sources') args.sources = Number(value);
    else if (flag === '--backends') args.backends = value.split(',') as Args['backends'];
    else if (flag === '--name') args.name = value;
    else if (flag === '--keep') args.keep = path.resolve(value);
    else throw new Error(`unknown option ${flag}`);
  }
  if (!(args.years > 0) || !Number.isInteger(args.sources) || args.sources < 1)
    throw new Error('bad --years or --sources');
  return args;
}

const FIRST_DAY = Date.UTC(2015, 0, 1);

/**
 * The reference `bestAt` is measured against: the first known key of a window in the selection's order
 * (`figure_keys_by_force`), as `bestAt` read before `figure_days`; its version and citation are then
 * read by `FULL_INDEX_VERSION`. Placeholders or values are given in order.
 */
function fullIndexHead(force: string, measure: string, to: string, from: string, knownAt: string): string {
  return `SELECT id FROM figure_keys WHERE force_id = ${force} AND measure = ${measure} AND as_at_start <= ${to}
    AND as_at_start >= ${from} AND first_seen <= ${knownAt} ORDER BY ${SELECTION_ORDER} LIMIT 1`;
}
const FULL_INDEX_VERSION = (id: string, knownAt: string) =>
  `SELECT ${STORED_ROW_COLUMNS} FROM ${STORED_ROW_FROM} WHERE k.id = ${id} AND ${currentAt(knownAt)}`;

/** The schema version of an SQLite archive file. */
function schemaVersionOf(file: string): string {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return (
      db.prepare(`SELECT value FROM archive_meta WHERE name = 'schema_version'`).get() as { value: string }
    ).value;
  } finally {
    db.close();
  }
}

/**
 * The reference run on SQLite, on its own connection: for each window and force the full index's head,
 * then its version and citation (each key read once), as a figure. Returns the figures found.
 */
function fullIndexSqlite(file: string, forces: readonly string[], windows: readonly DayWindow[]): number {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const head = db.prepare(fullIndexHead('?', '?', '?', '?', '?'));
    const version = db.prepare(FULL_INDEX_VERSION('?', '?'));
    const read = new Map<number, Figure | null>();
    let found = 0;
    for (const w of windows)
      for (const forceId of forces) {
        const key = head.get(forceId, 'UNACCOUNTED', w.to, w.from, Number.MAX_SAFE_INTEGER) as
          { id: number } | undefined;
        if (!key) continue;
        let figure = read.get(key.id);
        if (figure === undefined) {
          const row = version.get(key.id, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) as
            StoredRow | undefined;
          figure = row ? archivedFigureOf({ ...row, simulated: Boolean(row.simulated) }).figure : null;
          read.set(key.id, figure);
        }
        if (figure) found += 1;
      }
    return found;
  } finally {
    db.close();
  }
}

/** The reference run on PostgreSQL: the heads in one round trip, then their versions in another. */
async function fullIndexPostgres(
  url: string,
  forces: readonly string[],
  windows: readonly DayWindow[],
): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const heads = await client.query<{ id: string }>(
      `SELECT h.id FROM unnest($1::text[], $2::text[]) AS w (day_from, day_to) CROSS JOIN unnest($3::text[]) AS f (force_id)
       CROSS JOIN LATERAL (${fullIndexHead('f.force_id', `'UNACCOUNTED'`, 'w.day_to', 'w.day_from', '$4::bigint')}) h`,
      [windows.map((w) => w.from), windows.map((w) => w.to), forces, Number.MAX_SAFE_INTEGER],
    );
    const ids = [...new Set(heads.rows.map((r) => r.id))];
    const { rows } = await client.query(
      `SELECT ${STORED_ROW_COLUMNS} FROM ${STORED_ROW_FROM} WHERE k.id = ANY($1::bigint[]) AND ${currentAt('$2::bigint')}`,
      [ids, Number.MAX_SAFE_INTEGER],
    );
    for (const row of rows)
      archivedFigureOf({
        ...row,
        firstSeen: Number(row.firstSeen),
        lastSeen: Number(row.lastSeen),
        supersededAt: null,
      });
    return heads.rows.length;
  } finally {
    await client.end();
  }
}
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A deterministic count for a source on a day (no figure is real: every citation says simulated). */
function valueOf(source: number, day: number): number {
  let x = (source * 2654435761 + day * 40503) >>> 0;
  x ^= x >>> 15;
  return x % 40;
}

/** One simulated day: every source's report, each one figure for its force. */
function dayReports(
  day: number,
  provenances: readonly Provenance[],
  forces: readonly string[],
): ReportToRecord[] {
  const date = iso(FIRST_DAY + day * DAY_MS);
  const asAt = { date, precision: 'DAY' as const, start: date, end: date };
  const seenAt = FIRST_DAY + day * DAY_MS + 3_600_000;
  return provenances.map((provenance, i) => ({
    sourceId: provenance.sourceId,
    seenAt,
    figures: [
      {
        forceId: forces[i % forces.length]!,
        measure: 'UNACCOUNTED',
        value: valueOf(i, day),
        status: 'REPORTED',
        basis: 'WHEREABOUTS_UNKNOWN',
        asAt,
        provenance,
        reason: null,
      } satisfies Figure,
    ],
  }));
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const EMPTY_SNAPSHOT: Snapshot = {
  reads: [],
  figuresByForce: new Map(),
  breakdownsByForce: new Map(),
  publishedTotals: [],
  staleSources: new Set(),
  retrievedAt: new Map(),
};

interface BackendResult {
  backend: string;
  figures: number;
  writeSeconds: number;
  figuresPerSecond: number;
  cpuSeconds: number | null;
  sizeMb: number;
  seriesNowMs: number;
  /** This process's CPU for the series known now (for PostgreSQL, without the server's). */
  seriesNowCpuMs: number;
  seriesThenMs: number;
  bestAtMs: number;
  fullIndexMs: number;
  upgradeSeconds: number | null;
  plans: string[];
  reportingLastPoint: number;
}

async function runBackend(
  backend: 'sqlite' | 'postgres',
  args: Args,
  log: (line: string) => void,
): Promise<BackendResult> {
  const kept = backend === 'sqlite' && args.keep !== null;
  const reuse = kept && fs.existsSync(path.join(args.keep!, 'archive.sqlite'));
  if (kept) fs.mkdirSync(args.keep!, { recursive: true });
  const dir = kept
    ? args.keep!
    : fs.mkdtempSync(path.join(os.tmpdir(), `whereabouts-archive-bench-${backend}-`));
  let server: PostgresServer | null = null;
  let archive: Archive;
  let url = '';
  let upgradeSeconds: number | null = null;
  if (backend === 'sqlite') {
    const file = path.join(dir, 'archive.sqlite');
    const before = reuse ? schemaVersionOf(file) : null;
    const opening = performance.now();
    archive = new SqliteArchive(file);
    if (before !== null && before !== schemaVersionOf(file))
      upgradeSeconds = (performance.now() - opening) / 1000;
  } else {
    server = await PostgresServer.start();
    url = await server.createDatabase('archive_bench');
    archive = await PostgresArchive.open(url);
  }
  try {
    const registry = loadDefaultRegistry();
    const forces = registry.all.map((f) => f.id);
    const provenances: Provenance[] = Array.from({ length: args.sources }, (_, i) => ({
      sourceId: `sim-${String(i + 1).padStart(4, '0')}`,
      title: `Simulated source ${i + 1} (simulated)`,
      url: null,
      retrievedAt: '',
      simulated: true,
    }));
    const days = Math.round(args.years * 365);
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (let day = 0; day < (reuse ? 0 : days); day++) {
      await archive.record(dayReports(day, provenances, forces));
      if ((day + 1) % 365 === 0 || day === days - 1)
        log(
          `${backend}: ${day + 1} days, ${((day + 1) * args.sources).toLocaleString('en-GB')} figures, ${((performance.now() - started) / 1000).toFixed(0)} s`,
        );
    }
    const writeSeconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const figures = await archive.count();

    let sizeMb: number;
    const plans: string[] = [];
    const lastDay = iso(FIRST_DAY + (days - 1) * DAY_MS);
    if (backend === 'sqlite') {
      await archive.close();
      const db = new DatabaseSync(path.join(dir, 'archive.sqlite'));
      db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      const { size } = db
        .prepare('SELECT page_count * page_size AS size FROM pragma_page_count(), pragma_page_size()')
        .get() as {
        size: number;
      };
      sizeMb = size / 1e6;
      for (const [what, sql, params] of [
        [
          "every window's choice (bestAt)",
          DAY_CHOICES,
          [windowsParameter([{ from: '2000-01-01', to: lastDay }]), '["dorset"]', 'UNACCOUNTED'],
        ],
        [
          "a day's choice again (record)",
          dayChoiceFromFigures(`'dorset'`, `'UNACCOUNTED'`, `'${lastDay}'`),
          [],
        ],
        [
          'the full index, for a past moment the choice postdates (bestAt)',
          fullIndexHead(`'dorset'`, `'UNACCOUNTED'`, `'${lastDay}'`, `'2000-01-01'`, '9e15'),
          [],
        ],
      ] as const)
        plans.push(
          `${what}: ${(db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join('; ')}`,
        );
      db.close();
      archive = new SqliteArchive(path.join(dir, 'archive.sqlite'));
    } else {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query('VACUUM ANALYZE');
      sizeMb = Number((await client.query(`SELECT pg_database_size('archive_bench') AS n`)).rows[0].n) / 1e6;
      for (const [what, sql] of [
        [
          "a window's choice (bestAt, for each window and force)",
          `SELECT ${DAY_CHOICE_COLUMNS} FROM figure_days d
           WHERE d.force_id = 'dorset' AND d.measure = 'UNACCOUNTED' AND d.day <= '${lastDay}' AND d.day >= '2000-01-01'
           ORDER BY d.day DESC LIMIT 1`,
        ],
        ["a day's choice again (record)", dayChoiceFromFigures(`'dorset'`, `'UNACCOUNTED'`, `'${lastDay}'`)],
        [
          'the full index, for a past moment the choice postdates (bestAt)',
          fullIndexHead(`'dorset'`, `'UNACCOUNTED'`, `'${lastDay}'`, `'2000-01-01'`, '9000000000000000'),
        ],
      ]) {
        const plan = await client.query(`EXPLAIN ${sql}`);
        plans.push(
          `${what}: ${plan.rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN'].trim()).join('; ')}`,
        );
      }
      await client.end();
    }

    // A ten-year monthly national series with coverage, ending on the last simulated day.
    const from = iso(FIRST_DAY + Math.max(0, days - 3650) * DAY_MS);
    const periods = periodsBetween(from, lastDay, 'MONTH')!;
    const selection = { windowDays: 90, registeredWindowDays: 400, priorityOf: () => 0, priorities: {} };
    const history = new History(archive);
    const series = async (knownAt: number | null) => {
      const t = performance.now();
      const cpu = process.cpuUsage();
      const known = await history.figuresAt(
        EMPTY_SNAPSHOT,
        knownAt,
        registry.all,
        periods.map((p) => p.end),
        selection,
      );
      const points = seriesOf(registry.all, known.perDay, [], periods, {
        ...selection,
        staleSources: new Set(),
      });
      const used = process.cpuUsage(cpu);
      return { ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000, points };
    };
    // The median of nine after one warm-up: this machine's wall times spread by half between runs.
    const timed = async (knownAt: number | null) => {
      await series(knownAt);
      const runs = [];
      for (let i = 0; i < 9; i++) runs.push(await series(knownAt));
      return {
        ms: median(runs.map((r) => r.ms)),
        cpuMs: median(runs.map((r) => r.cpuMs)),
        points: runs[0]!.points,
      };
    };
    const now = await timed(null);
    const halfway = FIRST_DAY + Math.floor(days / 2) * DAY_MS;
    const then = await timed(halfway);
    // bestAt alone and the full-index reference, alternated so that both see the same machine.
    const windows = periods.map((p) => ({ from: iso(Date.parse(p.end) - 90 * DAY_MS), to: p.end }));
    const bestRuns: number[] = [];
    const fullRuns: number[] = [];
    let chosen = 0;
    let chosenByReference = 0;
    for (let i = 0; i < 6; i++) {
      let t = performance.now();
      const best = await archive.bestAt({
        measure: 'UNACCOUNTED',
        forceIds: forces,
        windows,
        knownAt: Number.MAX_SAFE_INTEGER,
        priorities: {},
      });
      if (i > 0) bestRuns.push(performance.now() - t);
      chosen = best.reduce((n, m) => n + m.size, 0);
      t = performance.now();
      chosenByReference =
        backend === 'sqlite'
          ? fullIndexSqlite(path.join(dir, 'archive.sqlite'), forces, windows)
          : await fullIndexPostgres(url, forces, windows);
      if (i > 0) fullRuns.push(performance.now() - t);
    }
    if (chosen !== chosenByReference)
      throw new Error(`bestAt chose ${chosen} figures, the full index ${chosenByReference}`);
    log(`${backend}: series now ${now.ms.toFixed(1)} ms, as known half-way ${then.ms.toFixed(1)} ms`);
    return {
      backend,
      figures,
      writeSeconds,
      // A reused database (--keep) was written by an earlier run: no write figures from this one.
      figuresPerSecond: reuse ? Number.NaN : figures / writeSeconds,
      cpuSeconds: backend === 'sqlite' ? (used.user + used.system) / 1e6 : null,
      sizeMb,
      seriesNowMs: now.ms,
      seriesNowCpuMs: now.cpuMs,
      seriesThenMs: then.ms,
      bestAtMs: median(bestRuns),
      fullIndexMs: median(fullRuns),
      upgradeSeconds,
      plans,
      reportingLastPoint: now.points.at(-1)!.summary.coverage.reporting,
    };
  } finally {
    await archive.close();
    await server?.stop();
    if (!kept) fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(3));
  const log = (line: string) => process.stderr.write(`archive bench: ${line}\n`);
  const results: BackendResult[] = [];
  for (const backend of args.backends) results.push(await runBackend(backend, args, log));
  const lines = [
    `# Archive at scale: ${args.name}`,
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.versions.node}, by \`node test/bench/run.js archive --years ${args.years} --sources ${args.sources} --backends ${args.backends.join(',')}\`.`,
    '',
    `${args.sources.toLocaleString('en-GB')} simulated sources over the 45 forces, a new figure each per simulated day for ${args.years} years; each day one record (one transaction) of every source's report. Series: ${'monthly'} national, ten years (or the whole history if shorter), 90-day window, with coverage; median of nine after one warm-up (wall time, and this process's CPU: on this shared machine wall times spread by half between runs). bestAt alone and the full-index reference (the same choices, 120 windows × 45 forces at ten years, read as bestAt read them before \`figure_days\`: the first known key per window and force in \`figure_keys_by_force\`, then its version and citation) alternate, median of five after one warm-up; the run fails if the two choose a different number of figures.`,
    '',
    '| backend | figures | write time | figures/s | CPU s (this process) | size on disk | upgrade on opening | series, known now | its CPU (this process) | series, as known half-way | bestAt alone (now) | full-index reference | forces in last point |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.backend} | ${r.figures.toLocaleString('en-GB')} | ${Number.isNaN(r.figuresPerSecond) ? 'reused' : `${r.writeSeconds.toFixed(0)} s`} | ${Number.isNaN(r.figuresPerSecond) ? 'reused' : Math.round(r.figuresPerSecond).toLocaleString('en-GB')} | ${r.cpuSeconds === null ? 'n/a (server)' : Number.isNaN(r.figuresPerSecond) ? 'reused' : r.cpuSeconds.toFixed(0)} | ${r.sizeMb.toFixed(0)} MB | ${r.upgradeSeconds === null ? 'none' : `${r.upgradeSeconds.toFixed(0)} s`} | ${r.seriesNowMs.toFixed(1)} ms | ${r.seriesNowCpuMs.toFixed(1)} ms | ${r.seriesThenMs.toFixed(1)} ms | ${r.bestAtMs.toFixed(1)} ms | ${r.fullIndexMs.toFixed(1)} ms | ${r.reportingLastPoint} |`,
    ),
    '',
    'Query plans (index in use):',
    '',
    ...results.flatMap((r) => r.plans.map((p) => `- ${r.backend}: \`${p}\``)),
  ];
  fs.mkdirSync(RESULTS, { recursive: true });
  // Formatted as the repository's prettier check wants it.
  await writeFormatted(path.join(RESULTS, `${args.name}.md`), `${lines.join('\n')}\n`, log);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`archive bench: ${(error as Error).stack}\n`);
  process.exit(1);
});
