/**
 * R2 of `npm run bench`: fastify 5 + mercurius with graphql-jit (`jit: 1`: every query is compiled on its
 * second run), the fastest Node GraphQL server measured on this machine. Same SDL and captured data as
 * R1 (see common.ts: GraphQL work only, no domain work; arguments are ignored).
 *
 *   node test/bench/run.js references/r2-mercurius --schema schema/schema.graphql --data <data.json>
 */
import Fastify from 'fastify';
import mercurius from 'mercurius';
import type { AddressInfo } from 'node:net';
import { announce, args, exitOnSignals, referenceSchema, required } from './common';

async function main(): Promise<void> {
  const a = args();
  const app = Fastify({ logger: false });
  await app.register(mercurius, {
    schema: await referenceSchema(required(a, 'schema'), required(a, 'data')),
    jit: 1,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  announce((app.server.address() as AddressInfo).port);
  exitOnSignals(() => app.close());
}

main().catch((error: unknown) => {
  process.stderr.write(`r2-mercurius: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
