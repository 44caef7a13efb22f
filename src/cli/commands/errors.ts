import type { Command } from 'commander';
import { ERROR_CODES, errorsMarkdownTable } from '../../errors';

/** `whereabouts errors`: lists the error registry (the README's table is generated from it). */
export function registerErrorsCommand(program: Command): void {
  program
    .command('errors')
    .description('list every error code with its HTTP status and meaning')
    .option('--markdown', 'print the README table')
    .action((options: { markdown?: boolean }) => {
      if (options.markdown) process.stdout.write(`${errorsMarkdownTable()}\n`);
      else
        for (const [code, { status, meaning }] of Object.entries(ERROR_CODES))
          process.stdout.write(`${status}  ${code.padEnd(28)} ${meaning}\n`);
    });
}
