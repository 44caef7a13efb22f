import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import type { Force } from '../domain/force-registry';
import {
  ForceRegistry,
  loadBundledPopulations,
  loadDefaultRegistry,
  readForcesCsv,
} from '../domain/force-registry';
import { checkFileLocation } from '../sources/file-roots';
import { BUNDLED_SOURCES } from './bundled';
import type { ConfigFile, SourceConfig } from './schema';
import { OIDC_CLIENT_SECRET_ENV, configFileSchema, sourceConfigSchema } from './schema';
import { formatZodIssues } from './zod-issues';

/** Everything the gateway needs to start, validated, defaulted and frozen once at load. */
export interface GatewayConfig {
  readonly registry: ForceRegistry;
  readonly sources: readonly SourceConfig[];
  readonly national: ConfigFile['national'];
  readonly access: ConfigFile['access'];
  /** Fetching across sources: the cap on concurrent upstream fetches, and refreshes without traffic. */
  readonly upstream: ConfigFile['upstream'];
  /** Relative file locations are resolved against this (the config file's directory, or the cwd). */
  readonly baseDir: string;
  /** Where the configuration came from, for logs: a file path or "embedded default". */
  readonly origin: string;
}

/** A configuration that cannot be used. The message names the file, the field and what is accepted. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function formatIssues(origin: string, error: z.ZodError): string {
  return formatZodIssues(`invalid configuration in ${origin}`, error);
}

/** Checks that every secret a source's headers name is present in the environment. */
function checkSecrets(sources: readonly SourceConfig[], env: NodeJS.ProcessEnv, origin: string): void {
  const missing: string[] = [];
  sources.forEach((s, i) => {
    for (const [header, value] of Object.entries(s.headers)) {
      if (typeof value !== 'string' && !env[value.env]) {
        missing.push(`  - sources[${i}].headers.${header}: environment variable ${value.env} is not set`);
      }
    }
  });
  if (missing.length) throw new ConfigError(`invalid configuration in ${origin}:\n${missing.join('\n')}`);
}

/**
 * Checks that every file location is inside the config file's folder or a `fileRoots` folder, after
 * `..` and symlinks are resolved. `bundled:` and http(s) locations are not files of the config's.
 */
function checkFileLocations(
  sources: readonly SourceConfig[],
  fileRoots: readonly string[],
  baseDir: string,
  origin: string,
): void {
  const roots = [baseDir, ...fileRoots.map((root) => path.resolve(baseDir, root))];
  const problems: string[] = [];
  sources.forEach((s, i) => {
    if (/^https?:\/\//i.test(s.location) || s.location.startsWith('bundled:')) return;
    const { file, allowed } = checkFileLocation(s.location, baseDir, roots);
    if (!allowed) {
      problems.push(
        `  - sources[${i}].location: source "${s.id}": file ${file} is outside the config file's folder and fileRoots; accepted: a path inside ${roots.join(' or ')}`,
      );
    }
  });
  if (problems.length) throw new ConfigError(`invalid configuration in ${origin}:\n${problems.join('\n')}`);
}

/** The bundled published sources, validated like any other. */
export function bundledSources(): SourceConfig[] {
  return BUNDLED_SOURCES.map((s) => sourceConfigSchema.parse(s));
}

/** Builds a config from an already-parsed document (tests and the simulator use this directly). */
export function buildConfig(
  document: unknown,
  options: { baseDir: string; origin: string; env?: NodeJS.ProcessEnv },
): GatewayConfig {
  const parsed = configFileSchema.safeParse(document ?? {});
  if (!parsed.success) throw new ConfigError(formatIssues(options.origin, parsed.error));
  const file = parsed.data;
  checkSecrets(file.sources, options.env ?? process.env, options.origin);
  if (file.access.oidc && !(options.env ?? process.env)[OIDC_CLIENT_SECRET_ENV])
    throw new ConfigError(
      `invalid configuration in ${options.origin}:\n  - access.oidc: environment variable ${OIDC_CLIENT_SECRET_ENV} (the client secret) is not set`,
    );
  checkFileLocations(file.sources, file.fileRoots, options.baseDir, options.origin);

  let registry = loadDefaultRegistry();
  if (file.forces) {
    const forcesPath = path.resolve(options.baseDir, file.forces.file);
    let extra: Force[];
    try {
      extra = readForcesCsv(forcesPath, loadBundledPopulations());
    } catch (error) {
      throw new ConfigError(
        `invalid configuration in ${options.origin}:\n  - forces.file: ${(error as Error).message}`,
      );
    }
    registry = file.forces.mode === 'replace' ? new ForceRegistry(extra) : registry.extendedWith(extra);
  }

  const bundled = file.includeBundled ? bundledSources() : [];
  const clash = file.sources.findIndex((s) => bundled.some((b) => b.id === s.id));
  if (clash >= 0) {
    throw new ConfigError(
      `invalid configuration in ${options.origin}:\n  - sources[${clash}].id: duplicate source id "${file.sources[clash]!.id}" (a bundled source has it; includeBundled is on)`,
    );
  }
  const sources = [...bundled, ...file.sources];
  sources.forEach((s, i) => {
    if (s.forces === '*') return;
    const unknown = registry.unknownIds(s.forces);
    if (unknown.length) {
      throw new ConfigError(
        `invalid configuration in ${options.origin}:\n  - sources[${i}].forces: unknown force id(s) ${unknown.join(', ')}; accepted: ids in the force registry`,
      );
    }
  });
  return Object.freeze({
    registry,
    sources: Object.freeze(sources),
    national: file.national,
    access: file.access,
    upstream: file.upstream,
    baseDir: options.baseDir,
    origin: options.origin,
  });
}

/** The embedded default: the bundled published figures, nothing to configure. */
export function embeddedDefault(): GatewayConfig {
  return buildConfig({ includeBundled: true }, { baseDir: process.cwd(), origin: 'embedded default' });
}

/**
 * Parses a config file's text as YAML. A document written in YAML's JSON subset (one `{...}` after any
 * comment lines, as the simulator writes configs of many sources) is read with JSON.parse instead, with
 * the same result: the yaml library takes about 3 s and 120 MB to read a 3 MB config of 4,500 sources,
 * JSON.parse a few tens of ms. Anything JSON.parse refuses is read as YAML, for its error positions.
 */
export function parseConfigText(text: string): unknown {
  const body = text.replace(/^(?:[ \t]*(?:#[^\n]*)?\r?\n)*/, '');
  if (body.startsWith('{')) {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      // not JSON after all: YAML reports where it goes wrong
    }
  }
  return YAML.parse(text);
}

/** Why a config file could not be read, in words (with the system's code). */
function unreadable(error: NodeJS.ErrnoException): string {
  const words: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'it is a folder',
  };
  const code = error.code ?? 'error';
  return words[code] ? `${words[code]} (${code})` : code;
}

/**
 * Loads the configuration: the YAML file named by `WHEREABOUTS_CONFIG`, or the embedded default.
 * Every problem is reported at once, each naming its field and what is accepted. `namedBy` is what the
 * user gave the file's name with, for the message when it cannot be read (the CLI's `--config`).
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  namedBy: string = 'WHEREABOUTS_CONFIG',
): GatewayConfig {
  const file = env.WHEREABOUTS_CONFIG;
  if (!file) return embeddedDefault();
  const resolved = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(resolved, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read the ${namedBy} file ${resolved}: ${unreadable(error as NodeJS.ErrnoException)}`,
    );
  }
  let document: unknown;
  try {
    document = parseConfigText(text);
  } catch (error) {
    const e = error as { linePos?: Array<{ line: number; col: number }>; message: string };
    const at = e.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new ConfigError(`invalid YAML in ${resolved}${at}: ${e.message.split('\n')[0]}`);
  }
  return buildConfig(document, { baseDir: path.dirname(resolved), origin: resolved, env });
}
