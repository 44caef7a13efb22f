import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  buildConfig,
  bundledSources,
  embeddedDefault,
  loadConfig,
  parseConfigText,
} from '../../../src/config/load';
import { NATIONAL_DEFAULTS, SOURCE_DEFAULTS } from '../../../src/config/schema';

const ORIGIN = 'test.yaml';

/** A minimal valid source; pass what the test is about. */
function source(extra: Record<string, unknown> = {}) {
  return {
    id: 'force-feed',
    kind: 'json',
    location: 'https://force.example/feed.json',
    title: 'Force feed',
    mapping: { forceId: 'force', asAt: 'date', unaccounted: 'value' },
    ...extra,
  };
}

function build(document: unknown, env: NodeJS.ProcessEnv = {}) {
  return buildConfig(document, { baseDir: os.tmpdir(), origin: ORIGIN, env });
}

function errorOf(document: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    build(document, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('buildConfig: a valid configuration', () => {
  it('fills documented defaults for a source and for the national summary', () => {
    const config = build({ sources: [source()] });
    expect(config.sources[0]).toMatchObject({
      shape: 'counts',
      forces: '*',
      priority: SOURCE_DEFAULTS.priority,
      timeoutMs: SOURCE_DEFAULTS.timeoutMs,
      retry: {
        maxAttempts: SOURCE_DEFAULTS.retryMaxAttempts,
        initialDelayMs: SOURCE_DEFAULTS.retryInitialDelayMs,
        maxDelayMs: SOURCE_DEFAULTS.retryMaxDelayMs,
      },
      breaker: {
        consecutiveFailures: SOURCE_DEFAULTS.breakerConsecutiveFailures,
        halfOpenAfterMs: SOURCE_DEFAULTS.breakerHalfOpenAfterMs,
      },
      ttlSeconds: SOURCE_DEFAULTS.ttlSeconds,
      staleForSeconds: SOURCE_DEFAULTS.staleForSeconds,
      refreshWithoutTraffic: true,
      simulated: false,
      url: null,
    });
    expect(config.national).toEqual({ windowDays: 90, registeredWindowDays: 400 });
    expect(config.upstream).toEqual({ concurrency: 128, refreshWithoutTraffic: true });
    expect(NATIONAL_DEFAULTS.windowDays).toBe(90);
  });

  it('turns refresh without traffic off for one source, or for all (issue 19)', () => {
    const config = build({
      upstream: { refreshWithoutTraffic: false },
      sources: [source({ refreshWithoutTraffic: false })],
    });
    expect(config.sources[0]!.refreshWithoutTraffic).toBe(false);
    expect(config.upstream.refreshWithoutTraffic).toBe(false);
    expect(errorOf({ sources: [source({ refreshWithoutTraffic: 'no' })] })).toBe(
      'invalid configuration in test.yaml:\n  - sources[0].refreshWithoutTraffic: Invalid input: expected boolean, received string',
    );
  });

  it('is frozen once built', () => {
    const config = build({ sources: [source()] });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.sources)).toBe(true);
  });

  it('serves only configured sources unless the bundled ones are asked for', () => {
    expect(build({ sources: [source()] }).sources.map((s) => s.id)).toEqual(['force-feed']);
    expect(build({ includeBundled: true, sources: [source()] }).sources.map((s) => s.id)).toEqual([
      ...bundledSources().map((s) => s.id),
      'force-feed',
    ]);
  });

  it('accepts a header secret that is present in the environment', () => {
    const config = build(
      { sources: [source({ headers: { authorization: { env: 'FORCE_TOKEN', prefix: 'Bearer ' } } })] },
      {
        FORCE_TOKEN: 's3cret',
      },
    );
    expect(config.sources[0]?.headers).toEqual({ authorization: { env: 'FORCE_TOKEN', prefix: 'Bearer ' } });
  });

  it('treats an empty document as the defaults with no sources', () => {
    expect(build(null).sources).toEqual([]);
  });
});

describe('buildConfig: errors name the field path and what is accepted', () => {
  it('rejects an unknown kind', () => {
    expect(errorOf({ sources: [source({ kind: 'xml' })] })).toBe(
      'invalid configuration in test.yaml:\n  - sources[0].kind: must be one of: csv, json, graphql, spreadsheet',
    );
  });

  it('rejects an unknown shape', () => {
    expect(errorOf({ sources: [source({ shape: 'table' })] })).toBe(
      'invalid configuration in test.yaml:\n  - sources[0].shape: must be one of: counts, breakdowns, records, totals',
    );
  });

  it('rejects a location that is not a valid URL', () => {
    expect(errorOf({ sources: [source({ location: 'https://exa mple.com/feed' })] })).toBe(
      'invalid configuration in test.yaml:\n  - sources[0].location: is not a valid URL',
    );
  });

  it('rejects a citation URL that is not http(s)', () => {
    expect(errorOf({ sources: [source({ url: 'ftp://force.example/x' })] })).toBe(
      'invalid configuration in test.yaml:\n  - sources[0].url: must be an http(s) URL',
    );
  });

  it('rejects a header whose secret environment variable is not set', () => {
    expect(errorOf({ sources: [source({ headers: { authorization: { env: 'FORCE_TOKEN' } } })] })).toBe(
      'invalid configuration in test.yaml:\n  - sources[0].headers.authorization: environment variable FORCE_TOKEN is not set',
    );
  });

  it('rejects duplicate source ids', () => {
    expect(errorOf({ sources: [source(), source({ title: 'Again' })] })).toBe(
      'invalid configuration in test.yaml:\n  - sources[1].id: duplicate source id "force-feed"',
    );
  });

  it('rejects unknown force ids in a source’s forces, naming them', () => {
    expect(errorOf({ sources: [source({ forces: ['dorset', 'atlantis', 'gotham', 'atlantis'] })] })).toBe(
      'invalid configuration in test.yaml:\n  - sources[0].forces: unknown force id(s) atlantis, gotham; accepted: ids in the force registry',
    );
  });

  it('rejects a source id that is not a slug', () => {
    expect(errorOf({ sources: [source({ id: 'Force Feed' })] })).toBe(
      'invalid configuration in test.yaml:\n  - sources[0].id: must be a lower-case slug (a-z, 0-9 and -), at most 63 characters',
    );
  });

  it('rejects a mapping of a field the shape does not have, listing the accepted ones', () => {
    expect(errorOf({ sources: [source({ mapping: { forceId: 'f', asAt: 'd', name: 'full_name' } })] })).toBe(
      'invalid configuration in test.yaml:\n  - sources[0].mapping.name: is not a field of shape "counts"; accepted: forceId, asAt, precision, basis, unaccounted, unaccountedStatus, registered, breachesCautionedOrConvicted, returnedToCustody, survey, title, url, quote, notes',
    );
  });

  it('requires the fields a shape needs', () => {
    expect(errorOf({ sources: [source({ mapping: { forceId: 'f' } })] })).toBe(
      'invalid configuration in test.yaml:\n  - sources[0].mapping.asAt: is required for shape "counts" (map it to a source field or give it in constants)',
    );
  });

  it('requires a query and an http(s) location for kind graphql', () => {
    expect(errorOf({ sources: [source({ kind: 'graphql', location: 'feed.json' })] })).toBe(
      'invalid configuration in test.yaml:\n  - sources[0].query: is required for kind "graphql"\n  - sources[0].location: must be an http(s) URL for kind "graphql"',
    );
  });

  it('rejects retry delays that cannot hold', () => {
    expect(errorOf({ sources: [source({ retry: { initialDelayMs: 500, maxDelayMs: 100 } })] })).toBe(
      'invalid configuration in test.yaml:\n  - sources[0].retry.maxDelayMs: must be at least retry.initialDelayMs',
    );
    expect(errorOf({ sources: [source({ timeoutMs: 0 })] })).toBe(
      'invalid configuration in test.yaml:\n  - sources[0].timeoutMs: timeoutMs must be a positive whole number of milliseconds',
    );
  });

  it('rejects unknown keys instead of ignoring a typo', () => {
    expect(errorOf({ sources: [source({ timeout: 100 })] })).toMatch(
      /^invalid configuration in test.yaml:\n {2}- sources\[0\]: .*"timeout"/,
    );
    expect(errorOf({ national: { window: 30 } })).toMatch(/ {2}- national: .*"window"/);
  });

  it('reports every problem at once', () => {
    const message = errorOf({
      sources: [source({ kind: 'xml', url: 'nope' }), source({ id: 'b', priority: 1.5 })],
    });
    expect(message.split('\n')).toEqual([
      'invalid configuration in test.yaml:',
      '  - sources[0].kind: must be one of: csv, json, graphql, spreadsheet',
      '  - sources[0].url: must be an http(s) URL',
      expect.stringMatching(/^ {2}- sources\[1\]\.priority: /),
    ]);
  });

  it('never echoes a header secret in an error', () => {
    const message = errorOf({
      sources: [source({ kind: 'xml', headers: { 'x-api-key': 'literal-s3cret' } })],
    });
    expect(message).not.toContain('literal-s3cret');
  });

  // Regression: bundled sources were not checked against configured ones, so a configured source with a
  // bundled id silently replaced it in the source map.
  it('rejects a configured source whose id clashes with a bundled source', () => {
    expect(errorOf({ includeBundled: true, sources: [source({ id: 'published-figures' })] })).toMatch(
      /duplicate source id "published-figures"/,
    );
  });
});

describe('buildConfig: the force registry', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-config-'));
    fs.writeFileSync(
      path.join(dir, 'extra.csv'),
      'id,name,gss_code,nation,region\njersey,States of Jersey Police,,England,Islands\n',
    );
    fs.writeFileSync(
      path.join(dir, 'bad.csv'),
      'id,name,gss_code,nation,region\nJersey!,States of Jersey Police,,England,Islands\n',
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const at = (document: unknown) => buildConfig(document, { baseDir: dir, origin: ORIGIN, env: {} });

  it('holds the 45 UK forces by default', () => {
    expect(at({}).registry.size).toBe(45);
  });

  it('extends the 45 forces with a forces file, and lets sources name the new ones', () => {
    const config = at({ forces: { file: 'extra.csv' }, sources: [source({ forces: ['jersey'] })] });
    expect(config.registry.size).toBe(46);
    expect(config.registry.has('jersey')).toBe(true);
  });

  it('replaces the registry with a forces file when asked', () => {
    expect(at({ forces: { file: 'extra.csv', mode: 'replace' } }).registry.all.map((f) => f.id)).toEqual([
      'jersey',
    ]);
  });

  it('names the forces file problem under forces.file', () => {
    expect(() => at({ forces: { file: 'bad.csv' } })).toThrow(
      new ConfigError(
        'invalid configuration in test.yaml:\n  - forces.file: bad.csv row 2: field "id" a lower-case slug such as "dorset" or "avon-and-somerset"',
      ),
    );
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'whereabouts-yaml-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives the embedded default without WHEREABOUTS_CONFIG', () => {
    const config = loadConfig({});
    expect(config.origin).toBe('embedded default');
    expect(config.sources.map((s) => s.id)).toEqual(embeddedDefault().sources.map((s) => s.id));
  });

  it('reads a YAML file and resolves its locations against the file’s directory', () => {
    const file = path.join(dir, 'gateway.yaml');
    fs.writeFileSync(
      file,
      'national:\n  windowDays: 30\nsources:\n  - id: feed\n    kind: csv\n    location: feed.csv\n    title: Feed\n    mapping: { forceId: force, asAt: date, unaccounted: value }\n',
    );
    const config = loadConfig({ WHEREABOUTS_CONFIG: file });
    expect(config).toMatchObject({
      baseDir: dir,
      origin: file,
      national: { windowDays: 30, registeredWindowDays: 400 },
    });
  });

  it('names a file it cannot read', () => {
    const missing = path.join(dir, 'missing.yaml');
    expect(() => loadConfig({ WHEREABOUTS_CONFIG: missing })).toThrow(
      new ConfigError(`cannot read the WHEREABOUTS_CONFIG file ${missing}: no such file (ENOENT)`),
    );
  });

  it('names the line and column of invalid YAML', () => {
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(file, 'sources:\n  - id: feed\n    kind: [csv\n');
    expect(() => loadConfig({ WHEREABOUTS_CONFIG: file })).toThrow(
      /^invalid YAML in .*broken\.yaml at line \d+, column \d+: /,
    );
  });
});

describe('parseConfigText', () => {
  it('reads a JSON-subset document after comment lines as JSON.parse does, and anything else as YAML', () => {
    const json = '# SIMULATED DATA\n#  more\n\n{"sources":[],"upstream":{"concurrency":7}}\n';
    expect(parseConfigText(json)).toEqual({ sources: [], upstream: { concurrency: 7 } });
    expect(parseConfigText('upstream:\n  concurrency: 7\n')).toEqual({ upstream: { concurrency: 7 } });
    // Flow YAML that is not JSON still reads as YAML.
    expect(parseConfigText('{upstream: {concurrency: 7}}')).toEqual({ upstream: { concurrency: 7 } });
    expect(() => parseConfigText('{"sources": [')).toThrow();
  });
});
