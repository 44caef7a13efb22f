/**
 * Series over GraphQL, on CSV sources the test writes: each point agrees with `national(asAt)` for its
 * day, carries its coverage and the published totals dated within it, shows a gap as a gap, and keeps
 * a figure the source has stopped listing (from the archive). The approved operation serves it to
 * journalists.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadApprovedOperations } from '../../../src/access/approved-operations';
import { ApiKeyStore } from '../../../src/access/api-keys';
import { SqliteArchive } from '../../../src/archive/sqlite-archive';
import { buildConfig } from '../../../src/config/load';
import { TestClock } from '../../helpers/clock';
import type { RunningGateway } from '../../helpers/gateway';
import { gql, raw, startGateway } from '../../helpers/gateway';

const SERIES = `query ($from: Date, $to: Date, $every: SeriesInterval, $windowDays: Int, $knownAt: DateTime) {
  nationalSeries(from: $from, to: $to, every: $every, windowDays: $windowDays, knownAt: $knownAt) {
    name from to every windowDays knownAt fromArchive
    points { periodStart asAt gap unaccounted { value } coverage { forces reporting reportingForces { id } }
             publishedTotals { value asAt { date } } }
  }
}`;

describe('national series', () => {
  let dir: string;
  let gateway: RunningGateway;
  let archive: SqliteArchive;
  let journalist: string;
  const clock = new TestClock(Date.parse('2026-06-01T12:00:00Z'));

  const writeCounts = (rows: string[]) =>
    fs.writeFileSync(path.join(dir, 'counts.csv'), ['force,date,missing', ...rows, ''].join('\n'));

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-series-'));
    writeCounts(['dorset,2013-05,4', 'dorset,2018-01-17,5', 'hampshire,2018-01-17,7', 'kent,2015-03,9']);
    fs.writeFileSync(
      path.join(dir, 'totals.csv'),
      [
        'scope,date,measure,value',
        'UK,2018-01-17,whereabouts_unknown,485',
        'UK,2015-03,wanted_whereabouts_unknown,396',
        '',
      ].join('\n'),
    );
    const config = buildConfig(
      {
        includeBundled: false,
        sources: [
          {
            id: 'counts',
            kind: 'csv',
            shape: 'counts',
            location: 'counts.csv',
            title: 'Test counts (simulated)',
            ttlSeconds: 60,
            mapping: { forceId: 'force', asAt: 'date', unaccounted: 'missing' },
          },
          {
            id: 'totals',
            kind: 'csv',
            shape: 'totals',
            location: 'totals.csv',
            title: 'Test published totals (simulated)',
            mapping: { scope: 'scope', asAt: 'date', measure: 'measure', value: 'value' },
          },
        ],
      },
      { baseDir: dir, origin: 'test' },
    );
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    journalist = keys.create('journalist', 'series test').token;
    archive = new SqliteArchive(path.join(dir, 'archive.sqlite'));
    gateway = await startGateway(config, { now: clock.now, archive, apiKeys: keys, env: {} });
    const analyst = keys.create('analyst', 'series test analyst').token;
    headers = { authorization: `Bearer ${analyst}` };
  });
  let headers: Record<string, string>;
  afterAll(async () => {
    await gateway?.close();
    await archive?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('without from and to it spans the headline figures there are, and each point agrees with national(asAt)', async () => {
    const res = await gql(gateway.graphqlUrl, SERIES, { every: 'YEAR', windowDays: 365 }, headers);
    expect(res.body.errors).toBeUndefined();
    const series = res.body.data!.nationalSeries;
    expect(series).toMatchObject({
      name: 'United Kingdom',
      from: '2013-05-01',
      to: '2018-01-17',
      every: 'YEAR',
      windowDays: 365,
      knownAt: null,
      fromArchive: true,
    });
    const points = series.points as any[];
    expect(
      points.map((p) => [p.periodStart, p.asAt, p.gap, p.unaccounted.value, p.coverage.reporting]),
    ).toEqual([
      ['2013-05-01', '2013-12-31', false, 4, 1],
      ['2014-01-01', '2014-12-31', true, 0, 0],
      ['2015-01-01', '2015-12-31', false, 9, 1],
      ['2016-01-01', '2016-12-31', true, 0, 0],
      ['2017-01-01', '2017-12-31', true, 0, 0],
      ['2018-01-01', '2018-01-17', false, 12, 2],
    ]);
    expect(
      points
        .at(-1)
        .coverage.reportingForces.map((f: any) => f.id)
        .sort(),
    ).toEqual(['dorset', 'hampshire']);
    expect(points.map((p) => p.publishedTotals.map((t: any) => t.value))).toEqual([
      [],
      [],
      [396],
      [],
      [],
      [485],
    ]);
    for (const p of [points[0], points[2], points.at(-1)]) {
      const one = await gql(
        gateway.graphqlUrl,
        `{ national(asAt: "${p.asAt}", windowDays: 365) { unaccounted { value } coverage { reporting } } }`,
        undefined,
        headers,
      );
      expect(one.body.data!.national).toEqual({
        unaccounted: p.unaccounted,
        coverage: { reporting: p.coverage.reporting },
      });
    }
  });

  test('a figure the source no longer lists stays in the series, and knownAt shows the series as it was', async () => {
    await gateway.app.service.archiveSettled();
    const before = clock.now();
    // The source now lists only 2018, with Dorset revised from 5 to 6.
    writeCounts(['dorset,2018-01-17,6', 'hampshire,2018-01-17,7']);
    clock.advance(61_000);
    const ask = (knownAt?: number) =>
      gql(
        gateway.graphqlUrl,
        SERIES,
        {
          from: '2013-01-01',
          to: '2018-12-31',
          every: 'YEAR',
          windowDays: 365,
          knownAt: knownAt ? new Date(knownAt).toISOString() : null,
        },
        headers,
      );
    // The first read after the TTL is served stale while the source is read again.
    await ask();
    await new Promise((r) => setTimeout(r, 100));
    await gateway.app.service.archiveSettled();
    const now = (await ask()).body.data!.nationalSeries.points as any[];
    expect(now.map((p) => p.unaccounted.value)).toEqual([4, 0, 9, 0, 0, 13]);
    const then = (await ask(before)).body.data!.nationalSeries;
    expect(then.knownAt).toBe(new Date(before).toISOString());
    expect(then.points.map((p: any) => p.unaccounted.value)).toEqual([4, 0, 9, 0, 0, 12]);
  });

  test('the approved operation serves the series to journalists; bad arguments get stable codes', async () => {
    const op = loadApprovedOperations().find((o) => o.name === 'national-series')!;
    const res = await raw(gateway.graphqlUrl, {
      body: JSON.stringify({
        extensions: { persistedQuery: { version: 1, sha256Hash: op.sha256 } },
        variables: { every: 'QUARTER', from: '2018-01-01', to: '2018-03-31', windowDays: 90 },
      }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${journalist}` },
    });
    expect(res.status).toBe(200);
    expect(res.json.data.nationalSeries.points).toHaveLength(1);
    expect(res.json.data.nationalSeries.points[0].unaccounted.value).toBe(13);
    const bad = async (variables: Record<string, unknown>) => {
      const r = await gql(gateway.graphqlUrl, SERIES, variables, headers);
      return [r.status, r.body.errors?.[0]?.extensions?.code];
    };
    expect(await bad({ from: '2018-02-01', to: '2018-01-01' })).toEqual([400, 'INVALID_DATE']);
    expect(await bad({ from: '1900-01-01', to: '2018-01-01', every: 'MONTH' })).toEqual([
      400,
      'BAD_USER_INPUT',
    ]);
    expect(await bad({ to: '2099-01-01' })).toEqual([400, 'INVALID_DATE']);
    expect(await bad({ knownAt: 'yesterday' })).toEqual([400, 'INVALID_DATE']);
    expect(await bad({ every: 'WEEK' })).toEqual([400, 'BAD_USER_INPUT']);
    const region = await gql(
      gateway.graphqlUrl,
      `{ regionSeries(region: "Atlantis") { name } }`,
      undefined,
      headers,
    );
    expect([region.status, region.body.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_USER_INPUT']);
  });

  test('region, nation and force series use the same points', async () => {
    const res = await gql(
      gateway.graphqlUrl,
      `{ regionSeries(region: "South East", from: "2018-01-01", to: "2018-01-31", windowDays: 30) { name points { unaccounted { value } coverage { forces } } }
         nationSeries(nation: "England", from: "2018-01-01", to: "2018-01-31", windowDays: 30) { points { unaccounted { value } } }
         force(id: "dorset") { series(from: "2018-01-01", to: "2018-01-31", windowDays: 30) { name points { unaccounted { value } } } } }`,
      undefined,
      headers,
    );
    expect(res.body.errors).toBeUndefined();
    const d = res.body.data!;
    expect(d.regionSeries.points[0].unaccounted.value).toBe(7); // Hampshire is in the South East; Dorset in the South West
    expect(d.nationSeries.points[0].unaccounted.value).toBe(13);
    expect(d.force.series.points[0].unaccounted.value).toBe(6);
  });
});

describe('with the archive turned off (WHEREABOUTS_ARCHIVE=off)', () => {
  let dir: string;
  let gateway: RunningGateway;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-series-off-'));
    fs.writeFileSync(path.join(dir, 'counts.csv'), 'force,date,missing\ndorset,2018-01-17,5\n');
    const config = buildConfig(
      {
        includeBundled: false,
        sources: [
          {
            id: 'counts',
            kind: 'csv',
            shape: 'counts',
            location: 'counts.csv',
            title: 'Test counts (simulated)',
            mapping: { forceId: 'force', asAt: 'date', unaccounted: 'missing' },
          },
        ],
      },
      { baseDir: dir, origin: 'test' },
    );
    gateway = await startGateway(config, { archive: null, env: {} });
  });
  afterAll(async () => {
    await gateway?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('series come from what sources list now; knownAt and revisions say there is no archive', async () => {
    const series = await gql(
      gateway.graphqlUrl,
      `{ nationalSeries(every: YEAR) { to fromArchive points { unaccounted { value } } } }`,
    );
    expect(series.body.data!.nationalSeries).toEqual({
      to: '2018-01-17',
      fromArchive: false,
      points: [{ unaccounted: { value: 5 } }],
    });
    const knownAt = await gql(
      gateway.graphqlUrl,
      `{ national(knownAt: "2020-01-01T00:00:00Z") { unaccounted { value } } }`,
    );
    expect([knownAt.status, knownAt.body.errors?.[0]?.extensions?.code]).toEqual([501, 'ARCHIVE_OFF']);
    const revisions = await gql(gateway.graphqlUrl, `{ force(id: "dorset") { revisions { firstSeen } } }`);
    expect(revisions.body.errors?.[0]?.extensions?.code).toBe('ARCHIVE_OFF');
  });
});
