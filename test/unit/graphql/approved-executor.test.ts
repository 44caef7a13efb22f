import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApprovedOperation } from '../../../src/access/approved-operations';
import { loadApprovedOperations } from '../../../src/access/approved-operations';
import type { Caller } from '../../../src/access/caller';
import { embeddedDefault } from '../../../src/config/load';
import type { ExecuteApproved } from '../../../src/graphql/approved-executor';
import { approvedExecutor } from '../../../src/graphql/approved-executor';
import { cacheStatusPlugin } from '../../../src/graphql/cache-status.plugin';
import { OperationCompiler } from '../../../src/graphql/compiled-operations';
import type { RequestContext } from '../../../src/graphql/context';
import { createRequestContext } from '../../../src/graphql/context';
import { buildExecutableSchema } from '../../../src/graphql/schema';
import { FigureService } from '../../../src/store/figure-service';
import { TieredFigureStore } from '../../../src/store/figure-store';
import { TestClock } from '../../helpers/clock';

/**
 * Response-cache builds run approved operations with graphql-jit instead of Apollo: what they return
 * must be exactly what Apollo (with the gateway's cache-status plugin) returns, for every approved query,
 * with and without disclosure control, before and after the document is compiled.
 */
describe('approvedExecutor: approved operations outside Apollo, answered as Apollo answers them', () => {
  // The bundled figures are from 2017-2018; a clock that does not move keeps ages equal between the two.
  const clock = new TestClock(Date.parse('2018-03-01T09:00:00Z'));
  const service = new FigureService(embeddedDefault(), {
    store: new TieredFigureStore({}),
    now: clock.now,
  });
  const armor = new ApolloArmor({ maxTokens: { enabled: false } }).protect();
  const apollo = new ApolloServer<RequestContext>({
    schema: buildExecutableSchema(),
    validationRules: armor.validationRules,
    plugins: [...armor.plugins, cacheStatusPlugin()],
  });
  const context = (caller: Caller) => createRequestContext(service, caller, { disclosureK: 3 });
  const viaApollo = jest.fn<ReturnType<ExecuteApproved>, Parameters<ExecuteApproved>>(
    async (op, variables, caller) => {
      const response = await apollo.executeOperation(
        { query: op.document, variables, operationName: op.operationName },
        { contextValue: context(caller) },
      );
      if (response.body.kind !== 'single') throw new Error('not a single result');
      return response.body.singleResult;
    },
  );
  const executor = () =>
    approvedExecutor({
      compiler: new OperationCompiler(buildExecutableSchema(), {
        validationRules: armor.validationRules,
        maxTokens: 5000,
      }),
      context,
      viaApollo,
    });
  const op = (name: string): ApprovedOperation => loadApprovedOperations().find((o) => o.name === name)!;
  const journalist: Caller = { keyId: 'k-journalist', role: 'journalist', via: 'api-key' };
  const analyst: Caller = { keyId: 'k-analyst', role: 'analyst', via: 'api-key' };

  beforeAll(async () => {
    await apollo.start();
    // The first read builds the snapshot (cacheStatus BUILT); every run compared below reuses it (HIT).
    await viaApollo(op('sources-status'), {}, analyst);
  });
  afterAll(async () => {
    await apollo.stop();
    service.close();
  });
  beforeEach(() => viaApollo.mockClear());

  test.each([
    ['national-latest', {}],
    ['national-latest', { asAt: '2018-01-17' }],
    ['national-latest', { asAt: '2018-01-31', windowDays: 30 }],
    ['force-history', { id: 'metropolitan' }],
    ['force-history', { id: 'dorset', from: '2017-01-01', to: '2018-02-28' }],
    ['sources-status', {}],
  ])('%s %j: the same result as Apollo, for journalists and analysts', async (name, variables) => {
    const run = executor();
    for (const caller of [journalist, analyst]) {
      const expected = await viaApollo(op(name), variables, caller);
      expect(expected.errors).toBeUndefined();
      viaApollo.mockClear();
      // Runs 1-2 through graphql-js, 3-4 compiled with graphql-jit (the compiler's jitAfter).
      for (let i = 0; i < 4; i++) expect(await run(op(name), variables, caller)).toEqual(expected);
      expect(viaApollo).not.toHaveBeenCalled();
    }
  });

  test("a journalist's build is under disclosure control, an analyst's is not", async () => {
    // No approved document selects breakdowns today; one that did must be protected outside Apollo too.
    const breakdowns: ApprovedOperation = {
      ...op('force-history'),
      name: 'dorset-breakdowns',
      operationName: 'DorsetBreakdowns',
      document:
        'query DorsetBreakdowns { force(id: "dorset") { latest(asAt: "2018-01-17") { breakdowns { cells { category value status } } } } }',
    };
    const cells = async (caller: Caller) => {
      const result = (await executor()(breakdowns, {}, caller)) as {
        data: { force: { latest: { breakdowns: Array<{ cells: unknown[] }> } } };
      };
      return result.data.force.latest.breakdowns[0]!.cells;
    };
    expect(await cells(analyst)).toEqual([
      { category: '2014', value: 1, status: 'REPORTED' },
      { category: '2016', value: 3, status: 'REPORTED' },
      { category: '2017', value: 1, status: 'REPORTED' },
    ]);
    expect(await cells(journalist)).toEqual([
      { category: '2014', value: null, status: 'SUPPRESSED' },
      { category: '2016', value: null, status: 'SUPPRESSED' },
      { category: '2017', value: null, status: 'SUPPRESSED' },
    ]);
    expect(viaApollo).not.toHaveBeenCalled();
  });

  test('a result with errors comes from Apollo, formatted as Apollo formats it', async () => {
    const run = executor();
    const bad = { id: 'metropolitan', from: 'not a date' };
    const result = await run(op('force-history'), bad, journalist);
    expect(viaApollo).toHaveBeenCalledTimes(1);
    expect(result.errors?.length).toBeGreaterThan(0);
    expect(result).toEqual(await viaApollo(op('force-history'), bad, journalist));
  });

  test('a document the compiler will not run (a subscription) goes through Apollo', async () => {
    const run = executor();
    await run(op('figures-changed'), {}, journalist);
    expect(viaApollo).toHaveBeenCalledTimes(1);
  });
});
