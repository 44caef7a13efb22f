import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import * as XLSX from '@e965/xlsx';
import { parse } from 'csv-parse/sync';
import { ApiKeyStore } from '../../src/access/api-keys';
import type { Role } from '../../src/access/caller';
import { buildConfig } from '../../src/config/load';
import { NATIONAL_SERIES } from '../../src/http/feed-tables/national-series';
import { columnNames } from '../../src/http/feed-tables/table';
import type { RunningGateway } from '../helpers/gateway';
import { raw, startGateway } from '../helpers/gateway';

/**
 * The national series as a feed (issue 19, item 3): `/feeds/national-series.json`, `.csv` and `.xlsx` on a
 * real gateway on 127.0.0.1 with the bundled figures, read with a journalist's key. The CSV is read back
 * with csv-parse and the workbook with SheetJS, and both are held to the JSON form of the same request, so
 * the test says what the feed does whatever the bundled figures are.
 */
const QUARTERS = '/feeds/national-series.%s?from=2017-10-01&to=2018-03-31&every=QUARTER';
const MONTHS = '/feeds/national-series.csv?from=2015-01-01&to=2018-12-31&every=MONTH';
const url = (format: 'json' | 'csv' | 'xlsx') => QUARTERS.replace('%s', format);

describe('the national-series feed', () => {
  let gateway: RunningGateway;
  let dir: string;
  const tokens = {} as Record<Role, string>;

  const get = (p: string, token: string | null = tokens.journalist, headers: Record<string, string> = {}) =>
    raw(`${gateway.url}${p}`, {
      method: 'GET',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    });

  /** A GET whose body comes back as sent (fetch would decode it). */
  const bytes = (p: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      http
        .get(
          `${gateway.url}${p}`,
          { headers: { authorization: `Bearer ${tokens.journalist}`, ...headers } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
            );
          },
        )
        .on('error', reject);
    });

  const csvRows = (text: string) =>
    parse(text, { bom: true, columns: true }) as Array<Record<string, string>>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-feeds-series-'));
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    for (const role of ['journalist', 'dashboard', 'analyst', 'operator'] as const)
      tokens[role] = keys.create(role, `${role} test key`).token;
    const config = buildConfig({ includeBundled: true }, { baseDir: dir, origin: 'test' });
    gateway = await startGateway(config, { apiKeys: keys });
  });
  afterAll(async () => {
    await gateway.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the index lists it with its CSV and .xlsx forms and its own columns', async () => {
    const res = await get('/feeds');
    expect(res.status).toBe(200);
    const feeds = res.json.feeds as Array<Record<string, any>>;
    expect(feeds.find((f) => f.name === 'national-series')).toMatchObject({
      json: '/feeds/national-series.json',
      csv: '/feeds/national-series.csv',
      xlsx: '/feeds/national-series.xlsx',
      csvColumns: columnNames(NATIONAL_SERIES),
      parameters: [
        { name: 'every', type: 'SeriesInterval', required: false },
        { name: 'from', type: 'Date', required: false },
        { name: 'knownAt', type: 'DateTime', required: false },
        { name: 'to', type: 'Date', required: false },
        { name: 'windowDays', type: 'Int', required: false },
      ],
    });
  });

  test('the JSON form runs the approved operation with the query-string parameters', async () => {
    const res = await get(url('json'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('private, max-age=60, must-revalidate');
    expect(res.json.feed).toBe('national-series');
    expect(res.json.parameters).toEqual({ from: '2017-10-01', to: '2018-03-31', every: 'QUARTER' });
    const series = res.json.data.nationalSeries;
    expect(series).toMatchObject({ from: '2017-10-01', to: '2018-03-31', every: 'QUARTER', knownAt: null });
    expect(series.points.map((p: any) => [p.periodStart, p.asAt])).toEqual([
      ['2017-10-01', '2017-12-31'],
      ['2018-01-01', '2018-03-31'],
    ]);
  });

  test('the CSV form is one row per point with the documented columns, agreeing with the JSON form', async () => {
    const res = await get(url('csv'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.text.split('\r\n')[0]).toBe(columnNames(NATIONAL_SERIES).join(','));
    const rows = csvRows(res.text);
    const points = (await get(url('json'))).json.data.nationalSeries.points as any[];
    expect(rows).toHaveLength(points.length);
    rows.forEach((row, i) => {
      const p = points[i]!;
      const byBasis = (basis: string) => p.unaccounted.byBasis.find((b: any) => b.basis === basis)?.value;
      expect(row).toEqual({
        period_start: p.periodStart,
        as_at: p.asAt,
        total: p.gap ? '' : String(p.unaccounted.value),
        gap: p.gap ? 'TRUE' : 'FALSE',
        forces_in_registry: String(p.coverage.forces),
        forces_reporting: String(p.coverage.reporting),
        forces_withheld: String(p.coverage.withheld),
        forces_not_held: String(p.coverage.notHeld),
        forces_unavailable: String(p.coverage.unavailable),
        forces_lower_bound: String(p.coverage.lowerBound),
        forces_without_figure: String(p.coverage.withoutFigure),
        forces_stale: String(p.coverage.stale),
        total_whereabouts_unknown: String(byBasis('WHEREABOUTS_UNKNOWN') ?? ''),
        total_wanted: String(byBasis('WANTED') ?? ''),
        total_missing_or_wanted: String(byBasis('MISSING_OR_WANTED') ?? ''),
        reporting_forces: p.coverage.reportingForces.map((f: any) => f.id).join(' | '),
        sources: p.sources.length === 0 ? '' : expect.any(String),
        published_totals: expect.any(String),
      });
      // Every reporting force's figure comes from exactly one of the named sources.
      expect(p.sources.reduce((n: number, x: any) => n + x.forces, 0)).toBe(p.coverage.reporting);
      for (const x of p.sources) expect(row.sources).toContain(`${x.title} (${x.sourceId}, `);
      const published = p.publishedTotals.map(
        (t: any) => `${t.lowerBound ? '>' : ''}${t.value} ${t.measure} (${t.scope}, ${t.asAt.date}`,
      );
      const cell = row.published_totals!;
      expect(cell === '' ? [] : cell.split(' | ').filter((part) => /^>?\d+ \S+ \(/.test(part))).toHaveLength(
        published.length,
      );
      for (const start of published) expect(cell).toContain(start);
    });
    // The quarter of the Sky News survey (17 January 2018): forces reported, and its published total is there.
    expect(rows[1]).toMatchObject({ period_start: '2018-01-01', gap: 'FALSE' });
    expect(points[1].sources.length).toBeGreaterThan(0);
    expect(rows[1]!.published_totals).toContain(
      '485 whereabouts_unknown (UK, 2018-01-17, 41 of 45 forces responded): ',
    );
  });

  test('the .xlsx form has the same rows: dates as dates, numbers as numbers, gap as a logical; not compressed again', async () => {
    const res = await bytes(url('xlsx'), { 'accept-encoding': 'br, gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(res.headers['content-encoding']).toBeUndefined();
    const book = XLSX.read(res.body, { type: 'buffer', cellDates: true, UTC: true });
    expect(book.SheetNames).toEqual(['Figures', 'About']);
    const sheet = book.Sheets.Figures!;
    const header = XLSX.utils.sheet_to_json<string[]>(sheet, { header: 1 })[0];
    expect(header).toEqual(columnNames(NATIONAL_SERIES));
    const rows = XLSX.utils.sheet_to_json<Record<string, unknown>>(sheet, { defval: null });
    const csv = csvRows((await get(url('csv'))).text);
    expect(rows).toHaveLength(csv.length);
    rows.forEach((row, i) => {
      const c = csv[i]!;
      expect((row.period_start as Date).toISOString().slice(0, 10)).toBe(c.period_start);
      expect((row.as_at as Date).toISOString().slice(0, 10)).toBe(c.as_at);
      expect(row.total).toBe(c.total === '' ? null : Number(c.total));
      expect(row.gap).toBe(c.gap === 'TRUE');
      expect(row.forces_reporting).toBe(Number(c.forces_reporting));
      expect(row.published_totals).toBe(c.published_totals === '' ? null : c.published_totals);
    });
    const about = XLSX.utils.sheet_to_json<string[]>(book.Sheets.About!, { header: 1, defval: '' });
    expect(about.find((line) => line[0] === 'every')?.[1]).toBe('QUARTER');
    const again = await bytes(url('xlsx'), { 'if-none-match': res.headers.etag! });
    expect(again.status).toBe(304);
  });

  test('If-None-Match and If-Modified-Since get 304 with no body; another ETag gets 200', async () => {
    const first = await get(url('csv'));
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    expect(etag).toMatch(/^"[\w-]{27}(-gzip|-br)?"$/);
    expect(Date.parse(lastModified)).toBeGreaterThan(0);
    const same = await get(url('csv'), tokens.journalist, { 'if-none-match': etag });
    expect(same.status).toBe(304);
    expect(same.text).toBe('');
    expect((await get(url('csv'), tokens.journalist, { 'if-modified-since': lastModified })).status).toBe(
      304,
    );
    expect((await get(url('csv'), tokens.journalist, { 'if-none-match': '"old"' })).status).toBe(200);
    // Other points are another body, with another ETag.
    const monthly = await get('/feeds/national-series.csv?from=2017-10-01&to=2018-03-31&every=MONTH');
    expect(monthly.status).toBe(200);
    expect(csvRows(monthly.text)).toHaveLength(6);
    expect(monthly.headers.get('etag')).not.toBe(etag);
  });

  test.each([
    ['br', (b: Buffer) => zlib.brotliDecompressSync(b)],
    ['gzip', (b: Buffer) => zlib.gunzipSync(b)],
  ])(
    'a long series is sent %s-compressed to a client that asks, with its own ETag',
    async (coding, decode) => {
      const plain = await bytes(MONTHS);
      expect(plain.status).toBe(200);
      expect(csvRows(plain.body.toString('utf8'))).toHaveLength(48);
      const coded = await bytes(MONTHS, { 'accept-encoding': coding });
      expect(coded.headers['content-encoding']).toBe(coding);
      expect(decode(coded.body).equals(plain.body)).toBe(true);
      expect(coded.headers.etag).toBe(`${plain.headers.etag!.slice(0, -1)}-${coding}"`);
      expect(coded.headers.vary).toBe('Authorization, Origin, Accept-Encoding');
    },
  );

  test.each(['dashboard', 'analyst', 'operator'] as const)(
    'a key of the %s role reads it too',
    async (role) => {
      const res = await get(url('csv'), tokens[role]);
      expect(res.status).toBe(200);
      expect(csvRows(res.text)).toHaveLength(2);
    },
  );

  test('without a key it is refused with 401', async () => {
    const res = await get(url('csv'), null);
    expect(res.status).toBe(401);
    expect(res.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  test('knownAt answers from the archive as the gateway knew it, with no stale figure', async () => {
    const knownAt = new Date().toISOString();
    const json = await get(`/feeds/national-series.json?every=YEAR&knownAt=${knownAt}`);
    expect(json.status).toBe(200);
    expect(json.json.data.nationalSeries).toMatchObject({ knownAt, fromArchive: true });
    const rows = csvRows((await get(`/feeds/national-series.csv?every=YEAR&knownAt=${knownAt}`)).text);
    expect(rows.length).toBe(json.json.data.nationalSeries.points.length);
    expect(rows.every((row) => row.forces_stale === '0')).toBe(true);
  });

  const TOMORROW = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  test.each([
    ['every=WEEK', 'BAD_USER_INPUT', /"WEEK" does not exist in "SeriesInterval" enum/],
    ['every=month', 'BAD_USER_INPUT', /Did you mean the enum value "MONTH"\?/],
    ['every=MONTH&every=YEAR', 'BAD_USER_INPUT', /^parameter every must be given once$/],
    [
      'from=2018-03-01&to=2018-01-31',
      'INVALID_DATE',
      /^from \(2018-03-01\) must not be after to \(2018-01-31\)$/,
    ],
    ['from=2018-02-30', 'INVALID_DATE', /\$from.*real calendar day written YYYY-MM-DD/],
    [`to=${TOMORROW}`, 'INVALID_DATE', /must not be in the future/],
    ['knownAt=yesterday', 'INVALID_DATE', /\$knownAt.*ISO 8601 instant with its offset/],
    ['knownAt=2018-01-17', 'INVALID_DATE', /\$knownAt.*ISO 8601 instant with its offset/],
    ['knownAt=2018-01-17T09:00:00', 'INVALID_DATE', /\$knownAt.*ISO 8601 instant with its offset/],
    [
      'knownAt=2999-01-01T00:00:00Z',
      'INVALID_DATE',
      /^knownAt must not be in the future: got 2999-01-01T00:00:00\.000Z/,
    ],
    ['windowDays=0', 'BAD_USER_INPUT', /^windowDays must be a whole number from 1 to 3650; got 0$/],
    ['windowDays=ninety', 'BAD_USER_INPUT', /^parameter windowDays must be a whole number; got "ninety"$/],
    ['from=1900-01-01&to=2018-01-01', 'BAD_USER_INPUT', /^a series may have at most 600 points/],
    [
      'asAt=2018-01-17',
      'BAD_USER_INPUT',
      /^unknown parameter\(s\) asAt; accepted: every \(SeriesInterval\), from \(Date\), knownAt \(DateTime\)/,
    ],
  ])(
    '?%s is refused with 400 %s and a message that says what is wrong, in every form',
    async (query, code, message) => {
      for (const format of ['json', 'csv', 'xlsx']) {
        const res = await get(`/feeds/national-series.${format}?${query}`);
        expect([res.status, res.json?.errors?.[0]?.extensions?.code]).toEqual([400, code]);
        expect(res.json.errors[0].message).toMatch(message);
      }
    },
  );
});

describe('the national-series feed where no archive is kept', () => {
  let gateway: RunningGateway;
  let dir: string;
  let journalist: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-feeds-series-off-'));
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    journalist = keys.create('journalist', 'journalist test key').token;
    const config = buildConfig({ includeBundled: true }, { baseDir: dir, origin: 'test' });
    gateway = await startGateway(config, { apiKeys: keys, archive: null });
  });
  afterAll(async () => {
    await gateway.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const get = (p: string) =>
    raw(`${gateway.url}${p}`, { method: 'GET', headers: { authorization: `Bearer ${journalist}` } });

  test.each([
    '/feeds/national-series.csv?from=2018-01-01&to=2018-03-31&knownAt=2018-01-17T09:00:00Z',
    // Without from or to, the series' span is asked of the archive first.
    '/feeds/national-series.csv?knownAt=2018-01-17T09:00:00Z',
  ])('%s is refused with 501 ARCHIVE_OFF, which says why, not as a failure of the server', async (p) => {
    const refused = await get(p);
    expect([refused.status, refused.json.errors[0].extensions.code]).toEqual([501, 'ARCHIVE_OFF']);
    expect(refused.json.errors[0].message).toMatch(/keeps no archive/);
  });

  test('without knownAt the series is served from what the sources say now', async () => {
    const served = await get(url('csv'));
    expect(served.status).toBe(200);
    expect(parse(served.text, { bom: true, columns: true })).toHaveLength(2);
  });
});
