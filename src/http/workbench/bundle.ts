import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../paths';

/**
 * The workbench's built files: what `build.ts` writes (at `npm run build`) and the router serves. The
 * browser code under `client/` is bundled with esbuild into `dist/workbench/` (git-ignored), every file
 * named by its content (`<name>.<16 hex of its SHA-256>.<ext>`), beside a manifest that says which file
 * is which. A file with new content is a new name, so each can be cached for a year.
 */

/** Where the bundled files and their manifest are written (the same from `src/` and from `dist/`). */
export const WORKBENCH_DIST_DIR = path.join(PACKAGE_ROOT, 'dist', 'workbench');

/** The browser sources the bundle is built from. */
export const WORKBENCH_CLIENT_DIR = path.join(PACKAGE_ROOT, 'src', 'http', 'workbench', 'client');

/** The manifest's file name (the only unhashed file in the folder). */
export const MANIFEST_NAME = 'manifest.json';

/** The manifest's format; bumped when its shape changes, so an old build is noticed, not misread. */
export const MANIFEST_VERSION = 1;

/** The Monaco workers, by the label Monaco asks for (`MonacoEnvironment.getWorker(id, label)`). */
export const WORKER_LABELS = ['editor', 'json', 'graphql'] as const;
export type WorkerLabel = (typeof WORKER_LABELS)[number];

/** One built file. */
export interface BuiltFile {
  /** `text/javascript`, `text/css` or a font type: what the router sends as Content-Type. */
  readonly contentType: string;
  readonly bytes: number;
  /**
   * Bytes of its gzip form (`<name>.gz` beside it), served when the client accepts gzip; null when it
   * has none (a font compressed already).
   */
  readonly gzipBytes: number | null;
}

/** `dist/workbench/manifest.json`. */
export interface WorkbenchManifest {
  readonly version: typeof MANIFEST_VERSION;
  /** The page's one script (an IIFE) and one stylesheet. */
  readonly script: string;
  readonly stylesheet: string;
  /** The Monaco worker scripts, by label. */
  readonly workers: Readonly<Record<WorkerLabel, string>>;
  /** Every servable file, by name (script, stylesheet, workers, fonts): nothing else is served. */
  readonly files: Readonly<Record<string, BuiltFile>>;
}

/** A manifest that is missing or not this build's format: the workbench answers 503 and says why. */
export class WorkbenchNotBuiltError extends Error {
  override readonly name = 'WorkbenchNotBuiltError';
}

/** A content-hashed file name: a lower-case name (`editor.worker`), a dot, 16 hex digits, an extension. */
export const HASHED_NAME = /^[a-z0-9][a-z0-9.-]*\.[0-9a-f]{16}\.(js|css|ttf|woff2?)$/;

/**
 * Reads and checks the manifest in `dir`: its version, and that every file it names is a hashed name
 * that exists (with its gzip form when it has one). Throws `WorkbenchNotBuiltError` saying what to run.
 */
export function readWorkbenchManifest(dir = WORKBENCH_DIST_DIR): WorkbenchManifest {
  const file = path.join(dir, MANIFEST_NAME);
  let manifest: WorkbenchManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as WorkbenchManifest;
  } catch (error) {
    throw new WorkbenchNotBuiltError(
      `the workbench is not built (${file}: ${(error as Error).message}); run npm run build`,
    );
  }
  if (manifest.version !== MANIFEST_VERSION)
    throw new WorkbenchNotBuiltError(
      `${file} has version ${String(manifest.version)}, expected ${MANIFEST_VERSION}; run npm run build`,
    );
  const named = [manifest.script, manifest.stylesheet, ...WORKER_LABELS.map((l) => manifest.workers?.[l])];
  for (const name of named)
    if (typeof name !== 'string' || !manifest.files?.[name])
      throw new WorkbenchNotBuiltError(
        `${file} names ${String(name)} but does not list it; run npm run build`,
      );
  for (const name of Object.keys(manifest.files)) {
    if (!HASHED_NAME.test(name))
      throw new WorkbenchNotBuiltError(`${file} lists ${JSON.stringify(name)}, not a hashed file name`);
    for (const form of manifest.files[name]!.gzipBytes === null ? [name] : [name, `${name}.gz`])
      if (!fs.existsSync(path.join(dir, form)))
        throw new WorkbenchNotBuiltError(`${file} lists ${form}, which is missing; run npm run build`);
  }
  return manifest;
}
