import path from 'node:path';

/**
 * The package root, resolved the same way from `src/` (ts-jest, swc) and from `dist/` (compiled):
 * both sit one level below it.
 */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');

/** Bundled reference data (copied from the team's cited `shared/data`; see `src/data/SOURCES.md`). */
export const DATA_DIR = path.join(PACKAGE_ROOT, 'src', 'data');
