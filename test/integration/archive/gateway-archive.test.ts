/**
 * The archive inside the running gateway: what the simulated forces say is recorded as it is fetched;
 * a revised figure keeps both versions; `national(knownAt)` reproduces an earlier answer after the
 * figures changed, after Redis is flushed and after the gateway restarts; a process killed while
 * writing leaves every report whole or absent.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { PostgresArchive } from '../../../src/archive/postgres-archive';
import { SqliteArchive } from '../../../src/archive/sqlite-archive';
import { readEnvironment } from '../../../src/config/environment';
import { PostgresServer } from '../../helpers/postgres';
import { eventually } from '../../helpers/eventually';
import type { RunningGateway } from '../../helpers/gateway';
import { gql } from '../../helpers/gateway';
import type { Backend, World } from '../store/world';
import { flushAll, singleServer, world } from '../store/world';

/** The national total and its coverage, now or as known at a moment. */
async function national(gateway: RunningGateway, knownAt?: number) {
  const res = await gql(gateway.graphqlUrl, NATIONAL_AT, {
    knownAt: knownAt === undefined ? null : new Date(knownAt).toISOString(),
  });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.national as { unaccounted: { value: number }; coverage: { reporting: number } };
}

const NATIONAL_AT = `query ($knownAt: DateTime) {
  national(knownAt: $knownAt) { unaccounted { value } coverage { reporting } }
}`;

describe('the gateway records what sources say, and answers as it knew it', () => {
  let backend: Backend;
  let w: World;
  let dir: string;
  let file: string;
  const archives: SqliteArchive[] = [];

  /** A gateway instance on the archive file (each its own connection, as separate processes would have). */
  const startOnFile = async (): Promise<RunningGateway> => {
    const archive = new SqliteArchive(file);
    archives.push(archive);
    return w.start({ archive });
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-gateway-archive-'));
    file = path.join(dir, 'archive.sqlite');
    backend = await singleServer();
    w = await world({ redis: backend.target, instances: 0 });
  });
  afterAll(async () => {
    await w?.close();
    for (const a of archives) await a.close();
    await backend?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('revisions are kept, and knownAt reproduces an answer through a Redis flush and a restart', async () => {
    const first = await startOnFile();
    const before = await national(first);
    expect(before.coverage.reporting).toBeGreaterThan(0);
    await first.app.service.archiveSettled();
    const knownThen = w.clock.now();
    const figuresThen = w.sim.expected().forces;

    // The simulated figures drift within the same day: the same forces and dates, new values (revisions).
    w.clock.advance(Math.max(w.sim.driftIntervalMs, 31_000));
    expect(w.sim.expected().asAt).toBe(new Date(knownThen).toISOString().slice(0, 10));
    // The first read after the TTL serves the stale report and refreshes it in the background.
    await eventually(async () => {
      const now = await national(first);
      return now.unaccounted.value !== before.unaccounted.value && now;
    }, 'the refreshed figures');
    await first.app.service.archiveSettled();

    // Asked as known then, the gateway gives the earlier answer, not the current one.
    expect(await national(first, knownThen)).toEqual(before);
    const now = w.sim.expected().forces;
    const changed = figuresThen.find((f, i) => f.unaccounted !== now[i]!.unaccounted)!;
    const revisions = await gql(
      first.graphqlUrl,
      `{ force(id: "${changed.forceId}") { revisions(measure: UNACCOUNTED) { figure { value asAt { date } provenance { simulated } } firstSeen supersededAt } } }`,
    );
    const versions = revisions.body.data!.force.revisions as Array<{
      figure: { value: number; asAt: { date: string }; provenance: { simulated: boolean } };
      supersededAt: string | null;
    }>;
    // Both versions of the day's figure: the first superseded when the revision arrived, the second current.
    const today = versions.filter((v) => v.figure.asAt.date === w.sim.expected().asAt);
    expect(today.map((v) => [v.figure.value, v.supersededAt === null])).toEqual([
      [changed.unaccounted, false],
      [now.find((f) => f.forceId === changed.forceId)!.unaccounted, true],
    ]);
    expect(versions.every((v) => v.figure.provenance.simulated)).toBe(true);

    // Redis is the cache, not the memory: flushing it loses nothing of what was known.
    await flushAll(backend);
    expect(await national(first, knownThen)).toEqual(before);

    // A restart (a new instance on the same file) still knows.
    await first.close();
    const second = await startOnFile();
    expect(await national(second, knownThen)).toEqual(before);
  });

  test('knownAt in the future, or not an instant, is refused with a stable code', async () => {
    const gateway = w.instances.at(-1)!;
    const future = await gql(gateway.graphqlUrl, NATIONAL_AT, {
      knownAt: new Date(w.clock.now() + 86_400_000).toISOString(),
    });
    expect(future.status).toBe(400);
    expect(future.body.errors![0]!.extensions!.code).toBe('INVALID_DATE');
    const malformed = await gql(gateway.graphqlUrl, NATIONAL_AT, { knownAt: '2018-01-17' });
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(malformed.body.errors)).toContain('INVALID_DATE');
  });
});

describe('several instances on one PostgreSQL archive (DATABASE_URL)', () => {
  test('each records what it fetched, and together they make no duplicates', async () => {
    const server = await PostgresServer.start();
    const w = await world({ redis: null, instances: 0 });
    try {
      const url = await server.createDatabase('shared_archive');
      const environment = readEnvironment({ DATABASE_URL: url });
      // No Redis: each instance fetches every source itself, and both record the same reports at once.
      const [a, b] = await Promise.all([w.start({ environment }), w.start({ environment })]);
      const [ra, rb] = await Promise.all([national(a!), national(b!)]);
      expect(ra).toEqual(rb);
      await Promise.all([a!.app.service.archiveSettled(), b!.app.service.archiveSettled()]);
      const check = await PostgresArchive.open(url);
      try {
        const figures = w.sim.expected().forces.length;
        expect(await check.count()).toBeGreaterThanOrEqual(figures);
        const db = new pg.Client({ connectionString: url });
        await db.connect();
        const { rows } = await db.query(
          'SELECT (SELECT count(*) FROM figure_keys) AS keys, (SELECT count(*) FROM figure_versions) AS versions',
        );
        await db.end();
        // One version per figure: the second instance's record of the same report only confirmed it.
        expect(Number(rows[0].versions)).toBe(Number(rows[0].keys));
      } finally {
        await check.close();
      }
    } finally {
      await w.close();
      await server.stop();
    }
  }, 60_000);
});

describe('a process killed while writing the archive', () => {
  test('leaves the file consistent, with every report whole or absent', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-archive-kill-'));
    const file = path.join(dir, 'archive.sqlite');
    const FIGURES = 60;
    // A writer (the built archive module) recording reports of 60 figures as fast as it can, until killed.
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `
        const { SqliteArchive } = require(${JSON.stringify(path.resolve('dist/archive/sqlite-archive.js'))});
        const archive = new SqliteArchive(${JSON.stringify(file)});
        const provenance = { sourceId: 'sim', title: 'Simulated feed', url: null, retrievedAt: '', simulated: true };
        for (let day = 0; ; day++) {
          const date = new Date(Date.UTC(2000, 0, 1) + day * 86400000).toISOString().slice(0, 10);
          const figures = Array.from({ length: ${FIGURES} }, (_, i) => ({
            forceId: 'force-' + i, measure: 'UNACCOUNTED', value: day % 50, status: 'REPORTED',
            basis: 'WHEREABOUTS_UNKNOWN', asAt: { date, precision: 'DAY', start: date, end: date },
            provenance, reason: null,
          }));
          archive.recordNow([{ sourceId: 'sim', figures, seenAt: 1000 + day }]);
        }`,
      ],
      { stdio: 'ignore' },
    );
    try {
      const reader = () => new DatabaseSync(file, { readOnly: true, timeout: 5000 });
      await eventually(
        () => {
          if (!fs.existsSync(file)) return false;
          const db = reader();
          try {
            return (
              (db.prepare('SELECT count(*) AS n FROM figure_versions').get() as { n: number }).n >
              20 * FIGURES
            );
          } catch {
            return false; // the writer is still creating the tables
          } finally {
            db.close();
          }
        },
        'the writer to have recorded 20 reports',
        20_000,
      );
      writer.kill('SIGKILL');
      await new Promise((resolve) => writer.once('exit', resolve));
      // Opened again as the gateway would: recovery rolls back the half-written transaction.
      const archive = new SqliteArchive(file);
      await archive.close();
      const db = reader();
      try {
        expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
        const sizes = db
          .prepare('SELECT first_seen, count(*) AS n FROM figure_versions GROUP BY first_seen')
          .all() as Array<{ n: number }>;
        expect(sizes.length).toBeGreaterThan(20);
        expect(sizes.filter((s) => s.n !== FIGURES)).toEqual([]);
      } finally {
        db.close();
      }
    } finally {
      writer.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
