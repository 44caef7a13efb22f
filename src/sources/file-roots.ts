import fs from 'node:fs';
import path from 'node:path';

/**
 * A path with `..` and every symlink resolved: `fs.realpathSync` of the deepest part that exists, the
 * rest appended (a file that does not exist yet cannot be a symlink, but a folder above it can).
 */
export function realPath(file: string): string {
  const absolute = path.resolve(file);
  const rest: string[] = [];
  let at = absolute;
  for (;;) {
    try {
      return path.join(fs.realpathSync(at), ...rest);
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return absolute;
      rest.unshift(path.basename(at));
      at = parent;
    }
  }
}

/** Whether `file` is `root` or inside it (both already real paths). */
function inside(file: string, root: string): boolean {
  const relative = path.relative(root, file);
  return (
    relative === '' ||
    (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative))
  );
}

/**
 * Where a file location really is, and whether it is inside one of `roots` (folders, real-pathed here),
 * after `..` and symlinks are resolved: a config cannot read `../../etc/passwd`, nor a symlink to it.
 */
export function checkFileLocation(
  location: string,
  baseDir: string,
  roots: readonly string[],
): { readonly file: string; readonly allowed: boolean } {
  const file = realPath(path.resolve(baseDir, location));
  return { file, allowed: roots.some((root) => inside(file, realPath(root))) };
}
