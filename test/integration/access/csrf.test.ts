import { loadApprovedOperations } from '../../../src/access/approved-operations';
import { CSRF_PREFLIGHTED_HEADERS } from '../../../src/http/csrf';
import type { RunningGateway } from '../../helpers/gateway';
import { startGateway } from '../../helpers/gateway';

/**
 * CSRF prevention where it protects something (issue 21): a GraphQL GET carrying a bearer header is not
 * blocked (a browser must preflight that header, as it must Apollo's own), while a GET with no credentials
 * and no such header still is. Open access (every caller an analyst) stands in for a credential a browser
 * would attach by itself, so the unauthenticated GET reaches the CSRF check.
 */
const nationalLatest = loadApprovedOperations().find((op) => op.name === 'national-latest')!;
const url = (base: string) =>
  `${base}?extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: nationalLatest.sha256 } }))}`;

describe('CSRF prevention', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway(undefined, { redis: null });
  });
  afterAll(() => gateway.close());

  test('a GET without credentials or a preflighted header is blocked as a possible CSRF', async () => {
    const res = await fetch(url(gateway.graphqlUrl));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('blocked as a potential Cross-Site Request Forgery');
  });

  test.each([...CSRF_PREFLIGHTED_HEADERS])('a GET carrying %s is served', async (header) => {
    const value = header === 'authorization' ? 'Bearer any-token' : 'NationalLatest';
    const res = await fetch(url(gateway.graphqlUrl), { headers: { [header]: value } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ data: { national: expect.any(Object) } });
  });

  test('an empty authorization header does not count', async () => {
    const res = await fetch(url(gateway.graphqlUrl), { headers: { authorization: '' } });
    expect(res.status).toBe(400);
  });
});
