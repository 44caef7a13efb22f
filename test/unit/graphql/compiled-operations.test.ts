import 'reflect-metadata';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import fs from 'node:fs';
import path from 'node:path';
import { openAccess } from '../../helpers/open-access';
import { embeddedDefault } from '../../../src/config/load';
import { OperationCompiler } from '../../../src/graphql/compiled-operations';
import { createRequestContext } from '../../../src/graphql/context';
import { buildExecutableSchema } from '../../../src/graphql/schema';
import { FigureService } from '../../../src/store/figure-service';
import { TieredFigureStore } from '../../../src/store/figure-store';

const NATIONAL_LATEST = fs.readFileSync(
  path.join(__dirname, '../../../schema/operations/national-latest.graphql'),
  'utf8',
);

describe('OperationCompiler: documents parsed, validated and compiled once', () => {
  const schema = buildExecutableSchema();
  const armor = new ApolloArmor({ maxAliases: { n: 15 }, maxTokens: { enabled: false } }).protect();
  const service = new FigureService(embeddedDefault(), { store: new TieredFigureStore({}) });
  const context = async () => createRequestContext(service, (await openAccess({}))!);
  const compiler = () =>
    new OperationCompiler(schema, { validationRules: armor.validationRules, maxTokens: 5000 });

  afterAll(() => service.close());

  test('graphql-jit gives the same result as graphql-js, run after run', async () => {
    const ops = compiler();
    const results = [];
    for (let run = 0; run < 4; run += 1) {
      const prepared = ops.prepare(NATIONAL_LATEST, undefined)!;
      results.push(JSON.stringify(await prepared.run(await context(), { asAt: '2018-01-31' })));
    }
    // Runs 1-2 are graphql-js, 3-4 graphql-jit (jitAfter 2).
    expect(new Set(results).size).toBe(1);
    expect(JSON.parse(results[0]!).data.national.unaccounted.value).toBe(393);
  });

  test('the same text is prepared once', () => {
    const ops = compiler();
    expect(ops.prepare('{ forces { id } }', undefined)).toBe(ops.prepare('{ forces { id } }', undefined));
  });

  test.each([
    ['a parse error', '{ forces { id }', undefined],
    ['a validation error', '{ nope }', undefined],
    ['a mutation', 'mutation { refreshSource(id: "published-figures") { id } }', undefined],
    ['introspection', '{ __schema { queryType { name } } }', undefined],
    ['an operation name not in the document', 'query A { forces { id } }', 'B'],
    [
      "over armor's alias limit",
      `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: forces { id }`).join(' ')} }`,
      undefined,
    ],
  ])('%s goes the full way (null)', (_what, query, operationName) => {
    expect(compiler().prepare(query, operationName)).toBeNull();
  });

  test('bad variables come back as errors (Apollo then answers)', async () => {
    const prepared = compiler().prepare('query Q($w: Int) { national(windowDays: $w) { name } }', 'Q')!;
    for (let run = 0; run < 4; run += 1) {
      const result = await prepared.run(await context(), { w: 'x' });
      expect(result.errors?.length).toBeGreaterThan(0);
    }
  });
});
