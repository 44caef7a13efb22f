import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { buildConfig } from '../../src/config/load';
import type { RunningGateway } from '../helpers/gateway';
import { gql, raw, startGateway } from '../helpers/gateway';

/** A UTC day `days` from today, as YYYY-MM-DD (the gateway dates fetches by the real clock here). */
function dayFromToday(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

// Once per file, so that a run across UTC midnight compares like with like.
const FUTURE = dayFromToday(150);
const RECENT = dayFromToday(-3);

const HYPERLINK = '=HYPERLINK("http://x")';
const SUM = '@SUM(1)';

const QUERY = `{
  national {
    forces { force { id } outcome figure { value status asAt { date precision } reason { code message } provenance { title } } }
  }
  sources { id state error { code message } }
}`;

describe('upstream content is checked (issue 18 item 4; CATALOGUE Upstream sources 10 and 11)', () => {
  let gateway: RunningGateway;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-content-'));
    // Months ahead of the fetch: before issue 18 this was served as an OK figure.
    fs.writeFileSync(
      path.join(dir, 'future.json'),
      JSON.stringify([{ force: 'dorset', date: FUTURE, missing: 4 }]),
    );
    // The month of the fetch is not in the future, whatever day of it the fetch falls on.
    fs.writeFileSync(
      path.join(dir, 'month.json'),
      JSON.stringify([{ force: 'kent', date: RECENT.slice(0, 7), precision: 'month', missing: 6 }]),
    );
    fs.writeFileSync(
      path.join(dir, 'hostile.csv'),
      [
        'force,date,missing,title',
        `hampshire,${RECENT},7,"${HYPERLINK.replaceAll('"', '""')}"`,
        `surrey,${RECENT},2,${SUM}`,
        '',
      ].join('\r\n'),
    );
    const counts = { forceId: 'force', asAt: 'date', unaccounted: 'missing' };
    const config = buildConfig(
      {
        includeBundled: false,
        access: { publicFeeds: ['national-latest'] },
        sources: [
          {
            id: 'future-feed',
            kind: 'json',
            shape: 'counts',
            location: 'future.json',
            title: 'Future-dated test feed',
            forces: ['dorset'],
            mapping: counts,
          },
          {
            id: 'month-feed',
            kind: 'json',
            shape: 'counts',
            location: 'month.json',
            title: 'Month-precision test feed',
            forces: ['kent'],
            mapping: { ...counts, precision: 'precision' },
          },
          {
            id: 'hostile-feed',
            kind: 'csv',
            shape: 'counts',
            location: 'hostile.csv',
            title: 'Hostile-title test feed',
            forces: ['hampshire', 'surrey'],
            mapping: { ...counts, title: 'title' },
          },
        ],
      },
      { baseDir: dir, origin: 'test' },
    );
    gateway = await startGateway(config);
  });

  afterAll(async () => {
    await gateway?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function query() {
    const res = await gql(gateway.graphqlUrl, QUERY);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const data = res.body.data as any;
    const force = (id: string) => data.national.forces.find((e: any) => e.force.id === id);
    const source = (id: string) => data.sources.find((s: any) => s.id === id);
    return { force, source };
  }

  test('a source with a figure dated after the fetch is an error in `sources`, with the reason; its force is UNAVAILABLE', async () => {
    const { force, source } = await query();
    const message = expect.stringMatching(
      new RegExp(
        `^validation failed: row 1: field "asAt" \\(source field "date"\\) is after the fetch: ${FUTURE} is later than \\d{4}-\\d{2}-\\d{2}, the fetch's day \\(\\d{4}-\\d{2}-\\d{2}\\) plus 1 day of clock skew$`,
      ),
    );
    expect(source('future-feed')).toEqual({
      id: 'future-feed',
      state: 'ERROR',
      error: { code: 'UPSTREAM_INVALID_PAYLOAD', message },
    });
    expect(force('dorset').figure).toMatchObject({
      status: 'UNAVAILABLE',
      value: null,
      reason: { code: 'UPSTREAM_INVALID_PAYLOAD', message },
    });
  });

  test('a figure dated in the month of the fetch (MONTH precision) is accepted', async () => {
    const { force, source } = await query();
    expect(source('month-feed')).toMatchObject({ state: 'OK', error: null });
    expect(force('kent').figure).toMatchObject({
      value: 6,
      status: 'REPORTED',
      asAt: { date: RECENT.slice(0, 7), precision: 'MONTH' },
    });
  });

  test('hostile titles are stored neutralised: GraphQL serves them with the guard, the figures are kept', async () => {
    const { force, source } = await query();
    expect(source('hostile-feed')).toMatchObject({ state: 'OK', error: null });
    expect(force('hampshire').figure).toMatchObject({ value: 7, provenance: { title: `'${HYPERLINK}` } });
    expect(force('surrey').figure).toMatchObject({ value: 2, provenance: { title: `'${SUM}` } });
  });

  test('the JSON feed serves the neutralised titles', async () => {
    const res = await raw(`${gateway.url}/feeds/national-latest.json`, { method: 'GET' });
    expect(res.status).toBe(200);
    const titles = Object.fromEntries(
      res.json.data.national.forces
        .filter((e: any) => e.figure)
        .map((e: any) => [e.force.id, e.figure.provenance.title]),
    );
    expect(titles).toMatchObject({ hampshire: `'${HYPERLINK}`, surrey: `'${SUM}` });
    expect(res.text).not.toContain(`"${HYPERLINK.replaceAll('"', '\\"')}`);
  });

  test('the CSV feed writes no cell a spreadsheet could run, and says NO_FIGURE and UNAVAILABLE where it has no value', async () => {
    const res = await raw(`${gateway.url}/feeds/national-latest.csv`, { method: 'GET' });
    expect(res.status).toBe(200);
    const rows = parse(res.text, { bom: true, columns: true }) as Record<string, string>[];
    const row = (id: string) => rows.find((r) => r.force_id === id)!;
    expect(row('hampshire')).toMatchObject({ value: '7', status: 'REPORTED', source_title: `'${HYPERLINK}` });
    expect(row('surrey')).toMatchObject({ value: '2', source_title: `'${SUM}` });
    expect(row('dorset')).toMatchObject({ value: '', status: 'UNAVAILABLE' });
    expect(row('metropolitan')).toMatchObject({ value: '', status: 'NO_FIGURE', source_title: '' });
    for (const r of rows) {
      for (const cell of Object.values(r)) expect(cell).not.toMatch(/^[\s\p{Cf}]*[=+\-@＝＋－＠]/u);
    }
  });
});
