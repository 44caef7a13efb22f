import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore } from '../../src/access/api-keys';
import { loadApprovedOperations } from '../../src/access/approved-operations';
import { embeddedDefault } from '../../src/config/load';
import { HTTP_DEFAULTS } from '../../src/graphql/limits';
import type { RunningGateway } from '../helpers/gateway';
import { startGateway } from '../helpers/gateway';

/**
 * The request path for /graphql and /feeds, asked every kind of request users and hostile clients send,
 * for every role: status, headers and body must be exactly the recorded ones
 * (`request-path.golden.json`). The record was made from the express + Apollo pipeline the gateway had
 * before its two pipelines became one (issue 17: commit 851024c, with the hot path off), so this suite is
 * what proved the one path answers as that pipeline did. Record again, after a deliberate change of answers, with
 * `WHEREABOUTS_RECORD_GOLDEN=1 npm run test:jest -- test/integration/request-path.test.ts` and review the
 * diff of the JSON file.
 */

const GOLDEN = path.join(__dirname, 'request-path.golden.json');
const RECORD = process.env.WHEREABOUTS_RECORD_GOLDEN === '1';
const NEWSROOM = 'https://newsroom.example';

const approved = loadApprovedOperations();
const nationalLatest = approved.find((op) => op.name === 'national-latest')!;
const sourcesStatus = approved.find((op) => op.name === 'sources-status')!;
const pq = (sha256Hash: unknown) =>
  encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash } }));

/** Headers that differ from one request or instance to the next. */
const VARYING_HEADERS = new Set([
  'date',
  'x-request-id',
  'keep-alive',
  'connection',
  'etag',
  'last-modified',
]);

/** Today's date, but not as an operation's approval date: one approved today must read the same tomorrow. */
const TODAY = new RegExp(`(?<!"approvedOn":")${new Date().toISOString().slice(0, 10)}`, 'g');

/** What may differ between two runs: fetch times and what derives from them, and today's date. */
function normalise(text: string): string {
  return text
    .replace(TODAY, 'TODAY')
    .replace(/"retrievedAt":"[^"]*"/g, '"retrievedAt":"T"')
    .replace(/"ageSeconds":\d+/g, '"ageSeconds":0')
    .replace(/"snapshot":"(HIT|BUILT)"/g, '"snapshot":"S"')
    .replace(/"tiers":\{[^}]*\}/g, '"tiers":{}');
}

interface Case {
  readonly name: string;
  /** The role whose key is sent; none for a request without a key. */
  readonly role?: 'analyst' | 'journalist' | 'dashboard' | 'operator';
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** The body is compared by its length only (an .xlsx carries its snapshot's time). */
  readonly bodyLengthOnly?: boolean;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const json = { 'content-type': 'application/json' };
const post = (body: unknown) => JSON.stringify(body);

const CASES: readonly Case[] = [
  // Analysts' own documents.
  {
    name: 'analyst ad-hoc query',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({
      query:
        '{ national(asAt: "2018-01-31") { unaccounted { value } forces { force { id } figure { value ageSeconds freshness } } } }',
    }),
  },
  {
    name: 'analyst named query with variables, graphql-response+json',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: { ...json, accept: 'application/graphql-response+json' },
    body: post({
      query: 'query Q($d: Date) { national(asAt: $d) { name coverage { reporting } } }',
      variables: { d: '2018-01-31' },
      operationName: 'Q',
    }),
  },
  {
    name: "analyst query with Apollo Client 4's Accept",
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: { ...json, accept: 'application/graphql-response+json,application/json;q=0.9' },
    body: post({ query: '{ forces { id } }' }),
  },
  {
    name: "analyst query with urql's Accept",
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: {
      ...json,
      accept:
        'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed',
    },
    body: post({ query: '{ forces { id } }' }),
  },
  {
    name: 'analyst query without figures',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ forces { id name } }' }),
  },
  {
    name: 'analyst query over GET',
    role: 'analyst',
    method: 'GET',
    path: `/graphql?query=${encodeURIComponent('{ national(asAt: "2018-01-31") { unaccounted { value } } }')}`,
  },
  {
    name: 'analyst invalid date',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ national(asAt: "2018-02-31") { name } }' }),
  },
  {
    name: 'analyst bad variable',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: 'query Q($w: Int) { national(windowDays: $w) { name } }', variables: { w: 'x' } }),
  },
  {
    name: 'analyst unknown field',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ nope }' }),
  },
  {
    name: 'analyst syntax error',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ forces { id ' }),
  },
  {
    name: 'analyst introspection',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ __schema { queryType { name } } }' }),
  },
  {
    name: 'analyst mutation over GET',
    role: 'analyst',
    method: 'GET',
    path: `/graphql?query=${encodeURIComponent('mutation { refreshSource(id: "bundled-published-figures") { id } }')}`,
  },
  {
    name: 'analyst refreshSource (operators only)',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: 'mutation { refreshSource(id: "nope") { id } }' }),
  },
  {
    name: 'analyst document with two operations and no name',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: 'query A { forces { id } } query B { forces { name } }' }),
  },
  // Request bodies and shapes.
  { name: 'malformed JSON', role: 'analyst', method: 'POST', path: '/graphql', headers: json, body: '{bad' },
  {
    name: 'batched request',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post([{ query: '{ forces { id } }' }]),
  },
  {
    name: 'a JSON string body',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: '"{ forces { id } }"',
  },
  {
    name: 'variables that are not an object',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ forces { id } }', variables: [1] }),
  },
  {
    name: 'JSON nested too deep',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({
      query: '{ forces { id } }',
      variables: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`),
    }),
  },
  {
    name: 'body over the limit',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: `{ forces { id } } #${'x'.repeat(HTTP_DEFAULTS.bodyLimitBytes)}` }),
  },
  {
    name: 'POST as text/plain without a preflight header',
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'text/plain' },
    body: '{ forces { id } }',
  },
  {
    name: 'POST as text/plain with a key',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'text/plain' },
    body: post({ query: '{ forces { id } }' }),
  },
  {
    name: 'PUT',
    role: 'analyst',
    method: 'PUT',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ forces { id } }' }),
  },
  {
    name: 'Accept text/html only',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: { ...json, accept: 'text/html' },
    body: post({ query: '{ forces { id } }' }),
  },
  {
    name: 'persistedQuery hash that is a number',
    role: 'journalist',
    method: 'GET',
    path: `/graphql?extensions=${pq(42)}`,
    headers: { 'apollo-require-preflight': 'true' },
  },
  // The catalogue's request cases (CATALOGUE.md, Requests), each as an analyst sends it unless named.
  {
    name: 'catalogue 2: an empty body',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: '',
  },
  {
    name: 'catalogue 2: a body without query',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: '{}',
  },
  {
    name: 'catalogue 2: a query that is not a string',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: '{"query":1}',
  },
  {
    name: 'catalogue 3: variables as a string',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: '{"query":"{ forces { id } }","variables":"{}"}',
  },
  {
    name: 'catalogue 5: an unknown operationName',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: 'query A { forces { id } }', operationName: 'Z' }),
  },
  {
    name: 'catalogue 8: depth over the limit, behind fragments',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({
      query:
        'query { ...A } fragment A on Query { national { coverage { missing { force { ...B } } } } } fragment B on Force { latest { breakdowns { cells { value } } } }',
    }),
  },
  {
    name: 'catalogue 9: too many aliases',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: forces { id }`).join(' ')} }` }),
  },
  {
    name: 'catalogue 9: too many directives',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: `{ forces { id ${'@include(if: true) '.repeat(11)}} }` }),
  },
  {
    name: 'catalogue 9: too many tokens',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: `{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: forces { id }`).join(' ')} }` }),
  },
  {
    name: 'catalogue 10: a fragment cycle',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({
      query: '{ forces { ...A } } fragment A on Force { id ...B } fragment B on Force { name ...A }',
    }),
  },
  {
    name: 'catalogue 10: cost over the limit',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({
      query: `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: national { forces { force { id name nation region } figure { value status basis freshness asAt { date precision } provenance { sourceId title url simulated retrievedAt } } } }`).join(' ')} }`,
    }),
  },
  {
    name: 'catalogue 12: an Int variable of 2^31',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: 'query($w: Int) { national(windowDays: $w) { asAt } }', variables: { w: 2 ** 31 } }),
  },
  {
    name: 'catalogue 12: an unknown enum value',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({
      query: 'query($m: Measure!) { force(id: "dorset") { history(measure: $m) { value } } }',
      variables: { m: 'NOPE' },
    }),
  },
  {
    name: 'catalogue 12: a missing required variable',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({
      query: 'query($m: Measure!) { force(id: "dorset") { history(measure: $m) { value } } }',
      variables: {},
    }),
  },
  {
    name: 'catalogue 13: an asAt that is not a date',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: 'query($d: Date) { national(asAt: $d) { asAt } }', variables: { d: 'yesterday' } }),
  },
  {
    name: 'catalogue 13: an asAt in the future',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ national(asAt: "2999-01-01") { asAt } }' }),
  },
  {
    name: 'catalogue 14: unknown force ids in a list argument',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ forces(filter: { ids: ["dorset", "atlantis", "gotham"] }) { id } }' }),
  },
  {
    name: 'catalogue 14: force(id) of an unknown id',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ force(id: "atlantis") { id } }' }),
  },
  {
    name: 'catalogue 18: introspection from a dashboard key',
    role: 'dashboard',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ __type(name: "Force") { name } }' }),
  },
  {
    name: 'catalogue 18: introspection from an operator key',
    role: 'operator',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ __type(name: "Force") { name } }' }),
  },
  {
    name: 'catalogue 25: a personal field',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ forces { id dateOfBirth } }' }),
  },
  {
    name: 'catalogue 26: variables nested too deep over GET',
    role: 'analyst',
    method: 'GET',
    path: `/graphql?query=${encodeURIComponent('{ forces { id } }')}&variables=${encodeURIComponent(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`)}`,
  },
  {
    name: 'catalogue 26: a feed query string nested deep',
    role: 'journalist',
    method: 'GET',
    path: `/feeds/national-latest.json?asAt=${encodeURIComponent('['.repeat(5000))}`,
  },
  // Restricted roles.
  {
    name: 'journalist raw query (refused)',
    role: 'journalist',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ forces { id } }' }),
  },
  {
    name: 'journalist raw query over GET (refused)',
    role: 'journalist',
    method: 'GET',
    path: `/graphql?query=${encodeURIComponent('{ forces { id } }')}`,
  },
  {
    name: 'journalist approved operation by id over POST',
    role: 'journalist',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({
      extensions: { persistedQuery: { version: 1, sha256Hash: nationalLatest.sha256 } },
      variables: { asAt: '2018-01-31' },
    }),
  },
  {
    name: 'journalist approved operation by id with its text as well (refused)',
    role: 'journalist',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({
      query: nationalLatest.document,
      extensions: { persistedQuery: { version: 1, sha256Hash: nationalLatest.sha256 } },
    }),
  },
  {
    name: 'journalist operation not approved for the role',
    role: 'journalist',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ extensions: { persistedQuery: { version: 1, sha256Hash: sourcesStatus.sha256 } } }),
  },
  {
    name: 'dashboard approved operation by id over GET',
    role: 'dashboard',
    method: 'GET',
    path: `/graphql?extensions=${pq(nationalLatest.sha256)}`,
    headers: { 'apollo-require-preflight': 'true' },
  },
  {
    name: 'dashboard GET with a bearer key and no Apollo CSRF header (urql, graphql-request)',
    role: 'dashboard',
    method: 'GET',
    path: `/graphql?extensions=${pq(nationalLatest.sha256)}`,
  },
  {
    name: 'approved operation by id with another operationName',
    role: 'dashboard',
    method: 'GET',
    path: `/graphql?extensions=${pq(nationalLatest.sha256)}&operationName=Other`,
  },
  {
    name: 'approved operation by id with a bad variable',
    role: 'journalist',
    method: 'GET',
    path: `/graphql?extensions=${pq(nationalLatest.sha256)}&variables=${encodeURIComponent('{"windowDays":"x"}')}`,
  },
  {
    name: 'unknown document id',
    role: 'journalist',
    method: 'GET',
    path: `/graphql?extensions=${pq('0'.repeat(64))}`,
    headers: { 'apollo-require-preflight': 'true' },
  },
  {
    name: 'unknown document id, analyst',
    role: 'analyst',
    method: 'GET',
    path: `/graphql?extensions=${pq('0'.repeat(64))}`,
  },
  {
    name: 'no key',
    method: 'POST',
    path: '/graphql',
    headers: json,
    body: post({ query: '{ forces { id } }' }),
  },
  {
    name: 'a key that is not one',
    method: 'POST',
    path: '/graphql',
    headers: { ...json, authorization: 'Bearer wa_nope' },
    body: post({ query: '{ forces { id } }' }),
  },
  // Browsers.
  {
    name: 'a preflight from an allowed origin',
    method: 'OPTIONS',
    path: '/graphql',
    headers: {
      origin: NEWSROOM,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  },
  {
    name: 'a POST from an allowed origin',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: { ...json, origin: NEWSROOM },
    body: post({ query: '{ forces { id } }' }),
  },
  {
    name: 'a POST from another origin',
    role: 'analyst',
    method: 'POST',
    path: '/graphql',
    headers: { ...json, origin: 'https://elsewhere.example' },
    body: post({ query: '{ forces { id } }' }),
  },
  // Feeds.
  { name: 'feed index', role: 'journalist', method: 'GET', path: '/feeds' },
  {
    name: 'journalist feed, JSON',
    role: 'journalist',
    method: 'GET',
    path: '/feeds/national-latest.json?asAt=2018-01-31',
  },
  {
    name: 'journalist feed, CSV',
    role: 'journalist',
    method: 'GET',
    path: '/feeds/national-latest.csv?asAt=2018-01-31',
  },
  {
    name: 'journalist feed, JSON, brotli',
    role: 'journalist',
    method: 'GET',
    path: '/feeds/national-latest.json?asAt=2018-01-31',
    headers: { 'accept-encoding': 'br' },
  },
  {
    name: 'journalist feed, xlsx',
    role: 'journalist',
    method: 'GET',
    path: '/feeds/national-latest.xlsx?asAt=2018-01-31',
    bodyLengthOnly: true,
  },
  {
    name: 'feed from an allowed origin',
    role: 'journalist',
    method: 'GET',
    path: '/feeds/national-latest.csv?asAt=2018-01-31',
    headers: { origin: NEWSROOM },
  },
  {
    name: 'feed with an impossible date',
    role: 'journalist',
    method: 'GET',
    path: '/feeds/national-latest.json?asAt=2018-13-01',
  },
  {
    name: 'feed with an unknown parameter',
    role: 'journalist',
    method: 'GET',
    path: '/feeds/national-latest.json?bogus=1',
  },
  {
    name: 'feed with a repeated parameter',
    role: 'journalist',
    method: 'GET',
    path: '/feeds/national-latest.json?asAt=2018-01-31&asAt=2018-01-30',
  },
  {
    name: 'feed not approved for the role',
    role: 'journalist',
    method: 'GET',
    path: '/feeds/sources-status.json',
  },
  { name: 'feed that does not exist', role: 'journalist', method: 'GET', path: '/feeds/nope.json' },
  { name: 'feed without a key', method: 'GET', path: '/feeds/national-latest.json' },
  {
    name: 'feed by POST',
    role: 'journalist',
    method: 'POST',
    path: '/feeds/national-latest.json',
    headers: json,
    body: '{}',
  },
];

describe('the request path for /graphql and /feeds', () => {
  let dir: string;
  let gateway: RunningGateway;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-request-path-'));
    const keys = ApiKeyStore.load(path.join(dir, 'keys.json'));
    for (const role of ['analyst', 'journalist', 'dashboard', 'operator'] as const)
      tokens[role] = keys.create(role, `${role} test key`).token;
    const config = embeddedDefault();
    gateway = await startGateway(
      { ...config, access: { ...config.access, corsOrigins: [NEWSROOM] } },
      { apiKeys: keys, redis: null },
    );
  });
  afterAll(async () => {
    await gateway.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ask = async (c: Case): Promise<Answer> => {
    const headers = { ...c.headers, ...(c.role ? { authorization: `Bearer ${tokens[c.role]}` } : {}) };
    const res = await fetch(gateway.url + c.path, { method: c.method, headers, body: c.body });
    const bytes = Buffer.from(await res.arrayBuffer());
    const kept: Record<string, string> = {};
    for (const [name, value] of res.headers) if (!VARYING_HEADERS.has(name)) kept[name] = value;
    // fetch decodes a compressed body and keeps content-encoding; the length is the coded one's.
    if (c.bodyLengthOnly || kept['content-encoding']) delete kept['content-length'];
    return {
      status: res.status,
      headers: kept,
      body: c.bodyLengthOnly
        ? `${bytes.length > 0 ? 'non-empty' : 'empty'} body`
        : normalise(bytes.toString('utf8')),
    };
  };

  if (RECORD) {
    test('records the answers', async () => {
      const answers: Record<string, Answer> = {};
      for (const c of CASES) answers[c.name] = await ask(c);
      fs.writeFileSync(GOLDEN, `${JSON.stringify(answers, null, 2)}\n`);
    });
    return;
  }

  const golden = JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Record<string, Answer>;

  test('every case has a recorded answer, and every recorded answer a case', () => {
    expect(Object.keys(golden).sort()).toEqual(CASES.map((c) => c.name).sort());
  });

  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    expect(await ask(c)).toEqual(golden[name]);
  });
});
