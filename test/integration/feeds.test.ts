import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import * as XLSX from '@e965/xlsx';
import { ApiKeyStore } from '../../src/access/api-keys';
import { buildConfig } from '../../src/config/load';
import type { RunningGateway } from '../helpers/gateway';
import { raw, startGateway } from '../helpers/gateway';

describe("journalists' data feeds (/feeds)", () => {
  let gateway: RunningGateway;
  let dir: string;
  let journalist: string;
  let analyst: string;
  const get = (p: string, token?: string, headers: Record<string, string> = {}) =>
    raw(`${gateway.url}${p}`, {
      method: 'GET',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-feeds-'));
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    journalist = keys.create('journalist', 'data desk').token;
    analyst = keys.create('analyst', 'analyst').token;
    const config = buildConfig(
      { includeBundled: true, access: { publicFeeds: ['force-history'] } },
      { baseDir: dir, origin: 'test' },
    );
    gateway = await startGateway(config, { apiKeys: keys });
  });
  afterAll(async () => {
    await gateway.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the index lists the feeds a key may read, with their parameters and CSV columns', async () => {
    const res = await get('/feeds', journalist);
    expect(res.status).toBe(200);
    expect(res.json.feeds.map((f: any) => f.name)).toEqual([
      'force-breakdowns',
      'force-history',
      'national-breakdown',
      'national-latest',
      'national-series',
    ]);
    expect(res.json.feeds.find((f: any) => f.name === 'national-latest')).toMatchObject({
      json: '/feeds/national-latest.json',
      csv: '/feeds/national-latest.csv',
      parameters: [
        { name: 'asAt', type: 'Date', required: false },
        { name: 'windowDays', type: 'Int', required: false },
      ],
    });
    // Each feed lists its own columns (issue 19: the series has other columns); the figure feeds share these.
    const columnsOf = (name: string) => res.json.feeds.find((f: any) => f.name === name).csvColumns;
    expect(columnsOf('force-history')).toEqual(columnsOf('national-latest'));
    expect(columnsOf('national-latest')).toEqual([
      'force_id',
      'force_name',
      'as_at',
      'precision',
      'value',
      'status',
      'basis',
      'freshness',
      'source_title',
    ]);
  });

  test('a JSON feed runs the approved operation with query-string variables and carries caching headers', async () => {
    const res = await get('/feeds/national-latest.json?asAt=2018-01-17', journalist);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json.feed).toBe('national-latest');
    expect(res.json.parameters).toEqual({ asAt: '2018-01-17' });
    expect(res.json.data.national.unaccounted.value).toBe(393);
    expect(res.json.data.national.coverage).toMatchObject({ forces: 45, reporting: 20 });
    // fetch asks for gzip: the coded form carries the body's ETag with the coding added.
    expect(res.headers.get('etag')).toMatch(/^"[\w-]{27}(-gzip|-br)?"$/);
    expect(Date.parse(res.headers.get('last-modified')!)).toBeGreaterThan(0);
    expect(res.headers.get('cache-control')).toBe('private, max-age=60, must-revalidate');
  });

  test('If-None-Match with the current ETag gets 304 and no body; a stale one gets 200', async () => {
    const first = await get('/feeds/national-latest.csv?asAt=2018-01-17', journalist);
    const etag = first.headers.get('etag')!;
    const again = await get('/feeds/national-latest.csv?asAt=2018-01-17', journalist, {
      'if-none-match': etag,
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const changed = await get('/feeds/national-latest.csv?asAt=2018-01-17', journalist, {
      'if-none-match': '"old"',
    });
    expect(changed.status).toBe(200);
  });

  test('a CSV feed is UTF-8 with a BOM, a header row and one row per force, quoted per RFC 4180', async () => {
    const res = await get('/feeds/national-latest.csv?asAt=2018-01-17', journalist);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    // fetch's text() drops a BOM, so look at the bytes.
    const bytes = new Uint8Array(
      await (
        await fetch(`${gateway.url}/feeds/national-latest.csv?asAt=2018-01-17`, {
          headers: { authorization: `Bearer ${journalist}` },
        })
      ).arrayBuffer(),
    );
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(res.text, { bom: true, columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(45);
    expect(rows.find((r) => r.force_id === 'metropolitan')).toEqual({
      force_id: 'metropolitan',
      force_name: 'Metropolitan Police Service',
      as_at: '2018-01-17',
      precision: 'DAY',
      value: '227',
      status: 'REPORTED',
      basis: 'WHEREABOUTS_UNKNOWN',
      freshness: 'FRESH',
      source_title:
        'Sky News FOI investigation into missing registered sex offenders - Swanage and Wareham Voice / The Courier (PA copy of Sky News report)',
    });
    expect(rows.find((r) => r.force_id === 'cheshire')).toMatchObject({ value: '', status: 'NO_FIGURE' });
    expect(rows.reduce((s, r) => s + Number(r.value || 0), 0)).toBe(393);
  });

  test('an .xlsx feed has the CSV rows with numbers as numbers and days as dates, compressed only as a zip', async () => {
    const url = `${gateway.url}/feeds/national-latest.xlsx?asAt=2018-01-17`;
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${journalist}`, 'accept-encoding': 'br, gzip' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(res.headers.get('content-encoding')).toBeNull();
    const book = XLSX.read(Buffer.from(await res.arrayBuffer()), { type: 'buffer', cellDates: true });
    const sheet = book.Sheets[book.SheetNames[0]!]!;
    const rows = XLSX.utils.sheet_to_json<Record<string, unknown>>(sheet, { defval: null });
    const csv = parse((await get('/feeds/national-latest.csv?asAt=2018-01-17', journalist)).text, {
      bom: true,
      columns: true,
    }) as Record<string, string>[];
    expect(rows.map((r) => r.force_id)).toEqual(csv.map((r) => r.force_id));
    const met = rows.find((r) => r.force_id === 'metropolitan')!;
    expect(met.value).toBe(227);
    expect(met.as_at).toBeInstanceOf(Date);
    expect((met.as_at as Date).toISOString().slice(0, 10)).toBe('2018-01-17');
    expect(met.precision).toBe('DAY');
    expect(rows.find((r) => r.force_id === 'cheshire')).toMatchObject({ value: null, status: 'NO_FIGURE' });
    expect(rows.reduce((sum, r) => sum + Number(r.value ?? 0), 0)).toBe(393);
    const again = await fetch(url, {
      headers: { authorization: `Bearer ${journalist}`, 'if-none-match': res.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    const index = await get('/feeds', journalist);
    expect(index.json.feeds.find((f: any) => f.name === 'national-latest').xlsx).toBe(
      '/feeds/national-latest.xlsx',
    );
  });

  test.each([
    ['/feeds/nope.json', 404, 'NOT_FOUND'],
    ['/feeds/sources-status.csv', 404, 'NOT_FOUND'],
    ['/feeds/sources-status.xlsx', 404, 'NOT_FOUND'],
    ['/feeds/national-latest.ods', 404, 'NOT_FOUND'],
    ['/feeds/national-latest.json?windowDays=abc', 400, 'BAD_USER_INPUT'],
    ['/feeds/national-latest.json?asAt=2018-02-30', 400, 'INVALID_DATE'],
    ['/feeds/national-latest.json?colour=red', 400, 'BAD_USER_INPUT'],
    ['/feeds/force-history.json', 400, 'BAD_USER_INPUT'],
  ])('24. %s gets %i %s', async (p, status, code) => {
    const res = await get(p, journalist);
    expect(res.status).toBe(status);
    expect(res.json.errors[0].extensions.code).toBe(code);
  });

  test('feeds need a key whose role the feed is approved for', async () => {
    expect((await get('/feeds/national-latest.json')).status).toBe(401);
    expect((await get('/feeds/sources-status.json', journalist)).status).toBe(403);
    expect((await get('/feeds/sources-status.json', analyst)).status).toBe(200);
  });

  test('a feed configured as public is readable without a key, cacheable publicly', async () => {
    const res = await get('/feeds/force-history.csv?id=metropolitan');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60, must-revalidate');
    const rows = parse(res.text, { bom: true, columns: true }) as Record<string, string>[];
    // Every dated figure of the Met's, both bases of its 2013 answer among them; undated ones are never here.
    expect(rows.map((r) => [r.as_at, r.value])).toEqual([
      ['2007-01', '88'],
      ['2008-12', '112'],
      ['2012-02', '123'],
      ['2012-04', '123'],
      ['2013-11', '96'],
      ['2013-11', '63'],
      ['2015-03', '167'],
      ['2018-01-17', '227'],
    ]);
  });
});
