import type { RunningGateway } from '../helpers/gateway';
import { gql, raw, startGateway } from '../helpers/gateway';

const JSON_TYPE = { 'content-type': 'application/json' };

/** Every error body must be JSON with a registered code and nothing internal. */
function expectCleanError(text: string, code: string): void {
  const body = JSON.parse(text) as { errors: Array<{ message: string; extensions: { code: string } }> };
  expect(body.errors[0]!.extensions.code).toBe(code);
  expect(text).not.toMatch(/\bat .+\.(js|ts):\d+/); // no stack frames
  expect(text).not.toMatch(/stacktrace|node_modules|\/work\//i);
}

describe('hostile and malformed requests (CATALOGUE: Requests)', () => {
  let gateway: RunningGateway;
  let url: string;
  beforeAll(async () => {
    gateway = await startGateway();
    url = gateway.graphqlUrl;
  });
  afterAll(() => gateway.close());

  test('1. a malformed JSON body gets 400 MALFORMED_JSON as JSON, not an HTML page', async () => {
    const res = await raw(url, { body: '{"query":', headers: JSON_TYPE });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expectCleanError(res.text, 'MALFORMED_JSON');
    expect(res.json.errors[0].message).toBe('the request body is not valid JSON');
  });

  test.each([
    ['an empty body', ''],
    ['a body without query', '{}'],
    ['a query that is not a string', '{"query":1}'],
    ['variables as a string', '{"query":"{ forces { id } }","variables":"{}"}'],
    ['variables as an array', '{"query":"{ forces { id } }","variables":[1]}'],
    ['a batched array of operations (batching is off)', '[{"query":"{ forces { id } }"}]'],
  ])('2-4. %s gets 400 BAD_REQUEST', async (_name, body) => {
    const res = await raw(url, { body, headers: JSON_TYPE });
    expect(res.status).toBe(400);
    expectCleanError(res.text, 'BAD_REQUEST');
  });

  test.each([
    ['two operations and no operationName', { query: 'query A { forces { id } } query B { forces { id } }' }],
    ['an unknown operationName', { query: 'query A { forces { id } }', operationName: 'Z' }],
  ])('5. %s gets 400 OPERATION_RESOLUTION_FAILURE', async (_name, payload) => {
    const res = await raw(url, { body: JSON.stringify(payload), headers: JSON_TYPE });
    expect(res.status).toBe(400);
    expectCleanError(res.text, 'OPERATION_RESOLUTION_FAILURE');
  });

  test('6. a syntax error gets 400 GRAPHQL_PARSE_FAILED, not 500', async () => {
    const res = await gql(url, '{');
    expect(res.status).toBe(400);
    expectCleanError(res.text, 'GRAPHQL_PARSE_FAILED');
  });

  test('7. an unknown field gets 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const res = await gql(url, '{ forcez { id } }');
    expect(res.status).toBe(400);
    expectCleanError(res.text, 'GRAPHQL_VALIDATION_FAILED');
  });

  test('9. more tokens than the parser allows gets 400 GRAPHQL_PARSE_FAILED', async () => {
    const res = await gql(
      url,
      `{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: forces { id }`).join(' ')} }`,
    );
    expect(res.status).toBe(400);
    expectCleanError(res.text, 'GRAPHQL_PARSE_FAILED');
  });

  test.each([
    ['an Int variable of 2^31', 'query($w: Int) { national(windowDays: $w) { asAt } }', { w: 2 ** 31 }],
    [
      'an unknown enum value',
      'query($m: Measure!) { force(id: "dorset") { history(measure: $m) { value } } }',
      { m: 'NOPE' },
    ],
    [
      'a missing required variable',
      'query($m: Measure!) { force(id: "dorset") { history(measure: $m) { value } } }',
      {},
    ],
  ])('12. %s gets 400 BAD_USER_INPUT', async (_name, query, variables) => {
    const res = await gql(url, query, variables);
    expect(res.status).toBe(400);
    expectCleanError(res.text, 'BAD_USER_INPUT');
  });

  test.each([
    ['not a date', 'yesterday'],
    ['an impossible day', '2018-02-30'],
    ['a month only', '2018-01'],
  ])('13. an asAt that is %s gets 400 INVALID_DATE with the accepted format', async (_name, asAt) => {
    const res = await gql(url, 'query($d: Date) { national(asAt: $d) { asAt } }', { d: asAt });
    expect(res.status).toBe(400);
    expectCleanError(res.text, 'INVALID_DATE');
    expect(res.body.errors![0]!.message).toContain('YYYY-MM-DD');
  });

  test('13. an impossible day written inline in the query gets 400 INVALID_DATE too', async () => {
    const res = await gql(url, '{ national(asAt: "2018-02-30") { asAt } }');
    expect(res.status).toBe(400);
    expectCleanError(res.text, 'INVALID_DATE');
  });

  test('13. an asAt in the future gets 400 INVALID_DATE saying what is accepted', async () => {
    const res = await gql(url, '{ national(asAt: "2999-01-01") { asAt } }');
    expect(res.status).toBe(400);
    expectCleanError(res.text, 'INVALID_DATE');
    expect(res.body.errors![0]!.message).toMatch(
      /^asAt must not be in the future: got 2999-01-01, today is \d{4}-\d{2}-\d{2} \(UTC\)/,
    );
  });

  test('a window outside 1 to 3650 days gets 400 BAD_USER_INPUT', async () => {
    const res = await gql(url, '{ national(windowDays: 0) { asAt } }');
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.message).toBe('windowDays must be a whole number from 1 to 3650; got 0');
  });

  test('14. unknown force ids in a list argument get 400 UNKNOWN_FORCE naming them', async () => {
    const res = await gql(url, '{ forces(filter: { ids: ["dorset", "atlantis", "gotham"] }) { id } }');
    expect(res.status).toBe(400);
    expectCleanError(res.text, 'UNKNOWN_FORCE');
    expect(res.body.errors![0]!.message).toBe(
      'unknown force id(s): atlantis, gotham; see the forces query for valid ids',
    );
    expect(res.body.errors![0]!.extensions!.unknownIds).toEqual(['atlantis', 'gotham']);
  });

  test('14. force(id) of an unknown id is null, not an error', async () => {
    const res = await gql(url, '{ force(id: "atlantis") { id } }');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { force: null } });
  });

  test('15. a body over the size limit gets 413 PAYLOAD_TOO_LARGE as JSON', async () => {
    const res = await raw(url, {
      body: JSON.stringify({ query: '{ forces { id } }', pad: 'x'.repeat(100_000) }),
      headers: JSON_TYPE,
    });
    expect(res.status).toBe(413);
    expectCleanError(res.text, 'PAYLOAD_TOO_LARGE');
  });

  test('16. Accept: text/html only gets 406 NOT_ACCEPTABLE', async () => {
    const res = await raw(url, {
      body: '{"query":"{ forces { id } }"}',
      headers: { ...JSON_TYPE, accept: 'text/html' },
    });
    expect(res.status).toBe(406);
    expectCleanError(res.text, 'NOT_ACCEPTABLE');
  });

  test('17. a GET carrying a mutation gets 405', async () => {
    const res = await raw(
      `${url}?query=${encodeURIComponent('mutation { refreshSource(id: "published-figures") { id } }')}`,
      {
        method: 'GET',
        headers: { 'apollo-require-preflight': 'true' },
      },
    );
    expect(res.status).toBe(405);
    expect(res.json.errors[0].message).toMatch(/GET requests only support query operations/);
  });

  test.each(['name', 'address', 'dateOfBirth'])(
    '25. asking for a personal field (%s) gets 400: no such field exists',
    async (field) => {
      const res = await gql(url, `{ national { forces { figure { value ${field} } } } }`);
      expect(res.status).toBe(400);
      expectCleanError(res.text, 'GRAPHQL_VALIDATION_FAILED');
    },
  );

  test('an unknown path gets 404 NOT_FOUND as JSON', async () => {
    const res = await raw(`${gateway.url}/nope`, { method: 'GET' });
    expect(res.status).toBe(404);
    expectCleanError(res.text, 'NOT_FOUND');
  });

  test('health endpoints answer without credentials', async () => {
    expect((await raw(`${gateway.url}/healthz`, { method: 'GET' })).json).toEqual({ status: 'ok' });
    expect((await raw(`${gateway.url}/readyz`, { method: 'GET' })).status).toBe(200);
  });
});
