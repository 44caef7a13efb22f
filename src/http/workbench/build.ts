import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { BuildOptions, OutputFile } from 'esbuild';
import { build } from 'esbuild';
import { PACKAGE_ROOT } from '../../paths';
import type { BuiltFile, WorkbenchManifest, WorkerLabel } from './bundle';
import {
  MANIFEST_NAME,
  MANIFEST_VERSION,
  WORKBENCH_CLIENT_DIR,
  WORKBENCH_DIST_DIR,
  WORKER_LABELS,
} from './bundle';

/**
 * Builds the workbench (`npm run build` runs `node dist/http/workbench/build.js` after tsc): GraphiQL 5,
 * React 19 and Monaco bundled with esbuild from `client/` into `dist/workbench/`, with nothing loaded from
 * elsewhere at run time. Deterministic: esbuild's output depends only on its inputs (minified, no source
 * maps, no paths), every name is the SHA-256 of the bytes, gzip forms carry no time stamp, and the folder
 * is emptied first so that no stale file is left to serve.
 *
 * What it writes: one IIFE script, one stylesheet, each Monaco worker as its own classic-worker script
 * (the main script is built after them and names them through `define`), Monaco's codicon font, and the
 * fonts GraphiQL's stylesheets inline as `data:` URLs, written out as files so that `font-src 'self'`
 * holds. Each file that compresses has a `.gz` form beside it, and `manifest.json` lists them all.
 */

/** Browsers the bundle is written for (what GraphiQL 5 and Monaco 0.52 support). */
const TARGET = ['es2022', 'chrome110', 'firefox115', 'safari16'];

/** The workers Monaco asks for, by label, and the module each is built from. */
const WORKER_ENTRIES: Readonly<Record<WorkerLabel, string>> = {
  editor: 'monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'monaco-graphql/esm/graphql.worker.js',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

/** Options every esbuild run shares. */
const COMMON = {
  bundle: true,
  write: false,
  platform: 'browser',
  format: 'iife',
  target: [...TARGET],
  minify: true,
  sourcemap: false,
  // Licence notices kept, at the end of each file (MIT and BSD ask that the notice travel with the code).
  legalComments: 'eof',
  charset: 'utf8',
  logLevel: 'warning',
  absWorkingDir: PACKAGE_ROOT,
  define: { 'process.env.NODE_ENV': '"production"' },
} as const satisfies BuildOptions;

/** What one build made, and how long it took. */
export interface WorkbenchBuild {
  readonly manifest: WorkbenchManifest;
  readonly dir: string;
  readonly elapsedMs: number;
}

/** A file to write: its content-hashed name and bytes. */
interface Output {
  readonly name: string;
  readonly bytes: Buffer;
}

/** `<base>.<16 hex of SHA-256>.<ext>`. */
function hashedName(base: string, ext: string, bytes: Uint8Array): string {
  return `${base}.${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}${ext}`;
}

function outputNamed(outputs: readonly OutputFile[], ext: string): OutputFile {
  const found = outputs.filter((f) => f.path.endsWith(ext));
  if (found.length !== 1)
    throw new Error(
      `esbuild wrote ${found.length} ${ext} files; expected one: ${outputs.map((f) => f.path)}`,
    );
  return found[0]!;
}

/** Builds one Monaco worker as a classic-worker script. */
async function buildWorker(label: WorkerLabel): Promise<Output> {
  const result = await build({
    ...COMMON,
    entryPoints: [require.resolve(WORKER_ENTRIES[label], { paths: [PACKAGE_ROOT] })],
    outdir: WORKBENCH_DIST_DIR,
  });
  const js = outputNamed(result.outputFiles, '.js');
  return { name: hashedName(`${label}.worker`, '.js', js.contents), bytes: Buffer.from(js.contents) };
}

/**
 * The stylesheet with every `url(data:font/...)` written out as a file and every `url(./asset)` esbuild
 * emitted renamed by its hash: fonts then come from this origin (`font-src 'self'`, no `data:`).
 */
function externaliseFonts(
  css: string,
  assets: ReadonlyMap<string, Uint8Array>,
): { css: string; files: Output[] } {
  const files = new Map<string, Output>();
  const add = (base: string, ext: string, bytes: Buffer): string => {
    const name = hashedName(base, ext, bytes);
    files.set(name, { name, bytes });
    return name;
  };
  let out = css.replace(
    /url\((["']?)data:font\/(woff2|woff|ttf);base64,([A-Za-z0-9+/=]+)\1\)/g,
    (_all, _q: string, type: string, data: string) =>
      `url(./${add('font', `.${type}`, Buffer.from(data, 'base64'))})`,
  );
  out = out.replace(/url\((["']?)\.\/([A-Za-z0-9_-]+)(\.ttf|\.woff2?)\1\)/g, (all, _q, base: string, ext) => {
    const bytes = assets.get(`${base}${ext}`);
    return bytes ? `url(./${add(base.toLowerCase(), ext, Buffer.from(bytes))})` : all;
  });
  if (/url\((["']?)data:font/.test(out)) throw new Error('a font in the stylesheet is still a data: URL');
  return { css: out, files: [...files.values()] };
}

/** Builds the page's script and stylesheet, naming the workers it starts. */
async function buildPage(workers: Readonly<Record<WorkerLabel, string>>): Promise<Output[]> {
  const result = await build({
    ...COMMON,
    entryPoints: { workbench: path.join(WORKBENCH_CLIENT_DIR, 'main.jsx') },
    outdir: WORKBENCH_DIST_DIR,
    jsx: 'automatic',
    // Names only: the files are read and renamed below, never loaded from these paths.
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file' },
    assetNames: '[name]',
    define: {
      ...COMMON.define,
      WORKBENCH_WORKERS: JSON.stringify(
        Object.fromEntries(WORKER_LABELS.map((l) => [l, `/workbench/assets/${workers[l]}`])),
      ),
    },
  });
  const assets = new Map(
    result.outputFiles
      .filter((f) => /\.(ttf|woff2?)$/.test(f.path))
      .map((f) => [path.basename(f.path), f.contents] as const),
  );
  const js = outputNamed(result.outputFiles, '.js');
  const { css, files } = externaliseFonts(outputNamed(result.outputFiles, '.css').text, assets);
  const cssBytes = Buffer.from(css);
  return [
    { name: hashedName('workbench', '.js', js.contents), bytes: Buffer.from(js.contents) },
    { name: hashedName('workbench', '.css', cssBytes), bytes: cssBytes },
    ...files,
  ];
}

/** Builds the workbench into `dir` (emptied first) and writes its manifest. */
export async function buildWorkbench(dir = WORKBENCH_DIST_DIR): Promise<WorkbenchBuild> {
  const started = performance.now();
  const workerOutputs = await Promise.all(WORKER_LABELS.map((label) => buildWorker(label)));
  const workers = Object.fromEntries(WORKER_LABELS.map((l, i) => [l, workerOutputs[i]!.name])) as Record<
    WorkerLabel,
    string
  >;
  const page = await buildPage(workers);
  const outputs = [...page, ...workerOutputs].sort((a, b) => a.name.localeCompare(b.name));

  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const files: Record<string, BuiltFile> = {};
  for (const { name, bytes } of outputs) {
    // Level 9 once at build time; no name or time stamp in the header, so the bytes are the same each build.
    const gzip = zlib.gzipSync(bytes, { level: 9 });
    // Fonts in woff2 and woff are compressed already: a gzip form that saves little is not kept.
    const keepGzip = gzip.length < bytes.length * 0.9;
    fs.writeFileSync(path.join(dir, name), bytes);
    if (keepGzip) fs.writeFileSync(path.join(dir, `${name}.gz`), gzip);
    files[name] = {
      contentType: CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream',
      bytes: bytes.length,
      gzipBytes: keepGzip ? gzip.length : null,
    };
  }
  const manifest: WorkbenchManifest = {
    version: MANIFEST_VERSION,
    script: page[0]!.name,
    stylesheet: page[1]!.name,
    workers,
    files,
  };
  fs.writeFileSync(path.join(dir, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, dir, elapsedMs: performance.now() - started };
}

/** `node dist/http/workbench/build.js`: builds, then prints each file's size and the time taken. */
if (require.main === module) {
  buildWorkbench().then(
    ({ manifest, dir, elapsedMs }) => {
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      for (const [name, file] of Object.entries(manifest.files))
        console.log(
          `  ${name.padEnd(36)} ${kib(file.bytes).padStart(12)}${file.gzipBytes === null ? '' : `  gzip ${kib(file.gzipBytes)}`}`,
        );
      console.log(
        `workbench built into ${path.relative(process.cwd(), dir) || dir} in ${Math.round(elapsedMs)} ms`,
      );
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
