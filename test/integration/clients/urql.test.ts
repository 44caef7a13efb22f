/**
 * Client recipe: urql (`@urql/core` 6) with its default settings, against a real gateway on 127.0.0.1
 * (issue 21, item 1). The README's "Client recipes" shows the same code.
 *
 * By default urql sends queries as GET ("within-url-limit"), with the key in a bearer header and no Apollo
 * CSRF header: the bearer header is what lets such a GET past CSRF prevention (src/http/csrf.ts).
 */
import { Client, cacheExchange, createRequest, fetchExchange } from '@urql/core';
import manifest from '../../../src/generated/persisted-query-manifest.json';
import { NationalLatestDocument } from '../../../src/generated/graphql';
import type { RecipeGateway } from './gateway-with-keys';
import { UNKNOWN_KEY, recordingFetch, startRecipeGateway } from './gateway-with-keys';

/** The recipe: urql's defaults, plus the key. */
function urqlClient(url: string, key: string) {
  const recorder = recordingFetch();
  const client = new Client({
    url,
    exchanges: [cacheExchange, fetchExchange],
    fetchOptions: { headers: { authorization: `Bearer ${key}` } },
    fetch: recorder.fetch,
  });
  return { client, sent: recorder.sent };
}

/** The manifest's id for an operation name. */
const idOf = (name: string) => manifest.operations.find((op) => op.name === name)!.id;

const RAW =
  'query Unaccounted($asAt: Date) { national(asAt: $asAt) { asAt unaccounted { value } coverage { forces reporting } } }';

describe('urql recipe (default settings: queries as GET)', () => {
  let running: RecipeGateway;
  let url: string;

  beforeAll(async () => {
    running = await startRecipeGateway();
    url = running.gateway.graphqlUrl;
  });
  afterAll(() => running.close());

  test("an analyst's own query goes as a GET with the bearer header and gets the national figures", async () => {
    const { client, sent } = urqlClient(url, running.keys.analyst);
    const result = await client.query(RAW, { asAt: '2018-01-17' }).toPromise();
    expect(result.error).toBeUndefined();
    // urql's cacheExchange adds __typename to the document it sends (it invalidates by type).
    expect(result.data).toEqual({
      national: {
        __typename: 'Summary',
        asAt: '2018-01-17',
        unaccounted: { __typename: 'Total', value: 393 },
        coverage: { __typename: 'Coverage', forces: 45, reporting: 20 },
      },
    });
    expect(sent.map((r) => r.method)).toEqual(['GET']);
    expect(sent[0]!.url.searchParams.get('query')).toContain('national(asAt: $asAt)');
  });

  test('a journalist runs the approved NationalLatest by id: a GET with the id and no query text', async () => {
    const { client, sent } = urqlClient(url, running.keys.journalist);
    // urql sends no query text for a request that carries extensions.persistedQuery.
    const request = createRequest(
      NationalLatestDocument,
      { asAt: '2018-01-17' },
      { persistedQuery: { version: 1, sha256Hash: idOf('NationalLatest') } },
    );
    const result = await client.executeQuery(request).toPromise();
    expect(result.error).toBeUndefined();
    expect(result.data!.national.unaccounted.value).toBe(393);
    expect(result.data!.national.coverage.forces).toBe(45);
    expect(sent.map((r) => r.method)).toEqual(['GET']);
    expect(sent[0]!.url.searchParams.has('query')).toBe(false);
    expect(JSON.parse(sent[0]!.url.searchParams.get('extensions')!)).toEqual({
      persistedQuery: { version: 1, sha256Hash: idOf('NationalLatest') },
    });
  });

  test("a journalist's own query is refused: 403 FORBIDDEN, before the gateway parses it", async () => {
    const { client } = urqlClient(url, running.keys.journalist);
    const result = await client.query(RAW, { asAt: '2018-01-17' }).toPromise();
    expect(result.data).toBeUndefined();
    expect((result.error!.response as Response).status).toBe(403);
    expect(result.error!.graphQLErrors.map((e) => [e.extensions.code, e.message])).toEqual([
      [
        'FORBIDDEN',
        'journalist keys may run approved operations only, sent by document id (extensions.persistedQuery.sha256Hash)',
      ],
    ]);
  });

  test('a key that was never issued is 401 UNAUTHENTICATED', async () => {
    const { client } = urqlClient(url, UNKNOWN_KEY);
    const result = await client.query(RAW, {}).toPromise();
    expect((result.error!.response as Response).status).toBe(401);
    expect(result.error!.graphQLErrors[0]!.extensions.code).toBe('UNAUTHENTICATED');
  });
});
