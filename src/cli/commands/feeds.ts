import type { Command } from 'commander';
import { loadApprovedOperations } from '../../access/approved-operations';
import { feedFormatsOf } from '../../http/feed-tables';

/** `whereabouts feeds list`: the approved operations, each a feed at /feeds/<name>.json (and .csv and .xlsx, when it is a list of rows). */
export function registerFeedsCommand(program: Command): void {
  const feeds = program.command('feeds').description("the journalists' data feeds (approved operations)");
  feeds
    .command('list')
    .description('list every feed with its roles and approval record')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const ops = loadApprovedOperations().filter((op) => /^\s*query\b/.test(op.document));
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify(
            ops.map(({ document: _d, ...rest }) => rest),
            null,
            2,
          )}\n`,
        );
        return;
      }
      for (const op of ops) {
        const formats = feedFormatsOf(op.name)
          .map((format) => `/feeds/${op.name}.${format}`)
          .join(', ');
        process.stdout.write(
          `${op.name}\n  ${op.description}\n  ${formats}\n  roles: ${op.roles.join(', ')}; approved by ${op.approvedBy} on ${op.approvedOn}\n  document id: ${op.sha256}\n`,
        );
      }
    });
}
