/**
 * Client recipe: graphql-request 7 over POST and GET, against a real gateway on 127.0.0.1 (issue 21,
 * item 1). The README's "Client recipes" shows the same code.
 *
 * graphql-request always sends the query text (it has no persisted-query support), so it is a client for
 * analyst keys; journalist and dashboard keys are refused with 403 and use Apollo Client or urql (by id) or
 * the feeds instead.
 */
import { ClientError, GraphQLClient, gql } from 'graphql-request';
import type { RecipeGateway } from './gateway-with-keys';
import { UNKNOWN_KEY, recordingFetch, startRecipeGateway } from './gateway-with-keys';

const FORCE_HISTORY = gql`
  query DorsetHistory($id: ID!) {
    force(id: $id) {
      id
      name
      history {
        value
        status
        asAt {
          date
        }
      }
    }
  }
`;

interface DorsetHistory {
  force: {
    id: string;
    name: string;
    history: { value: number | null; status: string; asAt: { date: string } }[];
  };
}

/** The error a refused request rejects with, as graphql-request reports it. */
async function refusal(promise: Promise<unknown>): Promise<ClientError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the request to be refused');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClientError);
  return error as ClientError;
}

describe('graphql-request recipe (analyst keys)', () => {
  let running: RecipeGateway;
  let url: string;

  beforeAll(async () => {
    running = await startRecipeGateway();
    url = running.gateway.graphqlUrl;
  });
  afterAll(() => running.close());

  test.each(['POST', 'GET'] as const)(
    'an analyst runs a query over %s and gets the force history with its figures',
    async (method) => {
      const recorder = recordingFetch();
      const client = new GraphQLClient(url, {
        method,
        headers: { authorization: `Bearer ${running.keys.analyst}` },
        fetch: recorder.fetch,
      });
      const data = await client.request<DorsetHistory>(FORCE_HISTORY, { id: 'dorset' });
      expect(data.force).toEqual({
        id: 'dorset',
        name: 'Dorset Police',
        history: [
          { value: 5, status: 'REPORTED', asAt: { date: '2013-10-09' } },
          { value: 5, status: 'REPORTED', asAt: { date: '2018-01-17' } },
        ],
      });
      expect(recorder.sent.map((r) => r.method)).toEqual([method]);
    },
  );

  test('rawRequest gives the status and the extensions too (cacheStatus: where the figures came from)', async () => {
    const client = new GraphQLClient(url, { headers: { authorization: `Bearer ${running.keys.analyst}` } });
    const { status, data, extensions } = await client.rawRequest<DorsetHistory>(FORCE_HISTORY, {
      id: 'dorset',
    });
    expect(status).toBe(200);
    expect(data.force.history).toHaveLength(2);
    expect(extensions).toHaveProperty('cacheStatus.snapshot');
  });

  test('a query error is a ClientError carrying the stable code: an unknown force id in a list is UNKNOWN_FORCE', async () => {
    const client = new GraphQLClient(url, { headers: { authorization: `Bearer ${running.keys.analyst}` } });
    const error = await refusal(
      client.request(gql`
        query {
          forces(filter: { ids: ["dorset", "atlantis"] }) {
            id
          }
        }
      `),
    );
    expect(error.response.status).toBe(400);
    expect(error.response.errors![0]!.extensions).toMatchObject({
      code: 'UNKNOWN_FORCE',
      unknownIds: ['atlantis'],
    });
  });

  test.each(['POST', 'GET'] as const)(
    'a journalist key sending query text over %s is refused: 403 FORBIDDEN',
    async (method) => {
      const client = new GraphQLClient(url, {
        method,
        headers: { authorization: `Bearer ${running.keys.journalist}` },
      });
      const error = await refusal(client.request(FORCE_HISTORY, { id: 'dorset' }));
      expect(error.response.status).toBe(403);
      expect(error.response.errors![0]).toEqual({
        message:
          'journalist keys may run approved operations only, sent by document id (extensions.persistedQuery.sha256Hash)',
        extensions: { code: 'FORBIDDEN' },
      });
    },
  );

  test('a key that was never issued is 401 UNAUTHENTICATED', async () => {
    const client = new GraphQLClient(url, { headers: { authorization: `Bearer ${UNKNOWN_KEY}` } });
    const error = await refusal(client.request(FORCE_HISTORY, { id: 'dorset' }));
    expect(error.response.status).toBe(401);
    expect(error.response.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });
});
