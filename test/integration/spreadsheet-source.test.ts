import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildConfig } from '../../src/config/load';
import type { RunningGateway } from '../helpers/gateway';
import { gql, startGateway } from '../helpers/gateway';
import {
  SCOTLAND_SOURCE,
  SCOTLAND_TABLE,
  SCOTLAND_TITLE,
  SCOTLAND_URL,
  workbook,
} from '../unit/sources/spreadsheet/fixtures';

const QUERY = `{
  force(id: "police-scotland") {
    latest(asAt: "2024-04-30") {
      unaccounted { value status basis asAt { date precision } provenance { sourceId title url simulated } }
      registered { value asAt { date } provenance { sourceId } }
    }
    history(from: "2023-01-01", to: "2024-12-31") { value asAt { date } }
  }
  sources { id state error { code message } }
}`;

describe('a gateway with a spreadsheet source (issue 21 item 5)', () => {
  let upstream: http.Server;
  let gateway: RunningGateway;

  beforeAll(async () => {
    const files: Record<string, Buffer> = {
      '/mappa-2023-24.ods': workbook({ 'Appendix C': SCOTLAND_TABLE }, 'ods'),
      '/broken.xlsx': Buffer.from('<!doctype html><p>Service unavailable: internal host db-7.corp</p>'),
    };
    upstream = http.createServer((req, res) => {
      const body = files[req.url ?? ''];
      res
        .writeHead(body ? 200 : 404, { 'content-type': 'application/vnd.oasis.opendocument.spreadsheet' })
        .end(body);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const config = buildConfig(
      {
        includeBundled: false,
        sources: [
          { id: 'scotland-mappa-2023-24', ...SCOTLAND_SOURCE, location: `${base}/mappa-2023-24.ods` },
          {
            id: 'broken-workbook',
            ...SCOTLAND_SOURCE,
            forces: ['northern-ireland'],
            constants: { forceId: 'northern-ireland', basis: 'WANTED' },
            location: `${base}/broken.xlsx`,
            retry: { maxAttempts: 1 },
          },
        ],
      },
      { baseDir: process.cwd(), origin: 'test' },
    );
    gateway = await startGateway(config);
  });

  afterAll(async () => {
    await gateway?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('answers with the Scottish figure from the workbook, with its provenance', async () => {
    const res = await gql(gateway.graphqlUrl, QUERY);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const force = (res.body.data as any).force;
    expect(force.latest.unaccounted).toEqual({
      value: 12,
      status: 'REPORTED',
      basis: 'WANTED',
      asAt: { date: '2024-03-31', precision: 'DAY' },
      provenance: {
        sourceId: 'scotland-mappa-2023-24',
        title: SCOTLAND_TITLE,
        url: SCOTLAND_URL,
        simulated: false,
      },
    });
    expect(force.latest.registered).toEqual({
      value: 4948,
      asAt: { date: '2024-03-31' },
      provenance: { sourceId: 'scotland-mappa-2023-24' },
    });
    expect(force.history.map((f: any) => [f.asAt.date, f.value])).toEqual([
      ['2023-03-31', 13],
      ['2024-03-31', 12],
    ]);
  });

  it('shows a source that sent a page instead of a workbook as an error, without the page', async () => {
    const res = await gql(gateway.graphqlUrl, QUERY);
    const sources = (res.body.data as any).sources;
    expect(sources.find((s: any) => s.id === 'scotland-mappa-2023-24')).toMatchObject({
      state: 'OK',
      error: null,
    });
    expect(sources.find((s: any) => s.id === 'broken-workbook')).toEqual({
      id: 'broken-workbook',
      state: 'ERROR',
      error: {
        code: 'UPSTREAM_INVALID_PAYLOAD',
        message: 'the payload is an HTML or XML page, not a workbook; accepted: an .xlsx or .ods file',
      },
    });
    expect(res.text).not.toContain('db-7.corp');
  });
});
