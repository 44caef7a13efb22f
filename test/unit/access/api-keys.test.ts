import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ApiKeyFileError,
  ApiKeyInputError,
  ApiKeyStore,
  ensureDefaultKeys,
  keysFilePath,
} from '../../../src/access/api-keys';
import { ROLES } from '../../../src/access/caller';

let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-keys-'));
  file = path.join(dir, 'nested', 'keys.json');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A clock the test moves by hand. */
function manualClock(start = Date.parse('2025-01-02T03:04:05Z')) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function fileText(): string {
  return fs.readFileSync(file, 'utf8');
}

describe('ApiKeyStore: create and verify', () => {
  it.each(ROLES)('round-trips a %s key to a caller with that role', (role) => {
    const store = ApiKeyStore.load(file);
    const key = store.create(role, `a ${role} key`);
    expect(key.token).toMatch(/^wa_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(key.token.slice(3, 15)).toBe(key.id);
    expect(key).toMatchObject({ role, label: `a ${role} key` });
    expect(store.verify(`Bearer ${key.token}`)).toEqual({ keyId: key.id, role, via: 'api-key' });
    // A fresh load of the file verifies it too.
    expect(ApiKeyStore.load(file).verify(`Bearer ${key.token}`)).toEqual({
      keyId: key.id,
      role,
      via: 'api-key',
    });
  });

  it('accepts the scheme in any case and a single header in an array', () => {
    const store = ApiKeyStore.load(file);
    const { token, id } = store.create('analyst', 'x');
    for (const header of [`bearer ${token}`, `BEARER ${token}`, `BeArEr ${token}`, [`Bearer ${token}`]])
      expect(store.verify(header)?.keyId).toBe(id);
  });

  it('gives each key a different id and secret', () => {
    const store = ApiKeyStore.load(file);
    const tokens = Array.from({ length: 20 }, () => store.create('dashboard', 'many').token);
    expect(new Set(tokens).size).toBe(20);
    expect(new Set(tokens.map((t) => t.slice(3, 15))).size).toBe(20);
  });

  it('returns null alike for every way a credential can be wrong', () => {
    const store = ApiKeyStore.load(file);
    const live = store.create('operator', 'live');
    const revoked = store.create('operator', 'to revoke');
    expect(store.revoke(revoked.id)).toBe(true);
    const secret = live.token.slice(16);
    const otherSecret = secret.startsWith('A') ? `B${secret.slice(1)}` : `A${secret.slice(1)}`;
    const unknownId = live.id === '0123456789ab' ? 'ba9876543210' : '0123456789ab';
    // An id of digits only (about 1 in 280) has no letter to upper-case: put one in.
    const upperId = live.id.toUpperCase() !== live.id ? live.id.toUpperCase() : `A${live.id.slice(1)}`;

    const cases: Record<string, string | string[] | undefined> = {
      'no header': undefined,
      'empty header': '',
      'Basic scheme': 'Basic x',
      'Basic scheme with the token': `Basic ${live.token}`,
      'Bearer with nothing': 'Bearer',
      'Bearer and a space': 'Bearer ',
      'the token with no scheme': live.token,
      'two tokens': `Bearer ${live.token} ${live.token}`,
      'a tab, not a space': `Bearer\t${live.token}`,
      'trailing text': `Bearer ${live.token}x`,
      'wrong prefix': `Bearer wb_${live.token.slice(3)}`,
      'upper-case id': `Bearer wa_${upperId}_${secret}`,
      'short secret': `Bearer ${live.token.slice(0, -1)}`,
      'unknown id': `Bearer wa_${unknownId}_${secret}`,
      'right id, wrong secret': `Bearer wa_${live.id}_${otherSecret}`,
      revoked: `Bearer ${revoked.token}`,
      'two Authorization headers': [`Bearer ${live.token}`, `Bearer ${live.token}`],
      'an enormous header': `Bearer ${'a'.repeat(100_000)}`,
    };
    for (const [name, header] of Object.entries(cases))
      expect([name, store.verify(header)]).toEqual([name, null]);
    // ...and the live key still works.
    expect(store.verify(`Bearer ${live.token}`)?.keyId).toBe(live.id);
  });
});

describe('ApiKeyStore: the file', () => {
  it('never contains a token or a secret, only hashes', () => {
    const store = ApiKeyStore.load(file);
    const keys = ROLES.map((role) => store.create(role, `${role} label`));
    const text = fileText();
    for (const key of keys) {
      expect(text).not.toContain(key.token);
      expect(text).not.toContain(key.token.slice(16)); // the secret alone
      expect(text).toContain(key.id);
    }
    const document = JSON.parse(text);
    expect(document.version).toBe(1);
    expect(document.keys).toHaveLength(4);
    for (const record of document.keys) {
      expect(Object.keys(record).sort()).toEqual(['createdAt', 'hash', 'id', 'label', 'revokedAt', 'role']);
      expect(record.hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('is written with mode 0600 and leaves no temporary files', () => {
    const store = ApiKeyStore.load(file);
    store.create('analyst', 'one');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const { id } = store.create('analyst', 'two');
    store.revoke(id);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['keys.json']);
  });

  it('records creation and revocation times', () => {
    const clock = manualClock();
    const store = ApiKeyStore.load(file, { clock: clock.now });
    const { id } = store.create('journalist', 'newsroom');
    clock.advance(60_000);
    store.revoke(id);
    expect(store.list()).toEqual([
      {
        id,
        role: 'journalist',
        label: 'newsroom',
        createdAt: '2025-01-02T03:04:05.000Z',
        revokedAt: '2025-01-02T03:05:05.000Z',
      },
    ]);
  });

  it('lists keys without hashes', () => {
    const store = ApiKeyStore.load(file);
    store.create('analyst', 'a');
    store.create('dashboard', 'b');
    const listed = store.list();
    expect(listed.map((k) => k.label)).toEqual(['a', 'b']);
    for (const info of listed) expect(info).not.toHaveProperty('hash');
    expect(JSON.stringify(listed)).not.toMatch(/[0-9a-f]{64}/);
  });

  it('treats a missing file as no keys and writes it on the first create', () => {
    const store = ApiKeyStore.load(file);
    expect(store.list()).toEqual([]);
    expect(fs.existsSync(file)).toBe(false);
    store.create('analyst', 'first');
    expect(fs.existsSync(file)).toBe(true);
  });

  it('revoke answers false for an unknown id and true, idempotently, for a known one', () => {
    const clock = manualClock();
    const store = ApiKeyStore.load(file, { clock: clock.now });
    const { id } = store.create('analyst', 'x');
    expect(store.revoke('0123456789ab')).toBe(false);
    expect(store.revoke(id)).toBe(true);
    const first = store.list()[0]?.revokedAt;
    clock.advance(5000);
    expect(store.revoke(id)).toBe(true);
    expect(store.list()[0]?.revokedAt).toBe(first);
  });

  it('does not lose a key another process created since it loaded', () => {
    const a = ApiKeyStore.load(file);
    const b = ApiKeyStore.load(file);
    const fromA = a.create('analyst', 'from a');
    const fromB = b.create('operator', 'from b');
    const fresh = ApiKeyStore.load(file);
    expect(fresh.list().map((k) => k.id)).toEqual([fromA.id, fromB.id]);
    expect(fresh.verify(`Bearer ${fromA.token}`)).not.toBeNull();
  });
});

describe('ApiKeyStore: validation', () => {
  it('rejects an unknown role, listing the roles', () => {
    const store = ApiKeyStore.load(file);
    expect(() => store.create('admin', 'x')).toThrow(ApiKeyInputError);
    expect(() => store.create('admin', 'x')).toThrow(
      'role must be one of analyst, dashboard, journalist, operator; got "admin"',
    );
    expect(fs.existsSync(file)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['81 characters', 'x'.repeat(81)],
    ['a new line', 'a\nb'],
    ['a tab', 'a\tb'],
    ['an escape', 'a\u001b[31mb'],
  ])('rejects a label with %s', (_name, label) => {
    expect(() => ApiKeyStore.load(file).create('analyst', label)).toThrow(ApiKeyInputError);
  });

  it('accepts 80 characters, spaces and non-ASCII letters in a label', () => {
    const store = ApiKeyStore.load(file);
    expect(store.create('analyst', 'é'.repeat(80)).label).toHaveLength(80);
    expect(store.create('analyst', 'Ysgol Newyddiaduraeth — Caerdydd').label).toBe(
      'Ysgol Newyddiaduraeth — Caerdydd',
    );
  });

  function loadError(contents: string): string {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, contents);
    try {
      ApiKeyStore.load(file);
    } catch (error) {
      expect(error).toBeInstanceOf(ApiKeyFileError);
      return (error as Error).message;
    }
    throw new Error('expected an ApiKeyFileError');
  }

  const record = {
    id: '0123456789ab',
    role: 'analyst',
    label: 'x',
    hash: 'a'.repeat(64),
    createdAt: '2025-01-01T00:00:00.000Z',
    revokedAt: null,
  };

  it('names the file and the field of an invalid file', () => {
    const message = loadError(
      JSON.stringify({ version: 1, keys: [record, { ...record, id: 'ba9876543210', role: 'admin' }] }),
    );
    expect(message).toContain(`invalid keys file ${file}`);
    expect(message).toContain('keys[1].role');
  });

  it('rejects a bad hash, a bad version, a duplicate id, an extra field and broken JSON', () => {
    expect(loadError(JSON.stringify({ version: 1, keys: [{ ...record, hash: 'nope' }] }))).toContain(
      'keys[0].hash',
    );
    expect(loadError(JSON.stringify({ version: 2, keys: [] }))).toContain('version');
    expect(loadError(JSON.stringify({ version: 1, keys: [record, record] }))).toContain(
      'keys[1].id: duplicate key id 0123456789ab',
    );
    expect(loadError(JSON.stringify({ version: 1, keys: [{ ...record, token: 'wa_secret' }] }))).toContain(
      'keys[0]',
    );
    const broken = loadError('{"version": 1, "keys": [wa_0123456789ab_secret');
    expect(broken).toBe(`invalid keys file ${file}: not valid JSON`);
  });
});

describe('ApiKeyStore: reload', () => {
  it('sees a revoke made by another store once the file changes, checking at most once per second', () => {
    const clock = manualClock();
    const gateway = ApiKeyStore.load(file, { clock: clock.now });
    const { id, token } = gateway.create('journalist', 'newsroom');
    expect(gateway.verify(`Bearer ${token}`)).not.toBeNull();

    // The CLI, in another process: its own store on the same file.
    expect(ApiKeyStore.load(file).revoke(id)).toBe(true);

    clock.advance(500); // within the second: not checked yet
    expect(gateway.verify(`Bearer ${token}`)).not.toBeNull();
    clock.advance(500);
    expect(gateway.verify(`Bearer ${token}`)).toBeNull();
  });

  it('sees keys created by another store', () => {
    const clock = manualClock();
    const gateway = ApiKeyStore.load(file, { clock: clock.now });
    const created = ApiKeyStore.load(file).create('dashboard', 'wall');
    expect(gateway.verify(`Bearer ${created.token}`)).toBeNull();
    clock.advance(1000);
    expect(gateway.verify(`Bearer ${created.token}`)?.role).toBe('dashboard');
  });

  it('does not stat the file more than once per interval', () => {
    const clock = manualClock();
    const gateway = ApiKeyStore.load(file, { clock: clock.now });
    const { token } = gateway.create('analyst', 'x');
    clock.advance(1000);
    const stat = jest.spyOn(fs, 'statSync');
    try {
      for (let i = 0; i < 100; i++) gateway.verify(`Bearer ${token}`);
      expect(stat).toHaveBeenCalledTimes(1);
    } finally {
      stat.mockRestore();
    }
  });

  it('fails closed, and reports, when the file becomes invalid; recovers when it is fixed', () => {
    const clock = manualClock();
    const errors: Error[] = [];
    const gateway = ApiKeyStore.load(file, { clock: clock.now, onReloadError: (e) => errors.push(e) });
    const { token } = gateway.create('analyst', 'x');
    const good = fileText();

    fs.writeFileSync(file, '{"version": 1, "keys": [');
    clock.advance(1000);
    expect(gateway.verify(`Bearer ${token}`)).toBeNull();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ApiKeyFileError);
    expect(errors[0]?.message).not.toContain(token);

    clock.advance(1000);
    gateway.verify(`Bearer ${token}`);
    expect(errors).toHaveLength(1); // same broken file: not reported again

    fs.writeFileSync(file, good);
    clock.advance(1000);
    expect(gateway.verify(`Bearer ${token}`)).not.toBeNull();
  });

  it('rejects every key when the file is deleted', () => {
    const clock = manualClock();
    const gateway = ApiKeyStore.load(file, { clock: clock.now });
    const { token } = gateway.create('analyst', 'x');
    fs.rmSync(file);
    clock.advance(1000);
    expect(gateway.verify(`Bearer ${token}`)).toBeNull();
  });
});

describe('ensureDefaultKeys', () => {
  it('creates one key per role once, then nothing', () => {
    const first = ensureDefaultKeys(file);
    expect(first.created.map((k) => k.role)).toEqual([...ROLES]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const store = ApiKeyStore.load(file);
    expect(store.list()).toHaveLength(4);
    for (const { role, token } of first.created) {
      expect(store.verify(`Bearer ${token}`)?.role).toBe(role);
      expect(fileText()).not.toContain(token);
    }
    const before = fileText();
    expect(ensureDefaultKeys(file)).toEqual({ created: [] });
    expect(fileText()).toBe(before);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['keys.json']);
  });

  it('creates nothing when the file exists, even with no keys in it', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ version: 1, keys: [] }));
    expect(ensureDefaultKeys(file)).toEqual({ created: [] });
    expect(ApiKeyStore.load(file).list()).toEqual([]);
  });
});

describe('keysFilePath', () => {
  it('uses WHEREABOUTS_KEYS_FILE relative to the cwd, else .whereabouts/keys.json', () => {
    expect(keysFilePath({}, '/srv/wa')).toBe('/srv/wa/.whereabouts/keys.json');
    expect(keysFilePath({ WHEREABOUTS_KEYS_FILE: '' }, '/srv/wa')).toBe('/srv/wa/.whereabouts/keys.json');
    expect(keysFilePath({ WHEREABOUTS_KEYS_FILE: 'k.json' }, '/srv/wa')).toBe('/srv/wa/k.json');
    expect(keysFilePath({ WHEREABOUTS_KEYS_FILE: '/etc/wa/keys.json' }, '/srv/wa')).toBe('/etc/wa/keys.json');
  });
});
