import type { SourceConfig } from '../config/schema';

/**
 * Reads a mapped field from a parsed payload: the whole name when the row has it as an own property (a CSV
 * or spreadsheet column label may hold dots: "No. of RSOs"), else a dotted path (`a.b.0.c`) into nested
 * JSON. Own properties only, so a payload cannot reach `__proto__` or `constructor` through a mapping.
 */
export function pickPath(value: unknown, path: string): unknown {
  if (value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, path))
    return (value as Record<string, unknown>)[path];
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Applies a source's declarative mapping to one row: each of our fields takes its constant if one is
 * configured, else the mapped source field. Fields not in the mapping are never read, so anything else a
 * row carries (a name, an address) is dropped here, at the boundary.
 */
export function mapRow(
  row: unknown,
  config: SourceConfig,
  fields: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (field in config.constants) out[field] = config.constants[field];
    else {
      const from = config.mapping[field];
      if (from !== undefined) {
        const value = pickPath(row, from);
        if (value !== undefined && value !== null && value !== '') out[field] = value;
      }
    }
  }
  return out;
}

/** The source field a field of ours was read from, for error messages. */
export function describeField(config: SourceConfig, field: string): string {
  if (field in config.constants) return `"${field}" (constant)`;
  const from = config.mapping[field];
  return from && from !== field ? `"${field}" (source field "${from}")` : `"${field}"`;
}
