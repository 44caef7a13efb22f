import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { printGatewaySchema } from '../../graphql/schema';
import { PACKAGE_ROOT } from '../../paths';
import { EXIT } from '../exit-codes';

/** Where the emitted SDL is committed. */
export const SCHEMA_FILE = path.join(PACKAGE_ROOT, 'schema', 'schema.graphql');

/** `whereabouts schema`: prints, emits or checks the committed SDL against the type-graphql classes. */
export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description(
      'print the GraphQL schema (sorted SDL); --emit writes schema/schema.graphql, --check fails when it is stale',
    )
    .option('--emit', 'write schema/schema.graphql')
    .option('--check', 'exit 1 when schema/schema.graphql differs from the code')
    .action((options: { emit?: boolean; check?: boolean }) => {
      const sdl = printGatewaySchema();
      if (options.emit) {
        fs.writeFileSync(SCHEMA_FILE, sdl);
        process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}\n`);
      } else if (options.check) {
        const committed = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, 'utf8') : '';
        if (committed !== sdl) {
          process.stderr.write(
            'schema/schema.graphql is stale: run `npm run schema:emit` and commit the result\n',
          );
          process.exit(EXIT.FAILURE);
        }
        process.stdout.write('schema/schema.graphql is current\n');
      } else {
        process.stdout.write(sdl);
      }
    });
}
