import type { SourceConfigInput } from '../../../../src/config/schema';
import { sourceConfigSchema } from '../../../../src/config/schema';
import type { ShapeContext } from '../../../../src/sources/shapes';

/** A validated source config with test defaults; pass what the test is about. */
export function sourceConfig(extra: Partial<SourceConfigInput> = {}) {
  return sourceConfigSchema.parse({
    id: 'test-source',
    kind: 'json',
    shape: 'counts',
    location: 'https://force.example/feed.json',
    title: 'Test force feed',
    url: 'https://force.example/about',
    mapping: { forceId: 'force', asAt: 'date', unaccounted: 'value' },
    ...extra,
  });
}

/** What a shape reducer gets: a config, how numbers arrive, when, and which forces the source covers. */
export function context(
  extra: Partial<SourceConfigInput> = {},
  options: { numbers?: 'text' | 'native'; forces?: readonly string[]; retrievedAt?: string } = {},
): ShapeContext {
  return {
    config: sourceConfig(extra),
    numbers: options.numbers ?? 'native',
    retrievedAt: options.retrievedAt ?? '2018-01-20T10:00:00.000Z',
    allowedForces: new Set(options.forces ?? ['dorset', 'hampshire', 'metropolitan']),
  };
}

/** Runs `fn`, which must throw, and returns what it threw. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
