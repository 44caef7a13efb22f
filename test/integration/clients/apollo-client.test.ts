/**
 * Client recipe: Apollo Client 4 with Apollo's own persisted-query tooling, against a real gateway on
 * 127.0.0.1 (issue 21, item 1). The README's "Client recipes" shows the same code.
 *
 * Apollo's persisted-query link hashes its own printing of a document, which its cache has changed (it adds
 * `__typename`), so the hash is no approved document's id. `generatePersistedQueryIdsFromManifest` instead
 * looks the id up by operation name in the committed Apollo-format manifest
 * (src/generated/persisted-query-manifest.json, derived from the trusted-documents manifest): the id alone
 * is sent, so how Apollo prints the document no longer matters.
 */
import { createHash } from 'node:crypto';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, ServerError } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { generatePersistedQueryIdsFromManifest } from '@apollo/persisted-query-lists';
import manifest from '../../../src/generated/persisted-query-manifest.json';
import {
  ForceHistoryDocument,
  NationalLatestDocument,
  SourcesStatusDocument,
} from '../../../src/generated/graphql';
import type { RecipeGateway } from './gateway-with-keys';
import { UNKNOWN_KEY, recordingFetch, startRecipeGateway } from './gateway-with-keys';

/** The recipe: Apollo's persisted-query link with ids from the manifest, then the HTTP link with the key. */
function apolloClient(uri: string, key: string, options: { useGETForHashedQueries?: boolean } = {}) {
  const recorder = recordingFetch();
  const client = new ApolloClient({
    cache: new InMemoryCache(),
    link: ApolloLink.from([
      new PersistedQueryLink({
        ...generatePersistedQueryIdsFromManifest({ loadManifest: () => manifest }),
        ...options,
      }),
      new HttpLink({ uri, headers: { authorization: `Bearer ${key}` }, fetch: recorder.fetch }),
    ]),
  });
  return { client, sent: recorder.sent };
}

/** The manifest's id for an operation name, as the link looks it up. */
const idOf = (name: string) => manifest.operations.find((op) => op.name === name)!.id;

/** What a refused request's JSON body says (Apollo Client puts it in `ServerError.bodyText`). */
async function refusal(
  promise: Promise<unknown>,
): Promise<{ status: number; code: unknown; message: unknown }> {
  const error = await promise.then(
    () => {
      throw new Error('expected the request to be refused');
    },
    (e: unknown) => e,
  );
  expect(ServerError.is(error)).toBe(true);
  const { statusCode, bodyText } = error as ServerError;
  const first = JSON.parse(bodyText).errors[0];
  return { status: statusCode, code: first.extensions.code, message: first.message };
}

describe('Apollo Client 4 recipe: approved operations by id from the Apollo manifest', () => {
  let running: RecipeGateway;
  let uri: string;

  beforeAll(async () => {
    running = await startRecipeGateway();
    uri = running.gateway.graphqlUrl;
  });
  afterAll(() => running.close());

  test('a journalist key runs NationalLatest, sending the manifest id and no query text, and gets the national figures', async () => {
    const { client, sent } = apolloClient(uri, running.keys.journalist);
    const { data } = await client.query({ query: NationalLatestDocument, variables: { asAt: '2018-01-17' } });
    // The bundled published figures for 17 January 2018 (src/data/SOURCES.md cites them).
    expect(data!.national.asAt).toBe('2018-01-17');
    expect(data!.national.unaccounted.value).toBe(393);
    expect(data!.national.coverage).toMatchObject({ forces: 45, reporting: 20 });
    expect(data!.national.forces.find((f) => f.force.id === 'dorset')!.figure).toMatchObject({
      value: 5,
      status: 'REPORTED',
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.method).toBe('POST');
    expect(sent[0]!.body).not.toHaveProperty('query');
    expect(sent[0]!.body!.extensions).toMatchObject({
      persistedQuery: { version: 1, sha256Hash: idOf('NationalLatest') },
    });
  });

  test("the id is the one the trusted-documents manifest (the gateway's) holds for that operation", () => {
    const trusted = manifest.operations.find((op) => op.name === 'NationalLatest')!;
    expect(trusted.id).toBe(createHash('sha256').update(trusted.body).digest('hex'));
    expect(NationalLatestDocument).toMatchObject({ __meta__: { hash: `sha256:${trusted.id}` } });
  });

  test('a dashboard key runs ForceHistory with variables, over GET with useGETForHashedQueries', async () => {
    const { client, sent } = apolloClient(uri, running.keys.dashboard, { useGETForHashedQueries: true });
    const { data } = await client.query({ query: ForceHistoryDocument, variables: { id: 'dorset' } });
    expect(data!.force!.id).toBe('dorset');
    expect(data!.force!.history.map((h) => [h.asAt?.date, h.value, h.status])).toEqual([
      ['2013-10-09', 5, 'REPORTED'],
      ['2018-01-17', 5, 'REPORTED'],
    ]);
    expect(sent.map((r) => r.method)).toEqual(['GET']);
    expect(sent[0]!.url.searchParams.has('query')).toBe(false);
    expect(JSON.parse(sent[0]!.url.searchParams.get('extensions')!)).toMatchObject({
      persistedQuery: { sha256Hash: idOf('ForceHistory') },
    });
  });

  test("results carry no __typename (the gateway runs its own approved text); Apollo's cache reads them back", async () => {
    // Apollo logs a missing field through console; none may be logged for the __typename it added itself.
    const logged = [jest.spyOn(console, 'error'), jest.spyOn(console, 'warn')];
    const { client, sent } = apolloClient(uri, running.keys.journalist);
    const first = await client.query({ query: NationalLatestDocument, variables: { asAt: '2018-01-17' } });
    expect(JSON.stringify(first.data)).not.toContain('__typename');
    const again = await client.query({ query: NationalLatestDocument, variables: { asAt: '2018-01-17' } });
    expect(again.data).toEqual(first.data);
    expect(sent).toHaveLength(1); // the second came from the cache
    for (const spy of logged) {
      expect(spy).not.toHaveBeenCalled();
      spy.mockRestore();
    }
  });

  test('an operation not approved for the role is 403 FORBIDDEN, naming the operation', async () => {
    const { client } = apolloClient(uri, running.keys.journalist);
    expect(await refusal(client.query({ query: SourcesStatusDocument }))).toEqual({
      status: 403,
      code: 'FORBIDDEN',
      message: 'the approved operation "sources-status" is not approved for journalist keys',
    });
  });

  test('a key that was never issued is 401 UNAUTHENTICATED', async () => {
    const { client } = apolloClient(uri, UNKNOWN_KEY);
    expect(await refusal(client.query({ query: NationalLatestDocument }))).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  });

  test('issue 21 regression: the link hashing its own printing (with __typename) names no approved document: 404 NOT_FOUND', async () => {
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: ApolloLink.from([
        new PersistedQueryLink({ sha256 }),
        new HttpLink({ uri, headers: { authorization: `Bearer ${running.keys.journalist}` } }),
      ]),
    });
    expect(await refusal(client.query({ query: NationalLatestDocument }))).toEqual({
      status: 404,
      code: 'NOT_FOUND',
      message: 'no approved operation has that document id',
    });
  });

  test('an operation missing from the manifest fails in the client, before any request', async () => {
    const { client, sent } = apolloClient(uri, running.keys.analyst);
    const { parse } = await import('graphql');
    await expect(client.query({ query: parse('query NotApproved { forces { id } }') })).rejects.toThrow(
      'Operation NotApproved not found in manifest',
    );
    expect(sent).toEqual([]);
  });
});
