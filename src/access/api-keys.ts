import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Caller, Role } from './caller';
import { ROLES } from './caller';
import { formatZodIssues } from '../config/zod-issues';

/**
 * API keys.
 *
 * A key is a bearer token `wa_<id>_<secret>`: `id` is 12 lowercase hex characters (public: it names the key
 * in lists, logs and `keys revoke`), `secret` is 32 random bytes in base64url. The keys file holds only
 * the SHA-256 of each whole token; tokens are high-entropy, so a slow KDF adds nothing. A token is shown
 * once, when it is created, and is never stored or logged.
 *
 * Verification looks the key up by the id in the token (O(1)) and compares hashes with
 * `crypto.timingSafeEqual`. Every failure (no header, another scheme, a malformed token, an unknown id,
 * a wrong secret, a revoked key) is the same `null`: the HTTP layer answers one 401 for all of them.
 */

/** Environment variable naming the keys file. */
export const KEYS_FILE_ENV = 'WHEREABOUTS_KEYS_FILE';

/** The keys file when `WHEREABOUTS_KEYS_FILE` is not set, relative to the working directory. */
export const DEFAULT_KEYS_FILE = path.join('.whereabouts', 'keys.json');

/** Longest label, in characters. */
export const MAX_LABEL_LENGTH = 80;

/** How often, at most, a store checks the file for changes made by another process (`keys revoke`). */
export const RELOAD_INTERVAL_MS = 1000;

const ID_PATTERN = /^[0-9a-f]{12}$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;
/** `wa_` + 12-hex id + `_` + 43 base64url characters (32 bytes, unpadded). */
const TOKEN_PATTERN = /^wa_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
/** The scheme, any case, then one token; anything else (a second token, another scheme) fails. */
const BEARER_PATTERN = /^bearer +(\S+)$/i;
/** Longer headers are rejected before any parsing (a token is 59 characters). */
const MAX_HEADER_LENGTH = 256;
/** Control, format, surrogate, private-use and unassigned code points: not printable. */
const NOT_PRINTABLE = /\p{C}/u;

/** One key as stored: never the token, only its hash. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly role: Role;
  readonly label: string;
  /** SHA-256 of the whole token, lowercase hex. */
  readonly hash: string;
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601, or null while the key is live. */
  readonly revokedAt: string | null;
}

/** What `list()` returns: a record without its hash. */
export type ApiKeyInfo = Omit<ApiKeyRecord, 'hash'>;

/** A newly created key. `token` is shown to the operator once and exists nowhere else. */
export interface CreatedApiKey {
  readonly id: string;
  readonly token: string;
  readonly role: Role;
  readonly label: string;
}

/** The keys file cannot be read, parsed or written. The message names the file and the field. */
export class ApiKeyFileError extends Error {
  override readonly name = 'ApiKeyFileError';
}

/** A role or label that cannot be used. The message says what is accepted. */
export class ApiKeyInputError extends Error {
  override readonly name = 'ApiKeyInputError';
}

/** Returns the label's problem, or null when it is acceptable. */
function labelProblem(label: string): string | null {
  const length = [...label].length;
  if (length < 1 || length > MAX_LABEL_LENGTH || !/\S/u.test(label))
    return `label must be 1 to ${MAX_LABEL_LENGTH} printable characters, not only spaces`;
  if (NOT_PRINTABLE.test(label))
    return 'label must be printable characters only (no control characters, tabs or new lines)';
  return null;
}

const labelSchema = z.string().superRefine((label, ctx) => {
  const problem = labelProblem(label);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const recordSchema = z.strictObject({
  id: z.string().regex(ID_PATTERN, 'must be 12 lowercase hexadecimal characters'),
  role: z.enum(ROLES),
  label: labelSchema,
  hash: z.string().regex(HASH_PATTERN, 'must be a SHA-256 hash: 64 lowercase hexadecimal characters'),
  createdAt: z.iso.datetime({ offset: true }),
  revokedAt: z.iso.datetime({ offset: true }).nullable(),
});

const fileSchema = z
  .strictObject({
    version: z.literal(1),
    keys: z.array(recordSchema),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.keys.forEach((key, index) => {
      if (seen.has(key.id))
        ctx.addIssue({ code: 'custom', path: ['keys', index, 'id'], message: `duplicate key id ${key.id}` });
      seen.add(key.id);
    });
  });

type KeysFile = z.infer<typeof fileSchema>;

function formatIssues(file: string, error: z.ZodError): string {
  return formatZodIssues(`invalid keys file ${file}`, error);
}

/** The keys file to use: `WHEREABOUTS_KEYS_FILE` (relative to `cwd`), else `.whereabouts/keys.json` in `cwd`. */
export function keysFilePath(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const configured = env[KEYS_FILE_ENV];
  return path.resolve(cwd, configured ? configured : DEFAULT_KEYS_FILE);
}

/** Checks a role, with an error listing the roles. */
export function parseRole(role: string): Role {
  if ((ROLES as readonly string[]).includes(role)) return role as Role;
  throw new ApiKeyInputError(`role must be one of ${ROLES.join(', ')}; got ${JSON.stringify(role)}`);
}

/** Checks a label: 1 to 80 printable characters. */
export function parseLabel(label: string): string {
  const problem = labelProblem(label);
  if (problem) throw new ApiKeyInputError(problem);
  return label;
}

function sha256Hex(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compared against when the id is unknown, so that an unknown id costs what a wrong secret costs. */
const DUMMY_HASH = Buffer.from(sha256Hex('wa_000000000000_unknown'), 'hex');

function newToken(id: string): string {
  return `wa_${id}_${crypto.randomBytes(32).toString('base64url')}`;
}

function newRecord(role: Role, label: string, now: Date, taken: ReadonlySet<string>) {
  let id: string;
  do id = crypto.randomBytes(6).toString('hex');
  while (taken.has(id));
  const token = newToken(id);
  const record: ApiKeyRecord = {
    id,
    role,
    label,
    hash: sha256Hex(token),
    createdAt: now.toISOString(),
    revokedAt: null,
  };
  return { record, token };
}

/** Identifies one version of the file on disk: atomic writes replace the inode, so any write changes it. */
function signatureOf(stat: fs.Stats): string {
  return `${stat.dev}:${stat.ino}:${stat.mtimeMs}:${stat.size}`;
}

const MISSING = 'missing';

/** One version of the keys file as read: its keys, and the signature of that version (`signatureOf`). */
interface KeysFileVersion {
  readonly keys: readonly ApiKeyRecord[];
  readonly signature: string;
}

/** Reads and validates the file; a missing file is an empty set of keys. */
function readKeysFile(file: string): KeysFileVersion {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { keys: [], signature: MISSING };
    throw new ApiKeyFileError(`cannot read keys file ${file}: ${(error as Error).message}`);
  }
  let text: string;
  let signature: string;
  try {
    signature = signatureOf(fs.fstatSync(fd));
    text = fs.readFileSync(fd, 'utf8');
  } catch (error) {
    throw new ApiKeyFileError(`cannot read keys file ${file}: ${(error as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // The parser's message quotes the text; say only where the problem is not.
    throw new ApiKeyFileError(`invalid keys file ${file}: not valid JSON`);
  }
  const parsed = fileSchema.safeParse(document);
  if (!parsed.success) throw new ApiKeyFileError(formatIssues(file, parsed.error));
  return { keys: parsed.data.keys, signature };
}

function serialise(keys: readonly ApiKeyRecord[]): string {
  const document: KeysFile = { version: 1, keys: [...keys] };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Writes `text` to a new private (0600) temporary file beside `file` and returns its path. */
function writeTemp(file: string, text: string): string {
  const dir = path.dirname(file);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new ApiKeyFileError(
      `cannot create the directory of keys file ${file}: ${(error as Error).message}`,
    );
  }
  const temp = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`,
  );
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx', 0o600);
    fs.fchmodSync(fd, 0o600); // whatever the umask
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    return temp;
  } catch (error) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw new ApiKeyFileError(`cannot write keys file ${file}: ${(error as Error).message}`);
  }
}

/** Replaces the file atomically (temporary file, then rename) with mode 0600. */
function writeKeysFile(file: string, keys: readonly ApiKeyRecord[]): void {
  const temp = writeTemp(file, serialise(keys));
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw new ApiKeyFileError(`cannot write keys file ${file}: ${(error as Error).message}`);
  }
}

/**
 * Creates the file atomically only if it does not exist (a hard link fails on an existing name), so two
 * processes starting at once cannot both believe they created it. Returns false when it already existed.
 */
function createKeysFileExclusive(file: string, keys: readonly ApiKeyRecord[]): boolean {
  const temp = writeTemp(file, serialise(keys));
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      // No hard links on this filesystem: claim the name exclusively, then move the full file over it.
      try {
        fs.closeSync(fs.openSync(file, 'wx', 0o600));
      } catch (inner) {
        if ((inner as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw new ApiKeyFileError(`cannot write keys file ${file}: ${(inner as Error).message}`);
      }
      fs.renameSync(temp, file);
      return true;
    }
    throw new ApiKeyFileError(`cannot write keys file ${file}: ${(error as Error).message}`);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** Options of a store. */
export interface ApiKeyStoreOptions {
  /** Milliseconds since the epoch; for creation times and the reload throttle. Defaults to `Date.now`. */
  readonly clock?: () => number;
  /** Minimum time between two checks of the file for changes. Defaults to 1000 ms. */
  readonly reloadIntervalMs?: number;
  /**
   * Called when a change on disk cannot be loaded. The store then fails closed (every key is rejected)
   * until the file is valid again. The error names the file and field, never a token.
   */
  readonly onReloadError?: (error: ApiKeyFileError) => void;
}

/** Most verified headers remembered (see `ApiKeyStore.verified`). */
const MAX_VERIFIED = 10_000;

/** The API keys of one keys file. */
export class ApiKeyStore {
  private byId = new Map<string, ApiKeyRecord>();
  /**
   * Headers already verified against the current keys, so a busy key is hashed once, not per request.
   * Emptied whenever the keys change (a revocation takes effect at the same reload as before); only
   * successes are kept, and at most `MAX_VERIFIED` of them, so unknown tokens cannot grow it.
   */
  private verified = new Map<string, Caller>();
  private signature = MISSING;
  private lastCheck: number;
  private readonly clock: () => number;
  private readonly reloadIntervalMs: number;
  private readonly onReloadError: ((error: ApiKeyFileError) => void) | undefined;

  private constructor(
    /** Absolute path of the keys file. */
    readonly file: string,
    version: KeysFileVersion,
    options: ApiKeyStoreOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.reloadIntervalMs = options.reloadIntervalMs ?? RELOAD_INTERVAL_MS;
    this.onReloadError = options.onReloadError;
    this.apply(version);
    this.lastCheck = this.clock();
  }

  /**
   * Loads a keys file. A file that does not exist is an empty store (it is written on the first
   * `create`); an unreadable or invalid file throws `ApiKeyFileError`.
   */
  static load(file: string, options: ApiKeyStoreOptions = {}): ApiKeyStore {
    const absolute = path.resolve(file);
    return new ApiKeyStore(absolute, readKeysFile(absolute), options);
  }

  /** Creates a key and returns it with its token: the only time the token exists outside the caller. */
  create(role: string, label: string): CreatedApiKey {
    const checkedRole = parseRole(role);
    const checkedLabel = parseLabel(label);
    const current = readKeysFile(this.file); // another process may have written since we loaded
    const { record, token } = newRecord(
      checkedRole,
      checkedLabel,
      new Date(this.clock()),
      new Set(current.keys.map((k) => k.id)),
    );
    this.write([...current.keys, record]);
    return { id: record.id, token, role: record.role, label: record.label };
  }

  /** Every key, oldest first, without hashes. */
  list(): ApiKeyInfo[] {
    this.maybeReload();
    return [...this.byId.values()].map(({ hash: _hash, ...info }) => info);
  }

  /**
   * Revokes a key. Returns false when there is no such key; true when it is revoked (now or before:
   * revoking twice keeps the first revocation time).
   */
  revoke(id: string): boolean {
    const current = readKeysFile(this.file);
    const target = current.keys.find((k) => k.id === id);
    if (!target) {
      this.apply(current);
      return false;
    }
    if (target.revokedAt !== null) {
      this.apply(current);
      return true;
    }
    const revokedAt = new Date(this.clock()).toISOString();
    this.write(current.keys.map((k) => (k.id === id ? { ...k, revokedAt } : k)));
    return true;
  }

  /**
   * Resolves an `Authorization` header to a caller, or null for anything that is not a live key's exact
   * token (missing, another scheme, malformed, unknown id, wrong secret, revoked): one answer for all,
   * so that a 401 tells a caller nothing about which it was. Several headers (an array) are refused.
   */
  verify(authorizationHeader: string | readonly string[] | undefined): Caller | null {
    this.maybeReload();
    let header = authorizationHeader;
    if (Array.isArray(header)) header = header.length === 1 ? header[0] : undefined;
    if (typeof header !== 'string' || header.length > MAX_HEADER_LENGTH) return null;
    const known = this.verified.get(header);
    if (known) return known;
    const token = BEARER_PATTERN.exec(header)?.[1];
    if (token === undefined) return null;
    const id = TOKEN_PATTERN.exec(token)?.[1];
    if (id === undefined) return null;
    const record = this.byId.get(id);
    const presented = Buffer.from(sha256Hex(token), 'hex');
    const expected = record ? Buffer.from(record.hash, 'hex') : DUMMY_HASH;
    const matches = crypto.timingSafeEqual(presented, expected);
    if (!record || !matches || record.revokedAt !== null) return null;
    const caller = Object.freeze({ keyId: record.id, role: record.role, via: 'api-key' as const });
    if (this.verified.size >= MAX_VERIFIED) this.verified.clear();
    this.verified.set(header, caller);
    return caller;
  }

  /** Re-reads the file now; throws `ApiKeyFileError` when it is invalid (the store then rejects every key). */
  reload(): void {
    this.lastCheck = this.clock();
    try {
      this.apply(readKeysFile(this.file));
    } catch (error) {
      this.failClosed();
      throw error;
    }
  }

  /** Re-reads the file if it changed on disk, checking at most once per `reloadIntervalMs`. */
  private maybeReload(): void {
    const now = this.clock();
    if (now - this.lastCheck < this.reloadIntervalMs) return;
    this.lastCheck = now;
    let signature: string;
    try {
      signature = signatureOf(fs.statSync(this.file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return; // keep what we have; try again later
      signature = MISSING;
    }
    if (signature === this.signature) return;
    try {
      this.apply(readKeysFile(this.file));
    } catch (error) {
      this.failClosed(signature);
      this.onReloadError?.(
        error instanceof ApiKeyFileError ? error : new ApiKeyFileError((error as Error).message),
      );
    }
  }

  private failClosed(signature = this.signature): void {
    this.byId = new Map();
    this.verified = new Map();
    this.signature = signature;
  }

  private apply(version: KeysFileVersion): void {
    this.byId = new Map(version.keys.map((k) => [k.id, k]));
    this.verified = new Map();
    this.signature = version.signature;
  }

  private write(keys: readonly ApiKeyRecord[]): void {
    writeKeysFile(this.file, keys);
    let signature = MISSING;
    try {
      signature = signatureOf(fs.statSync(this.file));
    } catch {
      // Re-read at the next check.
    }
    this.apply({ keys, signature });
  }
}

/** A default key created at first start, with its token (printed once). */
export interface DefaultApiKey {
  readonly id: string;
  readonly role: Role;
  readonly label: string;
  readonly token: string;
}

/**
 * When the keys file does not exist, creates it with one key per role and returns their tokens (to print
 * once). When it exists, valid or not, creates nothing and returns an empty list.
 */
export function ensureDefaultKeys(
  file: string,
  options: { readonly clock?: () => number } = {},
): { created: DefaultApiKey[] } {
  const absolute = path.resolve(file);
  if (fs.existsSync(absolute)) return { created: [] };
  const now = new Date((options.clock ?? Date.now)());
  const taken = new Set<string>();
  const created: DefaultApiKey[] = [];
  const records: ApiKeyRecord[] = [];
  for (const role of ROLES) {
    const { record, token } = newRecord(role, `default ${role} key`, now, taken);
    taken.add(record.id);
    records.push(record);
    created.push({ id: record.id, role, label: record.label, token });
  }
  return { created: createKeysFileExclusive(absolute, records) ? created : [] };
}
