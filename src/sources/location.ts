import fs from 'node:fs/promises';
import path from 'node:path';
import { DATA_DIR } from '../paths';
import { SourceError } from '../errors';
import type { FetchContext } from './fetch-context';
import { httpRequest } from './http';

const BUNDLED = 'bundled:';

/** Whether a location is fetched over HTTP(S). */
export function isHttpLocation(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** Resolves a file location: `bundled:<name>` is a file in `src/data`, others are relative to the config. */
export function resolveFileLocation(location: string, baseDir: string): string {
  if (location.startsWith(BUNDLED)) return path.join(DATA_DIR, path.basename(location.slice(BUNDLED.length)));
  return path.resolve(baseDir, location);
}

/** Reads a source's payload as text from a file or an http(s) URL. */
export async function readLocationText(ctx: FetchContext, accept: string): Promise<string> {
  const { location } = ctx.config;
  if (isHttpLocation(location)) {
    const res = await httpRequest(ctx, { method: 'GET', url: location, accept });
    return res.body;
  }
  const file = resolveFileLocation(location, ctx.baseDir);
  try {
    return await fs.readFile(file, { encoding: 'utf8', signal: ctx.budget.signal });
  } catch (error) {
    if (ctx.budget.aborted) throw new SourceError('UPSTREAM_TIMEOUT', 'the source did not answer in time');
    throw new SourceError(
      'UPSTREAM_UNREACHABLE',
      "the source's file could not be read",
      `${file}: ${(error as Error).message}`,
    );
  }
}
