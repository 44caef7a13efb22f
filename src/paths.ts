import fs from 'node:fs';
import path from 'node:path';

/**
 * The package root, resolved the same way from `src/` (ts-jest, swc) and from `dist/` (compiled):
 * both sit one level below it.
 */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');

/** Bundled reference data (copied from the team's cited `shared/data`; see `src/data/SOURCES.md`). */
export const DATA_DIR = path.join(PACKAGE_ROOT, 'src', 'data');

/** The package's own package.json, read once: its version (in spans) and its supported Node range. */
export const PACKAGE_JSON = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  readonly version: string;
  readonly engines?: { readonly node?: string };
};
