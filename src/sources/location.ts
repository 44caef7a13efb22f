import fs from 'node:fs/promises';
import path from 'node:path';
import { DATA_DIR } from '../paths';
import { SourceError } from '../errors';
import type { FetchContext } from './fetch-context';
import { tooLarge } from './body-reader';
import { MAX_UPSTREAM_BYTES, httpRequest, httpRequestBytes } from './http';

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

/** Reads a source's payload as text from a file or an http(s) URL, at most `MAX_UPSTREAM_BYTES`. */
export async function readLocationText(ctx: FetchContext, accept: string): Promise<string> {
  const { location } = ctx.config;
  if (isHttpLocation(location))
    return (await httpRequest(ctx, { method: 'GET', url: location, accept })).body;
  return (await readFileCapped(ctx)).toString('utf8');
}

/**
 * Reads a source's payload as bytes (a workbook) from a file or an http(s) URL. Both are capped at
 * `MAX_UPSTREAM_BYTES`: over HTTP by the body reader (and its share of the byte budget), from a file by
 * `readFileCapped`.
 */
export async function readLocationBytes(ctx: FetchContext, accept: string): Promise<Buffer> {
  const { location } = ctx.config;
  if (isHttpLocation(location))
    return (await httpRequestBytes(ctx, { method: 'GET', url: location, accept })).body;
  return readFileCapped(ctx);
}

/**
 * A source's file, read no more than one byte past `MAX_UPSTREAM_BYTES` (a file is held to the same cap
 * as a body over HTTP), within the source's time budget.
 */
async function readFileCapped(ctx: FetchContext): Promise<Buffer> {
  const file = resolveFileLocation(ctx.config.location, ctx.baseDir);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    // One byte more than the file's size (or the cap): filling it means the file is over the cap, or
    // grew while it was read.
    const buffer = Buffer.alloc(Math.min((await handle.stat()).size, MAX_UPSTREAM_BYTES) + 1);
    let length = 0;
    for (;;) {
      if (ctx.budget.aborted) throw new SourceError('UPSTREAM_TIMEOUT', 'the source did not answer in time');
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_UPSTREAM_BYTES) throw tooLarge(MAX_UPSTREAM_BYTES);
      if (length === buffer.length)
        throw new SourceError('UPSTREAM_UNREACHABLE', "the source's file changed while it was read", file);
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw new SourceError(
      'UPSTREAM_UNREACHABLE',
      "the source's file could not be read",
      `${file}: ${(error as Error).message}`,
    );
  } finally {
    await handle?.close();
  }
}
