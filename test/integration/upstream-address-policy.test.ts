/**
 * Issue 18, item 5: a host name that resolves to a non-public address at connect time (DNS rebinding) is
 * refused, and the source says why in `sources`; a source with allowPrivateAddresses reaches it. The DNS
 * is played by an injected resolver; the upstream is a real HTTP server on 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildConfig } from '../../src/config/load';
import type { ResolvedAddress } from '../../src/sources/upstream-dispatcher';
import { setUpstreamResolver, systemResolver } from '../../src/sources/upstream-dispatcher';
import type { RunningGateway } from '../helpers/gateway';
import { gql, startGateway } from '../helpers/gateway';

const DNS: Record<string, ResolvedAddress[]> = {
  'rebound.force.example': [{ address: '127.0.0.1', family: 4 }],
  'private.force.example': [{ address: '10.0.0.7', family: 4 }],
  'metadata.force.example': [{ address: '169.254.169.254', family: 4 }],
  'mixed.force.example': [
    { address: '127.0.0.1', family: 4 },
    { address: '::ffff:127.0.0.1', family: 6 },
  ],
  'allowed.force.example': [{ address: '127.0.0.1', family: 4 }],
};

let upstream: http.Server;
let gateway: RunningGateway;
let port: number;
let hits = 0;
/** How often each name was looked up: a refused address must not be retried. */
const lookups: Record<string, number> = {};

beforeAll(async () => {
  upstream = http.createServer((_req, res) => {
    hits++;
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify([{ force: 'dorset', date: '2018-01-10', value: 7 }]));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  port = (upstream.address() as AddressInfo).port;
  setUpstreamResolver(async (hostname) => {
    lookups[hostname] = (lookups[hostname] ?? 0) + 1;
    const found = DNS[hostname];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found;
  });
  const source = (id: string, host: string, extra: Record<string, unknown> = {}) => ({
    id,
    kind: 'json',
    location: `http://${host}:${port}/feed.json`,
    title: id,
    forces: ['dorset'],
    retry: { maxAttempts: 1 },
    mapping: { forceId: 'force', asAt: 'date', unaccounted: 'value' },
    ...extra,
  });
  const config = buildConfig(
    {
      sources: [
        source('rebound', 'rebound.force.example'),
        // Three attempts allowed: a refusal must use one (the address will not change between attempts).
        source('private', 'private.force.example', { retry: { maxAttempts: 3 } }),
        source('metadata', 'metadata.force.example'),
        source('mixed', 'mixed.force.example'),
        source('allowed', 'allowed.force.example', { allowPrivateAddresses: true }),
      ],
    },
    { baseDir: process.cwd(), origin: 'test' },
  );
  gateway = await startGateway(config);
});

afterAll(async () => {
  await gateway?.close();
  setUpstreamResolver(systemResolver);
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

interface Status {
  id: string;
  state: string;
  error: { code: string; message: string } | null;
}

it('refuses a name that resolves to a non-public address at connect time, saying why and nothing more', async () => {
  await gql(gateway.graphqlUrl, '{ national(asAt: "2018-01-17") { unaccounted { value } } }');
  const res = await gql<{ sources: Status[] }>(
    gateway.graphqlUrl,
    '{ sources { id state error { code message } } }',
  );
  const byId = Object.fromEntries(res.body.data!.sources.map((s) => [s.id, s]));
  const refused = (kind: string) => ({
    code: 'UPSTREAM_ADDRESS_REFUSED',
    message: `the source's address is not public (${kind}); set allowPrivateAddresses to allow it`,
  });
  expect(byId.rebound!.error).toEqual(refused('loopback'));
  expect(byId.private!.error).toEqual(refused('private network'));
  expect(byId.metadata!.error).toEqual(refused('cloud metadata'));
  expect(byId.mixed!.error).toEqual(refused('loopback'));
  expect(res.text).not.toMatch(/127\.0\.0\.1|10\.0\.0\.7|169\.254|force\.example/);
  // The one allowed source reached the upstream; no refused one did.
  expect(byId.allowed!.error).toBeNull();
  expect(hits).toBe(1);
  expect(lookups['private.force.example']).toBe(1);
});
