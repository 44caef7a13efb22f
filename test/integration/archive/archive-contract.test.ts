/**
 * The archive's contract, run against both backends: the embedded SQLite file and a real PostgreSQL
 * server (Debian's, started on a loopback port by `test/helpers/postgres.ts`). What one source says is
 * recorded once, revisions keep both versions, "as known at" reads the version current at a moment, a
 * failed record leaves nothing, and several writers at once make no duplicates.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { Archive, ReportToRecord } from '../../../src/archive/archive';
import { PostgresArchive } from '../../../src/archive/postgres-archive';
import { SqliteArchive } from '../../../src/archive/sqlite-archive';
import { parseAsAt } from '../../../src/domain/dates';
import { selectFigure } from '../../../src/domain/selection';
import type { Figure } from '../../../src/domain/figure';
import { PostgresServer } from '../../helpers/postgres';

/** A figure as a source gives one: counts and a citation, nothing else. */
function figure(forceId: string, date: string, value: number | null, extra: Partial<Figure> = {}): Figure {
  return {
    forceId,
    measure: 'UNACCOUNTED',
    value,
    status: value === null ? 'WITHHELD' : 'REPORTED',
    basis: 'WHEREABOUTS_UNKNOWN',
    asAt: parseAsAt(date),
    provenance: {
      sourceId: 'force-feed',
      title: 'A force feed (simulated)',
      url: 'http://127.0.0.1:9/feed.json',
      retrievedAt: '2026-01-01T00:00:00.000Z',
      simulated: true,
    },
    reason: null,
    ...extra,
  };
}

/** Records one source's report, as the gateway's recorder does for each fetch. */
function record(archive: Archive, sourceId: string, figures: readonly Figure[], seenAt: number) {
  return archive.record([{ sourceId, figures, seenAt }]);
}

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;
/** As known now: every version recorded. */
const NOW = Number.MAX_SAFE_INTEGER;

/** The same figure, given by another source. */
function sourced(sourceId: string, f: Figure): Figure {
  return { ...f, provenance: { ...f.provenance, sourceId, title: `Source ${sourceId} (simulated)` } };
}

const SOURCES = ['s1', 's2', 's3', 's4', 's5'];
const FORCES = ['dorset', 'kent', 'essex'];
const PRIORITIES: Record<string, number> = { s3: 2, s5: -1 };

/** A deterministic pseudo-random source of integers below n. */
function randomFrom(seed: number): (n: number) => number {
  return (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
}

/** One source's report of a dozen random figures: days, precisions, bases, values and lower bounds. */
function randomReport(random: (n: number) => number, sourceId: string, seenAt: number): ReportToRecord {
  const bases = ['WHEREABOUTS_UNKNOWN', 'WANTED', 'MISSING_OR_WANTED'] as const;
  const byKey = new Map<string, Figure>();
  for (let i = 0; i < 12; i++) {
    const day = 1 + random(20);
    const precision = random(3);
    const date =
      precision === 0 ? `2018-01-${String(day).padStart(2, '0')}` : precision === 1 ? '2018-01' : '2018';
    const f = sourced(
      sourceId,
      figure(FORCES[random(3)]!, date, random(30), {
        basis: bases[random(3)]!,
        ...(random(4) === 0 ? { lowerBound: true } : {}),
      } as Partial<Figure>),
    );
    byKey.set(`${f.forceId} ${f.asAt!.date} ${f.basis}`, f);
  }
  return { sourceId, figures: [...byKey.values()], seenAt };
}

const WINDOWS = [
  { from: '2017-12-01', to: '2018-01-10' },
  { from: '2018-01-05', to: '2018-01-15' },
  { from: '2017-01-01', to: '2018-01-31' },
  { from: '2018-01-20', to: '2018-01-20' },
];

/** Each window's chosen figure by force, as known at a moment. */
function bestOf(archive: Archive, knownAt: number, priorities: Record<string, number>) {
  return archive.bestAt({ measure: 'UNACCOUNTED', forceIds: FORCES, windows: WINDOWS, knownAt, priorities });
}

/** Each window's chosen value by force, as known at a moment. */
async function bestValues(archive: Archive, knownAt: number, priorities = PRIORITIES) {
  const best = await bestOf(archive, knownAt, priorities);
  return best.map((m) => Object.fromEntries([...m].map(([id, f]) => [id, f.value])));
}

/**
 * `bestAt` chooses, in every window, for every force, at moments between and on the records (hourly
 * from T0), with and without priorities, what `selectFigure` chooses among every figure known then.
 */
async function expectBestAtAgrees(archive: Archive): Promise<void> {
  for (const priorities of [PRIORITIES, {}])
    for (const knownAt of [
      T0 - 1,
      T0,
      T0 + HOUR - 1,
      T0 + HOUR,
      T0 + 2 * HOUR + 1,
      T0 + 5 * HOUR,
      T0 + 10 * HOUR,
    ]) {
      const all = (await archive.knownAt({ knownAt })).map((a) => a.figure);
      const best = await bestOf(archive, knownAt, priorities);
      WINDOWS.forEach((w, i) => {
        for (const forceId of FORCES) {
          const candidates = all.filter(
            (f) => f.forceId === forceId && f.asAt!.start >= w.from && f.asAt!.start <= w.to,
          );
          const expected = selectFigure(
            candidates,
            'UNACCOUNTED',
            w.to,
            100_000,
            (id) => priorities[id] ?? 0,
          ).figure;
          const got = best[i]!.get(forceId) ?? null;
          const seen = (f: Figure | null) =>
            f && [f.provenance.sourceId, f.asAt!.date, f.basis, f.value, f.provenance.retrievedAt];
          expect([knownAt - T0, priorities, forceId, w, seen(got)]).toEqual([
            knownAt - T0,
            priorities,
            forceId,
            w,
            seen(expected),
          ]);
        }
      });
    }
}

interface Backend {
  readonly name: string;
  /** A fresh, empty archive (a file or database of its own). */
  open(): Promise<Archive>;
  /** Another connection to the last opened archive: a second instance. */
  again(): Promise<Archive>;
  /** Runs statements on the last opened archive's database directly, in one transaction. */
  exec(statements: readonly string[]): Promise<void>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-archive-'));
  let n = 0;
  return {
    name: 'SQLite',
    open: () => Promise.resolve(new SqliteArchive(path.join(dir, `archive-${++n}.sqlite`))),
    again: () => Promise.resolve(new SqliteArchive(path.join(dir, `archive-${n}.sqlite`))),
    exec: (statements) => {
      const db = new DatabaseSync(path.join(dir, `archive-${n}.sqlite`));
      db.exec(`BEGIN; ${statements.join('; ')}; COMMIT`);
      db.close();
      return Promise.resolve();
    },
    cleanup: () => Promise.resolve(fs.rmSync(dir, { recursive: true, force: true })),
  };
}

let server: PostgresServer | null = null;
function postgresBackend(): Backend {
  let n = 0;
  let url = '';
  return {
    name: 'PostgreSQL',
    open: async () => {
      server ??= await PostgresServer.start();
      url = await server.createDatabase(`archive_${++n}`);
      return PostgresArchive.open(url);
    },
    again: () => PostgresArchive.open(url),
    exec: async (statements) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`BEGIN; ${statements.join('; ')}; COMMIT`);
      } finally {
        await client.end();
      }
    },
    cleanup: async () => {
      await server?.stop();
      server = null;
    },
  };
}

describe.each([
  ['SQLite', sqliteBackend],
  ['PostgreSQL', postgresBackend],
] as const)('the archive on %s', (_name, makeBackend) => {
  const backend = makeBackend();
  const open: Archive[] = [];
  const fresh = async () => {
    const a = await backend.open();
    open.push(a);
    return a;
  };
  const again = async () => {
    const a = await backend.again();
    open.push(a);
    return a;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((a) => a.close()));
  });
  afterAll(() => backend.cleanup(), 30_000);

  test('records each distinct figure once; the same report again only moves lastSeen', async () => {
    const archive = await fresh();
    const report = [figure('dorset', '2018-01-17', 5), figure('hampshire', '2018-01-17', 7)];
    expect(await record(archive, 'force-feed', report, T0)).toEqual({
      added: 2,
      revised: 0,
      unchanged: 0,
      ignored: 0,
    });
    expect(await record(archive, 'force-feed', report, T0 + HOUR)).toEqual({
      added: 0,
      revised: 0,
      unchanged: 2,
      ignored: 0,
    });
    // Idempotent: the very same record twice changes nothing at all.
    expect(await record(archive, 'force-feed', report, T0 + HOUR)).toMatchObject({ added: 0, revised: 0 });
    expect(await archive.count()).toBe(2);
    const [dorset] = await archive.revisions('dorset');
    expect(dorset).toMatchObject({ firstSeen: T0, lastSeen: T0 + HOUR, supersededAt: null });
    expect(dorset!.figure).toMatchObject({
      forceId: 'dorset',
      value: 5,
      status: 'REPORTED',
      basis: 'WHEREABOUTS_UNKNOWN',
      asAt: { date: '2018-01-17', precision: 'DAY' },
      provenance: { sourceId: 'force-feed', title: 'A force feed (simulated)', simulated: true },
    });
  });

  test('a revision keeps both versions, and knownAt reads the one current at the moment', async () => {
    const archive = await fresh();
    await record(archive, 'force-feed', [figure('dorset', '2018-01-17', 5)], T0);
    expect(await record(archive, 'force-feed', [figure('dorset', '2018-01-17', 6)], T0 + HOUR)).toMatchObject(
      {
        revised: 1,
      },
    );
    // Back to the first value: a third version, not a return to the first (history stays in order).
    await record(archive, 'force-feed', [figure('dorset', '2018-01-17', 5)], T0 + 2 * HOUR);
    const versions = await archive.revisions('dorset', 'UNACCOUNTED');
    expect(versions.map((v) => [v.figure.value, v.firstSeen, v.supersededAt])).toEqual([
      [5, T0, T0 + HOUR],
      [6, T0 + HOUR, T0 + 2 * HOUR],
      [5, T0 + 2 * HOUR, null],
    ]);
    const valueAt = async (knownAt: number) =>
      (await archive.knownAt({ knownAt })).map((a) => a.figure.value);
    expect(await valueAt(T0 - 1)).toEqual([]);
    expect(await valueAt(T0)).toEqual([5]);
    expect(await valueAt(T0 + HOUR - 1)).toEqual([5]);
    expect(await valueAt(T0 + HOUR)).toEqual([6]);
    expect(await valueAt(T0 + 2 * HOUR)).toEqual([5]);
  });

  test('a report older than the version held cannot rewrite history', async () => {
    const archive = await fresh();
    await record(archive, 'force-feed', [figure('dorset', '2018-01-17', 6)], T0 + HOUR);
    expect(await record(archive, 'force-feed', [figure('dorset', '2018-01-17', 5)], T0)).toMatchObject({
      ignored: 1,
      revised: 0,
    });
    expect((await archive.revisions('dorset')).map((v) => v.figure.value)).toEqual([6]);
  });

  test('two citations that disagree about one force and date stay two figures, each with its provenance', async () => {
    const archive = await fresh();
    const cited = (title: string, value: number) =>
      figure('west-mercia', '2018-02', value, {
        provenance: { ...figure('x', '2018', 1).provenance, title, url: null, simulated: false },
      });
    await record(archive, 'published-figures', [cited('Outlet A', 14), cited('Outlet B', 16)], T0);
    const both = await archive.knownAt({ knownAt: T0 });
    expect(both.map((a) => [a.figure.provenance.title, a.figure.value]).sort()).toEqual([
      ['Outlet A', 14],
      ['Outlet B', 16],
    ]);
    expect(both.every((a) => a.supersededAt === null)).toBe(true);
  });

  test('knownAt filters by period and measure; undated and UNAVAILABLE figures never come back dated', async () => {
    const archive = await fresh();
    await record(
      archive,
      'force-feed',
      [
        figure('dorset', '2013-06', 4),
        figure('dorset', '2018-01-17', 5),
        figure('dorset', '2018-01-17', 574, { measure: 'REGISTERED', basis: null }),
        figure('kent', '2018-01-17', null, { asAt: null }),
        figure('essex', '2018-01-17', null, {
          status: 'UNAVAILABLE',
          asAt: null,
          reason: { code: 'UPSTREAM_TIMEOUT', message: 'timed out' },
        }),
      ],
      T0,
    );
    const inRange = await archive.knownAt({ knownAt: T0, from: '2014-01-01', to: '2018-12-31' });
    expect(inRange.map((a) => `${a.figure.measure} ${a.figure.value}`).sort()).toEqual([
      'REGISTERED 574',
      'UNACCOUNTED 5',
    ]);
    const headline = await archive.knownAt({ knownAt: T0, measures: ['UNACCOUNTED'] });
    expect(headline.map((a) => a.figure.asAt!.date).sort()).toEqual(['2013-06', '2018-01-17']);
    // The undated figure is kept (a force's revisions show it) but never placed on a time axis.
    expect((await archive.revisions('kent')).map((a) => a.figure.asAt)).toEqual([null]);
    expect(await archive.revisions('essex')).toEqual([]);
    expect(await archive.count()).toBe(4);
  });

  test('provenance fields beyond the known ones (corroborating citations) survive the archive', async () => {
    const archive = await fresh();
    const corroborated = figure('lincolnshire', '2015-02', 7, {
      provenance: {
        ...figure('x', '2015', 1).provenance,
        corroboratedBy: [{ title: 'Another outlet', url: 'https://example.org/a' }],
      } as Figure['provenance'],
    });
    await record(archive, 'published-figures', [corroborated], T0);
    const [back] = await archive.knownAt({ knownAt: T0 });
    expect((back!.figure.provenance as unknown as Record<string, unknown>).corroboratedBy).toEqual([
      { title: 'Another outlet', url: 'https://example.org/a' },
    ]);
  });

  test('a record that fails part-way leaves nothing of it behind', async () => {
    const archive = await fresh();
    await record(archive, 'force-feed', [figure('dorset', '2018-01-17', 5)], T0);
    // 1.5 is no count: the database refuses the row after the others were written in the transaction.
    const broken = [
      figure('hampshire', '2018-01-17', 7),
      figure('dorset', '2018-01-17', 6),
      figure('kent', '2018-01-17', 1.5),
    ];
    await expect(record(archive, 'force-feed', broken, T0 + HOUR)).rejects.toThrow();
    expect(await archive.count()).toBe(1);
    expect((await archive.revisions('dorset')).map((v) => [v.figure.value, v.supersededAt])).toEqual([
      [5, null],
    ]);
    expect(await archive.revisions('hampshire')).toEqual([]);
  });

  test('bestAt chooses as the selection rule does: latest start, finer precision, higher priority, source id', async () => {
    const archive = await fresh();
    const from = (sourceId: string, f: Figure): Figure => ({
      ...f,
      provenance: { ...f.provenance, sourceId },
    });
    await archive.record([
      { sourceId: 'a-month', figures: [from('a-month', figure('dorset', '2018-01', 50))], seenAt: T0 },
      { sourceId: 'b-day', figures: [from('b-day', figure('dorset', '2018-01-01', 51))], seenAt: T0 },
      { sourceId: 'c-day', figures: [from('c-day', figure('dorset', '2018-01-01', 52))], seenAt: T0 },
      { sourceId: 'd-day', figures: [from('d-day', figure('kent', '2017-12-30', 9))], seenAt: T0 },
    ]);
    // Revised later: as known before the revision, the first value.
    await archive.record([
      { sourceId: 'd-day', figures: [from('d-day', figure('kent', '2017-12-30', 10))], seenAt: T0 + HOUR },
    ]);
    const ask = (priorities: Record<string, number>, knownAt: number, to = '2018-01-31') =>
      archive.bestAt({
        measure: 'UNACCOUNTED',
        forceIds: ['dorset', 'kent', 'essex'],
        windows: [
          { from: '2017-12-01', to },
          { from: '2017-12-31', to: '2017-12-31' },
        ],
        knownAt,
        priorities,
      });
    const values = (maps: Array<Map<string, Figure>>) =>
      maps.map((m) => Object.fromEntries([...m].map(([id, f]) => [id, f.value])));
    // Same start (1 January): DAY beats MONTH; then the source id (b before c).
    expect(values(await ask({}, T0 + HOUR))).toEqual([{ dorset: 51, kent: 10 }, {}]);
    expect(values(await ask({ 'c-day': 5 }, T0 + HOUR))).toEqual([{ dorset: 52, kent: 10 }, {}]);
    expect(values(await ask({}, T0))).toEqual([{ dorset: 51, kent: 9 }, {}]);
    expect(values(await ask({}, T0 - 1))).toEqual([{}, {}]);
    expect(
      await archive.dateRange({ measure: 'UNACCOUNTED', forceIds: ['dorset', 'kent'], knownAt: T0 }),
    ).toEqual({
      from: '2017-12-30',
      to: '2018-01-01',
    });
    expect(await archive.dateRange({ measure: 'UNACCOUNTED', forceIds: ['essex'], knownAt: T0 })).toBeNull();
  });

  test('bestAt agrees with selectFigure over every known figure (random histories, priorities, bases, bounds)', async () => {
    const archive = await fresh();
    const random = randomFrom(7);
    for (let round = 0; round < 6; round++)
      await archive.record(SOURCES.map((sourceId) => randomReport(random, sourceId, T0 + round * HOUR)));
    await expectBestAtAgrees(archive);
  });

  test('several instances recording different sources for the same days at once still choose as one would', async () => {
    const instances = [await fresh(), await again(), await again()];
    const random = randomFrom(11);
    for (let round = 0; round < 6; round++) {
      const reports = SOURCES.map((sourceId) => randomReport(random, sourceId, T0 + round * HOUR));
      // Each instance records a share of the sources, all at once: their records race for each day.
      await Promise.all(
        instances.map((instance, i) => instance.record(reports.filter((_, r) => r % instances.length === i))),
      );
    }
    await expectBestAtAgrees(instances[0]!);
  });

  test('two instances racing to record one day each keep the better figure as its choice', async () => {
    const [first, second] = [await fresh(), await again()];
    const days = Array.from({ length: 28 }, (_, i) => `2018-02-${String(i + 1).padStart(2, '0')}`);
    const report = (sourceId: string, round: number): ReportToRecord => ({
      sourceId,
      figures: days.map((day) => sourced(sourceId, figure('dorset', day, round))),
      seenAt: T0 + round * HOUR,
    });
    const windows = days.map((day) => ({ from: day, to: day }));
    const chosen = async () =>
      (
        await first.bestAt({
          measure: 'UNACCOUNTED',
          forceIds: ['dorset'],
          windows,
          knownAt: NOW,
          priorities: {},
        })
      ).map((m) => [m.get('dorset')?.provenance.sourceId, m.get('dorset')?.value]);
    // Source "a" ranks before "b" on every day, and gives a new value each round: whichever instance
    // commits last must neither put "b" first nor an older value of "a".
    for (let round = 0; round < 12; round++) {
      await Promise.all([second.record([report('b', round)]), first.record([report('a', round)])]);
      expect([round, await chosen()]).toEqual([round, days.map(() => ['a', round])]);
    }
  });

  test('an archive written before the per-day choices existed (schema 1) is upgraded on opening, and answers alike', async () => {
    const archive = await fresh();
    const random = randomFrom(5);
    for (let round = 0; round < 4; round++)
      await archive.record(SOURCES.map((sourceId) => randomReport(random, sourceId, T0 + round * HOUR)));
    const before = await bestValues(archive, T0 + 10 * HOUR);
    await archive.close();
    open.splice(open.indexOf(archive), 1);
    // Schema 1 is schema 2 without the table of per-day choices.
    await backend.exec([
      'DROP TABLE figure_days',
      `UPDATE archive_meta SET value = '1' WHERE name = 'schema_version'`,
    ]);
    const upgraded = await again();
    expect(await bestValues(upgraded, T0 + 10 * HOUR)).toEqual(before);
    await expectBestAtAgrees(upgraded);
    // And it goes on keeping them: a revision after the upgrade is chosen.
    await upgraded.record([
      {
        sourceId: 's1',
        figures: [sourced('s1', figure('dorset', '2018-01-31', 99))],
        seenAt: T0 + 20 * HOUR,
      },
    ]);
    expect((await bestValues(upgraded, T0 + 20 * HOUR))[2]).toMatchObject({ dorset: 99 });
  });

  test('an archive of a schema version this gateway does not know is refused, and left as it was', async () => {
    const archive = await fresh();
    await record(archive, 'force-feed', [figure('dorset', '2018-01-17', 5)], T0);
    await archive.close();
    open.splice(open.indexOf(archive), 1);
    await backend.exec([`UPDATE archive_meta SET value = '9' WHERE name = 'schema_version'`]);
    await expect(again()).rejects.toThrow(/schema version 9; this gateway reads 2/);
  });

  test('several reports recorded together are one transaction: all of them, or none', async () => {
    const archive = await fresh();
    const together = (value: number) => [
      { sourceId: 'force-feed', figures: [figure('dorset', '2018-01-17', 5)], seenAt: T0 },
      { sourceId: 'other-feed', figures: [figure('kent', '2018-01-17', value)], seenAt: T0 + 1 },
    ];
    await expect(archive.record(together(0.5))).rejects.toThrow();
    expect(await archive.count()).toBe(0);
    expect(await archive.record(together(3))).toEqual({ added: 2, revised: 0, unchanged: 0, ignored: 0 });
    expect((await archive.revisions('kent')).map((v) => [v.figure.value, v.firstSeen])).toEqual([
      [3, T0 + 1],
    ]);
  });

  test('several instances recording the same reports at once make no duplicates', async () => {
    const first = await fresh();
    const instances = [first, await again(), await again()];
    const forces = Array.from({ length: 40 }, (_, i) => `force-${i}`);
    const report = (value: number) => forces.map((id) => figure(id, '2018-01-17', value));
    for (const [round, value] of [
      [0, 5],
      [1, 6],
      [2, 6],
    ] as const)
      await Promise.all(instances.map((a) => record(a, 'force-feed', report(value), T0 + round * HOUR)));
    // 40 figures, each revised once: 80 versions, whichever instance wrote first.
    expect(await first.count()).toBe(80);
    const versions = await first.revisions('force-7');
    expect(versions.map((v) => [v.figure.value, v.firstSeen, v.lastSeen])).toEqual([
      [5, T0, T0],
      [6, T0 + HOUR, T0 + 2 * HOUR],
    ]);
  });

  test('what was recorded is there after the archive is closed and opened again', async () => {
    const archive = await fresh();
    await record(archive, 'force-feed', [figure('dorset', '2018-01-17', 5)], T0);
    await archive.close();
    open.splice(open.indexOf(archive), 1);
    const reopened = await again();
    expect((await reopened.knownAt({ knownAt: T0 })).map((a) => a.figure.value)).toEqual([5]);
  });
});
