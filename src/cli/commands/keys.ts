import type { Command } from 'commander';
import { EXIT } from '../exit-codes';
import type { ApiKeyInfo } from '../../access/api-keys';
import {
  ApiKeyInputError,
  ApiKeyStore,
  DEFAULT_KEYS_FILE,
  KEYS_FILE_ENV,
  MAX_LABEL_LENGTH,
  keysFilePath,
  parseLabel,
  parseRole,
} from '../../access/api-keys';
import { ROLES } from '../../access/caller';

const FILE_HELP = `the keys file (default: $${KEYS_FILE_ENV}, else ${DEFAULT_KEYS_FILE} in the working directory)`;

const ENV_HELP = `
The keys file holds only a SHA-256 hash of each key, never a key itself. It is read from --file,
else $${KEYS_FILE_ENV}, else ${DEFAULT_KEYS_FILE} under the working directory. A running gateway
notices changes to it within a second: no restart is needed after create or revoke.`;

function resolveFile(options: { file?: string }): string {
  return options.file ? keysFilePath({ [KEYS_FILE_ENV]: options.file }) : keysFilePath();
}

/** Renders keys as an aligned table: id, role, label, created, revoked. Never a hash. */
export function keysTable(keys: readonly ApiKeyInfo[]): string {
  const header = ['ID', 'ROLE', 'LABEL', 'CREATED', 'REVOKED'];
  const rows = keys.map((k) => [k.id, k.role, k.label, k.createdAt, k.revokedAt ?? '-']);
  const width = (s: string) => [...s].length;
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell))))
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** `whereabouts keys create|list|revoke`: manages the gateway's API keys in the keys file. */
export function registerKeysCommand(program: Command): void {
  const keys = program
    .command('keys')
    .description('create, list and revoke API keys (the keys file stores only their hashes)')
    .addHelpText('after', ENV_HELP);

  keys
    .command('create')
    .description('create an API key and print it once (it is not stored and cannot be shown again)')
    .requiredOption('--role <role>', `what the key may do: ${ROLES.join(', ')}`)
    .requiredOption(
      '--label <text>',
      `who or what the key is for (1 to ${MAX_LABEL_LENGTH} printable characters)`,
    )
    .option('--file <path>', FILE_HELP)
    .addHelpText(
      'after',
      `\nThe new key is printed alone on the last line of output, e.g.\n  whereabouts keys create --role journalist --label "Newsroom" | tail -n 1\n${ENV_HELP}`,
    )
    .action(function (this: Command, options: { role: string; label: string; file?: string }) {
      let role;
      let label;
      try {
        role = parseRole(options.role);
        label = parseLabel(options.label);
      } catch (error) {
        if (error instanceof ApiKeyInputError)
          this.error(`error: ${error.message}`, { exitCode: EXIT.USAGE });
        throw error;
      }
      const store = ApiKeyStore.load(resolveFile(options));
      const key = store.create(role, label);
      process.stdout.write(
        [
          `Created ${key.role} key ${key.id} ("${key.label}") in ${store.file}.`,
          'This is the only time the key is shown: keep it secret, as the keys file holds only its hash.',
          'Send it as the header "Authorization: Bearer <key>". The key:',
          key.token,
        ].join('\n') + '\n',
      );
    });

  keys
    .command('list')
    .description('list API keys: id, role, label, when created and when revoked (never a key or hash)')
    .option('--file <path>', FILE_HELP)
    .addHelpText('after', ENV_HELP)
    .action((options: { file?: string }) => {
      const store = ApiKeyStore.load(resolveFile(options));
      const all = store.list();
      if (all.length === 0) process.stdout.write(`no keys in ${store.file}\n`);
      else process.stdout.write(`${keysTable(all)}\n`);
    });

  keys
    .command('revoke')
    .description('revoke an API key by its id; a running gateway refuses it within a second')
    .argument('<id>', 'the key id (the 12 characters after "wa_", as shown by `keys list`)')
    .option('--file <path>', FILE_HELP)
    .addHelpText('after', ENV_HELP)
    .action((id: string, options: { file?: string }) => {
      const store = ApiKeyStore.load(resolveFile(options));
      const before = store.list().find((k) => k.id === id);
      // Thrown, not a usage error: the CLI prints "whereabouts: no such key: ..." and exits 1.
      if (!store.revoke(id)) throw new Error(`no such key: ${JSON.stringify(id)}`);
      if (before?.revokedAt) process.stdout.write(`key ${id} was already revoked at ${before.revokedAt}\n`);
      else process.stdout.write(`revoked key ${id}\n`);
    });
}
