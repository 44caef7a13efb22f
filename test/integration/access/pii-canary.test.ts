import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadApprovedOperations } from '../../../src/access/approved-operations';
import { ROLES } from '../../../src/access/caller';
import { SqliteArchive } from '../../../src/archive/sqlite-archive';
import { PII_CANARIES } from '../../../src/simulator';
import { gql, raw } from '../../helpers/gateway';
import type { Backend, World } from '../store/world';
import { ROLE_HEADER, dumpAll, singleServer, world } from '../store/world';

/**
 * The PII canary: every records feed of the simulator sends individual records that carry a name and an
 * address (fake canary strings). The gateway must reduce them to counts at the boundary: the strings
 * must appear in no response to any role, in no Redis key or value, in no row of the archive, and in no
 * log line.
 */
describe('PII canary: names and addresses sent by sources appear nowhere', () => {
  let backend: Backend;
  let w: World;
  let archive: SqliteArchive;
  let archiveDir: string;
  const logs: string[] = [];
  const responses: string[] = [];

  beforeAll(async () => {
    backend = await singleServer();
    w = await world({ redis: backend.target });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs.push(String(chunk));
        done();
      },
    });
    // A second instance logging everything, at debug, into the sink, and archiving into a file.
    archiveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-canary-'));
    archive = new SqliteArchive(path.join(archiveDir, 'archive.sqlite'));
    await w.start({ logger: pino({ level: 'debug' }, sink), archive });
    const records = w.sim.feeds.filter((f) => f.shape === 'records');
    expect(records.length).toBeGreaterThan(0);
    for (const feed of records) w.sim.setFault(feed.id, { mode: 'pii' });
    // The canaries really are on the wire: otherwise finding none would prove nothing.
    for (const feed of records) {
      const body = String(w.sim.render(feed.id).body);
      for (const canary of Object.values(PII_CANARIES)) expect(body).toContain(canary);
    }
  });
  afterAll(async () => {
    await w?.close();
    await archive?.close();
    if (archiveDir) fs.rmSync(archiveDir, { recursive: true, force: true });
    await backend?.stop();
  });

  test("every approved operation for every permitted role, and analysts' queries over every force, carry no canary", async () => {
    const gateway = w.instances[1]!;
    const collect = (text: string) => responses.push(text);
    // A force whose source sends records (names and addresses included) for the per-force operations.
    const recordsForce = w.sim.feeds.find((f) => f.shape === 'records')!.forces[0];
    const variablesOf = (name: string): object | undefined =>
      ({
        'force-history': { id: recordsForce },
        'force-breakdowns': { id: recordsForce },
        'national-breakdown': { dimension: 'YEAR_WENT_MISSING' },
      })[name];
    // Subscriptions (graphql-ws) carry only source and force ids; test/integration/live covers them.
    for (const op of loadApprovedOperations().filter((o) => !o.document.startsWith('subscription'))) {
      for (const role of ROLES.filter((r) => op.roles.includes(r))) {
        const res = await raw(gateway.graphqlUrl, {
          body: JSON.stringify({
            extensions: { persistedQuery: { version: 1, sha256Hash: op.sha256 } },
            variables: variablesOf(op.name),
          }),
          headers: { 'content-type': 'application/json', [ROLE_HEADER]: role },
        });
        expect(res.status).toBe(200);
        collect(res.text);
      }
    }
    const everything = await gql(
      gateway.graphqlUrl,
      `{ forces { id latest { unaccounted { value provenance { title } } breakdowns { dimension cells { category value status } } }
                  history { value provenance { title sourceId } } }
         sources { id title error { code message } }
         publishedTotals { value notes source { title } } }`,
    );
    expect(everything.status).toBe(200);
    collect(everything.text);
    const recordsForces = w.sim.feeds.filter((f) => f.shape === 'records').flatMap((f) => f.forces);
    for (const forceId of recordsForces) {
      const entry = everything.body.data!.forces.find((f: any) => f.id === forceId);
      expect(entry.latest.unaccounted.value).toBe(
        w.sim.expected().forces.find((f) => f.forceId === forceId)!.unaccounted,
      );
    }
    await new Promise((r) => setTimeout(r, 100));

    const redis = await dumpAll(backend);
    expect(redis.length).toBeGreaterThan(0);
    await gateway.app.service.archiveSettled();
    const archived = dumpArchive(path.join(archiveDir, 'archive.sqlite'));
    // The records sources' counts are in the archive: finding no canary there proves something.
    expect(archived).toContain(`"force_id":"${recordsForces[0]}"`);
    const haystacks = {
      responses: responses.join('\n'),
      redis: redis.map((e) => `${e.key}\n${e.value}`).join('\n'),
      archive: archived,
      logs: logs.join('\n'),
    };
    expect(haystacks.logs.length).toBeGreaterThan(0);
    const hits = Object.entries(haystacks).flatMap(([where, text]) =>
      Object.values(PII_CANARIES)
        .filter((canary) => text.includes(canary))
        .map((canary) => `${canary} in ${where}`),
    );
    expect(hits).toEqual([]);
  });
});

/** Every row of every table of an archive file, as JSON lines. */
function dumpArchive(file: string): string {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).all() as Array<{
      name: string;
    }>;
    return tables
      .flatMap(({ name }) =>
        db
          .prepare(`SELECT * FROM "${name}"`)
          .all()
          .map((row) => JSON.stringify(row)),
      )
      .join('\n');
  } finally {
    db.close();
  }
}
