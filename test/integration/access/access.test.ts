import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ApiKeyStore } from '../../../src/access/api-keys';
import { loadApprovedOperations } from '../../../src/access/approved-operations';
import type { Role } from '../../../src/access/caller';
import { ROLES } from '../../../src/access/caller';
import { buildConfig } from '../../../src/config/load';
import type { RunningGateway } from '../../helpers/gateway';
import { gql, raw, startGateway } from '../../helpers/gateway';

const APPROVED = loadApprovedOperations();
const approvedId = (name: string) => APPROVED.find((op) => op.name === name)!.sha256;
/** The variables an approved operation needs (its required ones), by name. */
const VARIABLES: Record<string, object | undefined> = {
  'force-breakdowns': { id: 'dorset' },
  'force-history': { id: 'dorset' },
  'national-breakdown': { dimension: 'YEAR_WENT_MISSING' },
};

/** Runs an approved operation by document id (APQ extension), over POST or GET. */
async function runApproved(
  url: string,
  name: string,
  token: string,
  method: 'POST' | 'GET' = 'POST',
  variables?: object,
) {
  const extensions = { persistedQuery: { version: 1, sha256Hash: approvedId(name) } };
  if (method === 'GET') {
    const qs = new URLSearchParams({
      extensions: JSON.stringify(extensions),
      ...(variables ? { variables: JSON.stringify(variables) } : {}),
    });
    return raw(`${url}?${qs}`, {
      method: 'GET',
      headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    });
  }
  return raw(url, {
    body: JSON.stringify({ extensions, variables }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  });
}

describe('access control, approved operations and hardening', () => {
  let gateway: RunningGateway;
  let url: string;
  let dir: string;
  let store: ApiKeyStore;
  const tokens = {} as Record<Role, string>;
  let revoked: string;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-access-'));
    store = ApiKeyStore.load(path.join(dir, 'keys.json'));
    for (const role of ROLES) tokens[role] = store.create(role, `test ${role}`).token;
    const gone = store.create('analyst', 'revoked one');
    store.revoke(gone.id);
    revoked = gone.token;
    const config = buildConfig(
      {
        includeBundled: true,
        access: {
          corsOrigins: ['https://newsroom.example'],
          rateLimits: { journalist: { points: 12, durationSeconds: 60 } },
        },
      },
      { baseDir: dir, origin: 'test' },
    );
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs.push(String(chunk));
        done();
      },
    });
    gateway = await startGateway(config, { apiKeys: store, logger: pino({ level: 'info' }, sink) });
    url = gateway.graphqlUrl;
  });
  afterAll(async () => {
    await gateway.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const as = (role: Role) => ({ authorization: `Bearer ${tokens[role]}` });

  describe('19. credentials', () => {
    test.each([
      ['no key', {}],
      ['a malformed key', { authorization: 'Bearer not-a-key' }],
      ['a Basic scheme', { authorization: 'Basic YWxhZGRpbjpvcGVuc2VzYW1l' }],
      [
        'an unknown key',
        { authorization: 'Bearer wa_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      ],
      ['a revoked key', 'revoked'],
    ])('%s gets 401 with the same message for every case', async (_name, headers) => {
      const h =
        headers === 'revoked' ? { authorization: `Bearer ${revoked}` } : (headers as Record<string, string>);
      const res = await gql(url, '{ forces { id } }', undefined, h);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.body).toEqual({
        errors: [
          {
            message: 'a valid API key is required: send Authorization: Bearer <key>',
            extensions: { code: 'UNAUTHENTICATED' },
          },
        ],
      });
    });

    test('health endpoints need no key', async () => {
      expect((await raw(`${gateway.url}/healthz`, { method: 'GET' })).status).toBe(200);
    });
  });

  describe('the role x operation matrix', () => {
    const cases: Array<[Role, string, number]> = [];
    for (const role of ROLES) {
      // Approved subscriptions run over graphql-ws (test/integration/live); over HTTP they are a 400.
      for (const op of APPROVED.filter((o) => !o.document.startsWith('subscription')))
        cases.push([role, op.name, op.roles.includes(role) ? 200 : 403]);
    }
    test.each(cases)('%s running approved %s by document id gets %i', async (role, name, status) => {
      const res = await runApproved(url, name, tokens[role], 'POST', VARIABLES[name]);
      expect(res.status).toBe(status);
      if (status === 200) expect(res.json.errors).toBeUndefined();
      else expect(res.json.errors[0].extensions.code).toBe('FORBIDDEN');
    });

    test.each([
      ['analyst', 200],
      ['operator', 200],
      ['dashboard', 403],
      ['journalist', 403],
    ] as Array<[Role, number]>)('%s sending a raw query gets %i', async (role, status) => {
      const res = await gql(
        url,
        '{ national(asAt: "2018-01-17") { unaccounted { value } } }',
        undefined,
        as(role),
      );
      expect(res.status).toBe(status);
      if (status === 403) {
        expect(res.body.errors![0]!.message).toBe(
          `${role} keys may run approved operations only, sent by document id (extensions.persistedQuery.sha256Hash)`,
        );
      }
    });

    test.each([
      ['operator', 200],
      ['analyst', 403],
      ['dashboard', 403],
      ['journalist', 403],
    ] as Array<[Role, number]>)(
      '21. %s calling the operator mutation refreshSource gets %i',
      async (role, status) => {
        const res = await gql(
          url,
          'mutation { refreshSource(id: "published-figures") { id state } }',
          undefined,
          as(role),
        );
        expect(res.status).toBe(status);
        if (status === 200)
          expect(res.body.data!.refreshSource).toEqual({ id: 'published-figures', state: 'OK' });
      },
    );

    test('an approved operation runs over GET too, by document id', async () => {
      const res = await runApproved(url, 'national-latest', tokens.journalist, 'GET', { asAt: '2018-01-17' });
      expect(res.status).toBe(200);
      expect(res.json.data.national.coverage.forces).toBe(45);
    });

    test('20. an unknown document id gets 404 for a restricted key', async () => {
      const res = await raw(url, {
        body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }),
        headers: { 'content-type': 'application/json', ...as('dashboard') },
      });
      expect(res.status).toBe(404);
      expect(res.json.errors[0]).toEqual({
        message: 'no approved operation has that document id',
        extensions: { code: 'NOT_FOUND' },
      });
    });

    test('APQ registration is off: an analyst cannot register a new document by hash', async () => {
      const query = '{ forces { id } }';
      const sha = createHash('sha256').update(query).digest('hex');
      const extensions = { persistedQuery: { version: 1, sha256Hash: sha } };
      await raw(url, {
        body: JSON.stringify({ query, extensions }),
        headers: { 'content-type': 'application/json', ...as('analyst') },
      });
      const second = await raw(url, {
        body: JSON.stringify({ extensions }),
        headers: { 'content-type': 'application/json', ...as('analyst') },
      });
      expect(second.json.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    });
  });

  describe('18. introspection', () => {
    test('an analyst may introspect', async () => {
      const res = await gql(url, '{ __schema { queryType { name } } }', undefined, as('analyst'));
      expect(res.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    });
    test.each(['dashboard', 'journalist'] as Role[])(
      'a %s key cannot (raw queries are refused before parsing)',
      async (role) => {
        const res = await gql(url, '{ __type(name: "Force") { fields { name } } }', undefined, as(role));
        expect(res.status).toBe(403);
        expect(res.text).not.toContain('Did you mean');
      },
    );
  });

  describe('8-11. query limits (graphql-armor and Apollo)', () => {
    const expect400 = async (query: string, code: string, message: RegExp) => {
      const res = await gql(url, query, undefined, as('analyst'));
      expect(res.status).toBe(400);
      // Several limits may trip at once; the one under test must be among them.
      const hit = res.body.errors!.find((e) => message.test(e.message));
      expect(hit?.message).toMatch(message);
      expect(hit?.extensions?.code).toBe(code);
    };

    test('the deepest approved operation is well within every limit', async () => {
      expect((await runApproved(url, 'national-latest', tokens.analyst)).status).toBe(200);
    });

    test('8. depth over the limit gets 400', () =>
      expect400(
        '{ national { coverage { missing { force { latest { breakdowns { cells { category } } } } } } } }',
        'BAD_USER_INPUT',
        /Query depth limit of 7 exceeded, found 8/,
      ));

    test('8. depth over the limit hidden behind fragments gets 400 too (fragments flattened)', () =>
      expect400(
        'query { national { ...N } } fragment N on Summary { coverage { ...M } } fragment M on Coverage { missing { ...E } } ' +
          'fragment E on ForceEntry { force { ...F } } fragment F on Force { latest { breakdowns { cells { category } } } }',
        'BAD_USER_INPUT',
        /Query depth limit of 7 exceeded, found 8/,
      ));

    test('9. too many aliases gets 400', () =>
      expect400(
        `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: forces { id }`).join(' ')} }`,
        'BAD_USER_INPUT',
        /Aliases limit of 15 exceeded, found 20/,
      ));

    test('9. too many directives gets 400', async () => {
      const res = await gql(
        url,
        `{ forces { id ${'@include(if: true) '.repeat(15)}} }`,
        undefined,
        as('analyst'),
      );
      expect(res.status).toBe(400);
      expect(res.body.errors![0]!.message).toMatch(/Directives limit of 10 exceeded, found 15/);
    });

    test('10. a fragment cycle gets 400', () =>
      expect400(
        'query { forces { ...A } } fragment A on Force { id ...B } fragment B on Force { name ...A }',
        'GRAPHQL_VALIDATION_FAILED',
        /Cannot spread fragment "A" within itself via "B"/,
      ));

    test('10. a fragment explosion gets 400 (cost)', () =>
      expect400(
        `query { ${Array.from({ length: 10 }, (_, i) => `f${i}: forces { ...X }`).join(' ')} } fragment X on Force { latest { unaccounted { provenance { sourceId title url } asAt { date start end } } registered { value } breakdowns { cells { category value } } } history { value asAt { date } } }`,
        'BAD_USER_INPUT',
        /Query Cost limit of 1000 exceeded, found 2189/,
      ));

    test('11. a list argument asking for thousands of items gets 400', async () => {
      const ids = Array.from({ length: 5000 }, (_, i) => `f${i}`);
      const res = await gql(
        url,
        'query($ids: [ID!]) { forces(filter: { ids: $ids }) { id } }',
        { ids },
        as('analyst'),
      );
      expect(res.status).toBe(400);
      expect(res.body.errors![0]!.message).toBe('filter.ids may name at most 200 forces; got 5000');
    });
  });

  describe('22. rate limits', () => {
    test("more requests than the key's rate get 429 with Retry-After; other keys are not affected", async () => {
      const fresh = store.create('journalist', 'rate limit test').token;
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof runApproved>> | undefined;
      for (let i = 0; i < 13; i += 1) {
        last = await runApproved(url, 'national-latest', fresh);
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 12).every((s) => s === 200)).toBe(true);
      expect(last!.status).toBe(429);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last!.json.errors[0].extensions.code).toBe('RATE_LIMITED');
      expect((await runApproved(url, 'national-latest', tokens.dashboard)).status).toBe(200);
    });
  });

  describe('disclosure control', () => {
    const DORSET_2018 =
      '{ force(id: "dorset") { latest(asAt: "2018-01-17") { breakdowns { dimension cells { category value status } } } } }';

    test('an analyst sees every cell', async () => {
      const res = await gql(url, DORSET_2018, undefined, as('analyst'));
      expect(res.body.data!.force.latest.breakdowns[0].cells).toEqual([
        { category: '2014', value: 1, status: 'REPORTED' },
        { category: '2016', value: 3, status: 'REPORTED' },
        { category: '2017', value: 1, status: 'REPORTED' },
      ]);
    });

    test('an operator gets small cells suppressed, and the 3 too, since 5 - 3 would reveal the two 1s', async () => {
      const res = await gql(url, DORSET_2018, undefined, as('operator'));
      expect(res.body.data!.force.latest.breakdowns[0].cells).toEqual([
        { category: '2014', value: null, status: 'SUPPRESSED' },
        { category: '2016', value: null, status: 'SUPPRESSED' },
        { category: '2017', value: null, status: 'SUPPRESSED' },
      ]);
    });
  });

  describe('CORS and the audit log', () => {
    test('only allow-listed origins get CORS headers', async () => {
      const ok = await raw(url, {
        method: 'OPTIONS',
        headers: { origin: 'https://newsroom.example', 'access-control-request-method': 'POST' },
      });
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://newsroom.example');
      const other = await raw(url, {
        method: 'OPTIONS',
        headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' },
      });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });

    test('each request leaves one audit event with key id, role, operation, variables hash, status and duration; no secrets', async () => {
      logs.length = 0;
      await runApproved(url, 'national-latest', tokens.journalist, 'POST', { asAt: '2018-01-17' });
      await new Promise((r) => setTimeout(r, 50));
      const events = logs.map((l) => JSON.parse(l)).filter((e) => e.event === 'audit');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        role: 'journalist',
        keyId: tokens.journalist.split('_')[1],
        operation: 'national-latest',
        variablesHash: expect.stringMatching(/^[0-9a-f]{16}$/),
        status: 200,
        durationMs: expect.any(Number),
      });
      const all = logs.join('\n');
      // The secret is everything after `wa_<12-char id>_` (it may itself contain `_`).
      for (const token of Object.values(tokens)) expect(all).not.toContain(token.slice(16));
    });
  });
});
