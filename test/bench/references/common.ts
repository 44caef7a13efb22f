/**
 * What the reference servers of `npm run bench` share: how they read their arguments, the schema they
 * serve and how they announce their port.
 *
 * A reference does only GraphQL work, no domain work: it serves Whereabouts' own SDL
 * (schema/schema.graphql), and each root field present in the captured `data` (Whereabouts' answer to the
 * same document, captured by the bench) is resolved from memory by returning that subtree; everything
 * below it is graphql's default field resolver reading properties. Arguments are therefore ignored. That
 * is the honest upper bound of a GraphQL server answering this query: parse, validate, execute, serialize.
 */
import fs from 'node:fs';
import { GraphQLObjectType, buildSchema } from 'graphql';
import type { GraphQLSchema } from 'graphql';

/** `--name value` arguments after the script name. */
export function args(): Map<string, string> {
  const out = new Map<string, string>();
  const argv = process.argv.slice(3);
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!;
    if (!name.startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument "${name}"`);
    out.set(name.slice(2), argv[i + 1]!);
  }
  return out;
}

export function required(a: Map<string, string>, name: string): string {
  const value = a.get(name);
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

/**
 * The SDL as graphql-js builds it (custom scalars such as Date and DateTime serialize as identity, which
 * is right for values captured from an answer), with one resolver per root Query field that returns the
 * captured subtree. `dataFile` holds `{ "<operation name>": <data> }`: each document's own capture (an
 * answer's `ageSeconds` moves between two captures), picked by the operation's name.
 */
export async function referenceSchema(sdlFile: string, dataFile: string): Promise<GraphQLSchema> {
  await waitForFile(dataFile);
  const schema = buildSchema(fs.readFileSync(sdlFile, 'utf8'));
  const byOperation = JSON.parse(fs.readFileSync(dataFile, 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  const query = schema.getQueryType();
  if (!(query instanceof GraphQLObjectType)) throw new Error('the SDL has no Query type');
  const fields = query.getFields();
  for (const data of Object.values(byOperation)) {
    for (const name of Object.keys(data)) {
      const field = fields[name];
      if (!field) throw new Error(`the captured data has a root field "${name}" that the SDL lacks`);
      field.resolve = (_source, _args, _context, info) =>
        byOperation[info.operation.name?.value ?? '']?.[name];
    }
  }
  return schema;
}

/** Waits until `file` exists (the bench writes it whole, by rename, once it has captured it). */
export async function waitForFile(file: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The one line the bench waits for: `{"port":N}` on stdout. */
export function announce(port: number): void {
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

/** Exits quietly on SIGTERM/SIGINT (the bench stops references that way). */
export function exitOnSignals(close: () => Promise<unknown> | void): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void Promise.resolve(close()).finally(() => process.exit(0));
      setTimeout(() => process.exit(0), 1000).unref();
    });
  }
}
