/**
 * Where the archive is kept, as the environment says (`readEnvironment`), and opening it.
 *
 * - `WHEREABOUTS_ARCHIVE=off`: no archive (a deployment that wants Redis alone); history, revisions and
 *   "as known at" answers then say that no archive is kept.
 * - `DATABASE_URL` set: PostgreSQL.
 * - Otherwise SQLite, in `WHEREABOUTS_ARCHIVE_FILE` (default `.whereabouts/archive.sqlite` in the working
 *   directory, created with its folder on first start).
 */
import type { Archive } from './archive';
import type * as Postgres from './postgres-archive';
import { SqliteArchive } from './sqlite-archive';

/**
 * The PostgreSQL archive and its driver (pg), loaded only when `DATABASE_URL` chooses it: the SQLite
 * archive's gateways do not carry it (about 1.1 MB of heap, pg measured alone on Node 26).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy loading, on purpose
const postgresArchive = (): typeof Postgres => require('./postgres-archive');

/** The default place of the embedded archive, relative to the working directory. */
export const DEFAULT_ARCHIVE_FILE = '.whereabouts/archive.sqlite';

/** Where the archive is kept. A PostgreSQL URL may hold a password: it is never logged or shown. */
export type ArchiveSettings =
  | { readonly kind: 'off' }
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly url: string };

/** Reads the archive's settings; throws a message naming the variable when one cannot be used. */
export function archiveSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): ArchiveSettings {
  const mode = env.WHEREABOUTS_ARCHIVE ?? '';
  if (mode !== '' && mode !== 'on' && mode !== 'off')
    throw new Error(`WHEREABOUTS_ARCHIVE must be "on" or "off"; got "${mode}"`);
  if (mode === 'off') return { kind: 'off' };
  const url = env.DATABASE_URL ?? '';
  if (url !== '') {
    if (!/^postgres(ql)?:\/\//.test(url))
      throw new Error('DATABASE_URL must be a postgres:// or postgresql:// connection string');
    return { kind: 'postgres', url };
  }
  return { kind: 'sqlite', file: env.WHEREABOUTS_ARCHIVE_FILE || DEFAULT_ARCHIVE_FILE };
}

/** Opens the archive the settings name; null when it is off. */
export async function openArchive(settings: ArchiveSettings): Promise<Archive | null> {
  switch (settings.kind) {
    case 'off':
      return null;
    case 'sqlite':
      return new SqliteArchive(settings.file);
    case 'postgres':
      return postgresArchive().PostgresArchive.open(settings.url);
  }
}

/** A short description for logs and health: the kind and, for SQLite, the file; never a database URL. */
export function describeArchive(settings: ArchiveSettings): string {
  return settings.kind === 'sqlite' ? `sqlite (${settings.file})` : settings.kind;
}
