import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { ApiKeyStore } from '../../../src/access/api-keys';
import { loadApprovedOperations } from '../../../src/access/approved-operations';
import { buildConfig } from '../../../src/config/load';
import type { RunningGateway } from '../../helpers/gateway';
import { gql, raw, startGateway } from '../../helpers/gateway';

const ISSUER = 'https://idp.newsroom.example';

describe('optional JWT authentication (JWKS on a loopback server)', () => {
  let jwks: http.Server;
  let gateway: RunningGateway;
  let signing: CryptoKey;
  let other: CryptoKey;
  let dir: string;

  const token = (
    claims: Record<string, unknown>,
    key: CryptoKey = signing,
    expires = '5m',
    issuer = ISSUER,
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(issuer)
      .setSubject('user-1')
      .setIssuedAt()
      .setExpirationTime(expires)
      .sign(key);

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signing = pair.privateKey;
    other = (await generateKeyPair('ES256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
    jwks = http.createServer((_req, res) =>
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-jwt-'));
    const config = buildConfig(
      {
        includeBundled: true,
        access: {
          jwt: { jwksUrl, issuer: ISSUER, roleClaim: 'wa_role', roleMap: { newsroom: 'journalist' } },
        },
      },
      { baseDir: dir, origin: 'test' },
    );
    gateway = await startGateway(config, { apiKeys: ApiKeyStore.load(path.join(dir, 'keys.json')) });
  });
  afterAll(async () => {
    await gateway.close();
    jwks.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a valid token maps its claim to a role: an analyst token may query freely', async () => {
    const res = await gql(
      gateway.graphqlUrl,
      '{ national(asAt: "2018-01-17") { unaccounted { value } } }',
      undefined,
      {
        authorization: `Bearer ${await token({ wa_role: 'analyst' })}`,
      },
    );
    expect(res.body.data).toEqual({ national: { unaccounted: { value: 393 } } });
  });

  test('a claim mapped through roleMap gives that role: a newsroom token is a journalist (approved operations only)', async () => {
    const auth = { authorization: `Bearer ${await token({ wa_role: 'newsroom' })}` };
    expect((await gql(gateway.graphqlUrl, '{ forces { id } }', undefined, auth)).status).toBe(403);
    const sha256Hash = loadApprovedOperations().find((op) => op.name === 'national-latest')!.sha256;
    const res = await raw(gateway.graphqlUrl, {
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash } } }),
      headers: { 'content-type': 'application/json', ...auth },
    });
    expect(res.status).toBe(200);
  });

  test.each([
    ['expired', async () => token({ wa_role: 'analyst' }, undefined, '-1m')],
    ['signed by another key', async () => token({ wa_role: 'analyst' }, other)],
    [
      'from another issuer',
      async () => token({ wa_role: 'analyst' }, undefined, '5m', 'https://evil.example'),
    ],
    ['naming no known role', async () => token({ wa_role: 'superuser' })],
    ['without the role claim', async () => token({})],
  ])('a token %s gets the one 401', async (_name, make) => {
    const res = await gql(gateway.graphqlUrl, '{ forces { id } }', undefined, {
      authorization: `Bearer ${await make()}`,
    });
    expect(res.status).toBe(401);
    expect(res.body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });
});
