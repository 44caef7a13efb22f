import { ApolloServer } from '@apollo/server';
import { WhereaboutsError } from '../../../src/errors';
import type { RequestContext } from '../../../src/graphql/context';
import { createFormatError, internalErrorLogPlugin, isClientError } from '../../../src/graphql/format-error';

/**
 * Masking and logging of internal errors (issue 18: "a 500 that still happens logs its cause and the request
 * id"), through a real Apollo Server: a resolver's unexpected exception reaches the client as a bare
 * INTERNAL_SERVER_ERROR, and the log gets the exception with the request's id.
 */
describe('internal errors: masked for the client, logged with the request id', () => {
  const logged: Array<{ message: string; requestId: string | null }> = [];
  const apollo = new ApolloServer<RequestContext>({
    typeDefs: 'type Query { broken: Int, refused: Int }',
    resolvers: {
      Query: {
        broken: () => {
          throw new Error('GET http://10.0.0.7:8080/feed answered <html>secret</html>');
        },
        refused: () => {
          throw new WhereaboutsError('FORBIDDEN', 'journalist keys may not do this');
        },
      },
    },
    formatError: createFormatError(),
    plugins: [
      internalErrorLogPlugin((error, requestId) =>
        logged.push({ message: (error as Error).message, requestId }),
      ),
    ],
  });
  beforeAll(() => apollo.start());
  afterAll(() => apollo.stop());
  beforeEach(() => (logged.length = 0));

  const run = async (query: string) => {
    const response = await apollo.executeOperation(
      { query },
      { contextValue: { requestId: 'req-0001' } as unknown as RequestContext },
    );
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return response.body.singleResult;
  };

  test('an unexpected exception: masked, with no URL or body, and logged once with the request id', async () => {
    const result = await run('{ broken }');
    expect(result.errors).toEqual([
      { message: 'Internal server error', path: ['broken'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);
    expect(JSON.stringify(result)).not.toMatch(/10\.0\.0\.7|secret/);
    expect(logged).toEqual([
      { message: 'GET http://10.0.0.7:8080/feed answered <html>secret</html>', requestId: 'req-0001' },
    ]);
  });

  test('a registered client error passes through and is not logged as internal', async () => {
    const result = await run('{ refused }');
    expect(result.errors?.[0]).toMatchObject({
      message: 'journalist keys may not do this',
      extensions: { code: 'FORBIDDEN' },
    });
    expect(logged).toEqual([]);
  });

  test('a parse error is a client error', async () => {
    const result = await run('{');
    expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(logged).toEqual([]);
    expect(isClientError(new WhereaboutsError('BAD_USER_INPUT', 'x'))).toBe(true);
    expect(isClientError(new Error('x'))).toBe(false);
  });
});
