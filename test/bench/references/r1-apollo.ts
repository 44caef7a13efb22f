/**
 * R1 of `npm run bench`: plain Apollo Server 5 (`startStandaloneServer`), defaults as shipped, serving
 * Whereabouts' SDL with the captured data resolved from memory (see common.ts: GraphQL work only, no
 * domain work; arguments are ignored).
 *
 *   node test/bench/run.js references/r1-apollo --schema schema/schema.graphql --data <data.json>
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { announce, args, exitOnSignals, referenceSchema, required } from './common';

async function main(): Promise<void> {
  const a = args();
  const server = new ApolloServer({
    schema: await referenceSchema(required(a, 'schema'), required(a, 'data')),
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  announce(Number(new URL(url).port));
  exitOnSignals(() => server.stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`r1-apollo: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
