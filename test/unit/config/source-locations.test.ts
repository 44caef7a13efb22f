/** Issue 18, item 5: unsafe source locations are refused at start, naming the source, the field and what is accepted. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, buildConfig } from '../../../src/config/load';

const ORIGIN = 'test.yaml';

function source(extra: Record<string, unknown> = {}) {
  return {
    id: 'force-feed',
    kind: 'csv',
    location: 'https://force.example/feed.csv',
    title: 'Force feed',
    mapping: { forceId: 'force', asAt: 'date', unaccounted: 'value' },
    ...extra,
  };
}

function errorOf(document: unknown, baseDir = os.tmpdir()): string {
  try {
    buildConfig(document, { baseDir, origin: ORIGIN, env: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const ACCEPTED =
  'accepted: a public address or host name, loopback written as such (127.0.0.1, [::1], localhost), or any address with allowPrivateAddresses: true';

describe('http(s) locations at non-public addresses', () => {
  it('refuses the cloud metadata address, naming the source, the field and what is accepted', () => {
    expect(errorOf({ sources: [source({ location: 'http://169.254.169.254/latest/meta-data/' })] })).toBe(
      `invalid configuration in ${ORIGIN}:\n  - sources[0].location: source "force-feed": host 169.254.169.254 is not a public address (cloud metadata); ${ACCEPTED}`,
    );
  });

  it.each([
    ['http://2852039166/', 'cloud metadata'],
    ['http://0xA9FEA9FE/', 'cloud metadata'],
    ['http://0251.0376.0251.0376/', 'cloud metadata'],
    ['http://[fd00:ec2::254]/', 'cloud metadata'],
    ['http://100.100.100.200/', 'cloud metadata'],
    ['http://10.0.0.5/feed.csv', 'private network'],
    ['https://172.20.1.1/feed.csv', 'private network'],
    ['http://192.168.1.10:8080/feed.csv', 'private network'],
    ['http://[fc00::5]/feed.csv', 'private network'],
    ['http://169.254.10.1/', 'link-local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://100.64.1.1/', 'carrier-grade NAT'],
    ['http://0.0.0.0:4000/', 'unspecified'],
    ['http://0/', 'unspecified'],
    ['http://[::]/', 'unspecified'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://255.255.255.255/', 'broadcast'],
    ['http://240.0.0.1/', 'reserved'],
    ['http://[::ffff:127.0.0.1]:6379/', 'loopback'],
    ['http://[::ffff:169.254.169.254]/', 'cloud metadata'],
    ['http://[::127.0.0.1]/', 'loopback'],
    ['http://[64:ff9b::10.0.0.1]/', 'private network'],
    ['http://[2002:a9fe:a9fe::]/', 'cloud metadata'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'special-use name'],
  ])('refuses %s (%s)', (location, kind) => {
    expect(errorOf({ sources: [source({ location })] })).toContain(
      `sources[0].location: source "force-feed": host ${new URL(location).hostname} is not a public address (${kind})`,
    );
  });

  it('accepts loopback written as such, a public address, and a host name (checked again at connect time)', () => {
    for (const location of [
      'http://127.0.0.1:4100/feed.csv',
      'http://[::1]:4100/feed.csv',
      'http://localhost:4100/feed.csv',
      'https://8.8.8.8/feed.csv',
      'https://force.example/feed.csv',
    ])
      expect(() =>
        buildConfig({ sources: [source({ location })] }, { baseDir: '.', origin: ORIGIN }),
      ).not.toThrow();
  });

  it('accepts any address when the source sets allowPrivateAddresses, which defaults to false', () => {
    const config = buildConfig(
      {
        sources: [
          source({ location: 'http://10.0.0.5/feed.csv', allowPrivateAddresses: true }),
          source({ id: 'other', location: 'https://force.example/feed.csv' }),
        ],
      },
      { baseDir: '.', origin: ORIGIN },
    );
    expect(config.sources.map((s) => s.allowPrivateAddresses)).toEqual([true, false]);
  });
});

describe('file locations outside the config folder', () => {
  let dir: string;
  let outside: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-locations-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-outside-'));
    fs.mkdirSync(path.join(dir, 'feeds'));
    fs.writeFileSync(path.join(dir, 'feeds', 'feed.csv'), 'force,date,value\n');
    fs.writeFileSync(path.join(outside, 'secret.csv'), 'force,date,value\n');
    fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(dir, 'feeds', 'link.csv'));
    fs.symlinkSync(outside, path.join(dir, 'elsewhere'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('accepts a file inside the config folder, and bundled: locations', () => {
    const config = buildConfig(
      {
        sources: [
          source({ location: 'feeds/feed.csv' }),
          source({ id: 'b', location: './feeds/../feeds/feed.csv' }),
          source({ id: 'c', location: 'bundled:published-figures.csv' }),
          source({ id: 'd', location: 'feeds/not-yet-written.csv' }),
        ],
      },
      { baseDir: dir, origin: ORIGIN },
    );
    expect(config.sources).toHaveLength(4);
  });

  it('refuses ../../../../etc/passwd with a clear ConfigError', () => {
    expect(errorOf({ sources: [source({ location: '../../../../etc/passwd' })] }, dir)).toBe(
      `invalid configuration in ${ORIGIN}:\n  - sources[0].location: source "force-feed": file /etc/passwd is outside the config file's folder and fileRoots; accepted: a path inside ${dir}`,
    );
  });

  it('refuses an absolute path elsewhere, and a symlink (to a file or a folder) that leads out', () => {
    expect(errorOf({ sources: [source({ location: '/etc/passwd' })] }, dir)).toContain(
      'file /etc/passwd is outside',
    );
    const real = fs.realpathSync(path.join(outside, 'secret.csv'));
    expect(errorOf({ sources: [source({ location: 'feeds/link.csv' })] }, dir)).toContain(
      `file ${real} is outside`,
    );
    expect(errorOf({ sources: [source({ location: 'elsewhere/secret.csv' })] }, dir)).toContain(
      `file ${real} is outside`,
    );
  });

  it('accepts a file inside a folder that fileRoots names (relative to the config file)', () => {
    const relative = path.relative(dir, outside);
    const config = buildConfig(
      { fileRoots: [relative], sources: [source({ location: path.join(outside, 'secret.csv') })] },
      { baseDir: dir, origin: ORIGIN },
    );
    expect(config.sources).toHaveLength(1);
    expect(errorOf({ fileRoots: [relative], sources: [source({ location: '/etc/passwd' })] }, dir)).toContain(
      `accepted: a path inside ${dir} or ${outside}`,
    );
  });
});
