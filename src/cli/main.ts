#!/usr/bin/env node
import '../runtime-guard'; // first: stops an unsupported Node before any dependency loads
import 'reflect-metadata';
import { Command } from 'commander';
import { commanderExit, exitFor } from './exit-codes';
import { registerDemoCommand } from './commands/demo';
import { registerErrorsCommand } from './commands/errors';
import { registerExportCommand } from './commands/export';
import { registerFeedsCommand } from './commands/feeds';
import { registerSourcesCommand } from './commands/sources';
import { registerKeysCommand } from './commands/keys';
import { registerSchemaCommand } from './commands/schema';
import { registerServeCommand } from './commands/serve';
import { registerSimulateCommand } from './commands/simulate';

/** Builds the `whereabouts` command line. Each command lives in its own module under `commands/`. */
export function buildCli(): Command {
  const program = new Command('whereabouts')
    .description(
      "Whereabouts: a GraphQL gateway for UK police forces' counts of registered sex offenders whose whereabouts are unknown",
    )
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true })
    .addHelpText('after', '\nExit codes: 0 done, 1 failed, 2 usage error, 78 configuration error.')
    // Before the subcommands are added, which inherit it: one mapping of errors to exit codes.
    .exitOverride(commanderExit);
  registerServeCommand(program);
  registerSchemaCommand(program);
  registerErrorsCommand(program);
  registerSourcesCommand(program);
  registerFeedsCommand(program);
  registerExportCommand(program);
  registerSimulateCommand(program);
  registerDemoCommand(program);
  registerKeysCommand(program);
  return program;
}

if (require.main === module) {
  buildCli()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      const { code, message } = exitFor(error);
      if (message !== null) process.stderr.write(`whereabouts: ${message}\n`);
      process.exit(code);
    });
}
