import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { MANIFEST_FILE } from '../../access/approved-operations';
import { printGatewaySchema } from '../../graphql/schema';
import { PACKAGE_ROOT } from '../../paths';
import { EXIT, UsageError } from '../exit-codes';
import { APOLLO_MANIFEST_FILE, renderApolloManifest } from './schema-apollo-manifest';

/** Where the emitted SDL is committed. */
export const SCHEMA_FILE = path.join(PACKAGE_ROOT, 'schema', 'schema.graphql');

/** A committed file this command generates, and how its current text is made. */
interface Generated {
  readonly file: string;
  readonly render: () => string;
}

const SDL: Generated = { file: SCHEMA_FILE, render: printGatewaySchema };
/** Derived from the trusted-documents manifest, which graphql-codegen writes (codegen.yml). */
const APOLLO_MANIFEST: Generated = { file: APOLLO_MANIFEST_FILE, render: () => renderApolloManifest() };

const relative = (file: string) => path.relative(process.cwd(), file);

function write({ file, render }: Generated): void {
  fs.writeFileSync(file, render());
  process.stdout.write(`wrote ${relative(file)}\n`);
}

/** Whether the committed file is what the code makes now. */
function isCurrent({ file, render }: Generated): boolean {
  return fs.existsSync(file) && fs.readFileSync(file, 'utf8') === render();
}

/**
 * `whereabouts schema`: prints the SDL, or emits or checks the files generated from the code: the SDL
 * (from the type-graphql classes) and Apollo's persisted-query manifest (from the trusted-documents
 * manifest).
 */
export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description(
      'print the GraphQL schema (sorted SDL); --emit writes schema/schema.graphql and src/generated/persisted-query-manifest.json (Apollo format, from the trusted-documents manifest), --check fails when either is stale',
    )
    .argument(
      '[written...]',
      'with --emit-apollo-manifest, the files codegen just wrote (its afterOneFileWrite hook passes one): the manifest is written only when the trusted-documents manifest is among them',
    )
    .option('--emit', 'write schema/schema.graphql and src/generated/persisted-query-manifest.json')
    .option('--check', 'exit 1 when either file differs from what the code makes now')
    .option(
      '--emit-apollo-manifest',
      'write src/generated/persisted-query-manifest.json only (codegen.yml runs this after it writes the trusted-documents manifest)',
    )
    .action(
      (written: string[], options: { emit?: boolean; check?: boolean; emitApolloManifest?: boolean }) => {
        if (written.length > 0 && !options.emitApolloManifest) {
          throw new UsageError('file arguments are taken with --emit-apollo-manifest only');
        }
        if (options.emitApolloManifest) {
          // Codegen calls its hook once per file it wrote; only a new trusted-documents manifest changes this one.
          const trusted = path.resolve(MANIFEST_FILE);
          if (written.length === 0 || written.some((file) => path.resolve(file) === trusted)) {
            write(APOLLO_MANIFEST);
          }
        } else if (options.emit) {
          write(SDL);
          write(APOLLO_MANIFEST);
        } else if (options.check) {
          const stale = [SDL, APOLLO_MANIFEST].filter((generated) => !isCurrent(generated));
          for (const { file } of stale) {
            process.stderr.write(
              `${relative(file)} is stale: run \`npm run schema:emit\` and commit the result\n`,
            );
          }
          if (stale.length > 0) process.exit(EXIT.FAILURE);
          process.stdout.write(
            `${relative(SCHEMA_FILE)} and ${relative(APOLLO_MANIFEST_FILE)} are current\n`,
          );
        } else {
          process.stdout.write(printGatewaySchema());
        }
      },
    );
}
