import { keysFilePath } from '../access/api-keys';
import type { ArchiveSettings } from '../archive/open';
import { archiveSettingsFromEnv } from '../archive/open';
import type { ServerTimeouts } from '../http/server';
import { serverTimeoutsFromEnv } from '../http/server';
import type { RedisTarget } from '../store/redis-connection';
import { redisTargetFromEnv } from '../store/redis-connection';
import type { TracingSettings } from '../tracing';
import { tracingSettingsFromEnv } from '../tracing';

/** The port the gateway listens on without `PORT`. */
export const DEFAULT_PORT = 4000;
/** The address it listens on without `HOST`: loopback only. Containers set HOST=0.0.0.0. */
export const DEFAULT_HOST = '127.0.0.1';
/** How long SIGTERM/SIGINT waits for in-flight requests without `WHEREABOUTS_SHUTDOWN_DEADLINE_MS`. */
export const DEFAULT_SHUTDOWN_DEADLINE_MS = 10_000;

/** A variable of the environment that cannot be used: the message names it and says what is accepted. */
export class EnvironmentError extends Error {}

/**
 * What the gateway takes from its process environment, read and checked once (`readEnvironment`, by the
 * entry point): the config file says what to serve (config/load.ts, which finds it by
 * `WHEREABOUTS_CONFIG`), the environment where and how to run. Besides those two and the log level
 * (logger.ts, made first so that a bad variable can be reported), nothing in `src/` reads the
 * environment: each part is given what it needs from here.
 */
export interface Environment {
  readonly port: number;
  readonly host: string;
  readonly shutdownDeadlineMs: number;
  /** Fetch every source once at start (`WHEREABOUTS_WARM_UP`, on unless `off`). */
  readonly warmUp: boolean;
  /** The API keys file (`WHEREABOUTS_KEYS_FILE`, else `.whereabouts/keys.json`). */
  readonly keysFile: string;
  /** Redis for L2, locks and pub/sub (`REDIS_URL` or `REDIS_CLUSTER_NODES`); undefined: L1 only. */
  readonly redis: RedisTarget | undefined;
  readonly tracing: TracingSettings;
  /** Where the archive is kept (`WHEREABOUTS_ARCHIVE`, `DATABASE_URL`, `WHEREABOUTS_ARCHIVE_FILE`; src/archive/open.ts). */
  readonly archive: ArchiveSettings;
  readonly serverTimeouts: ServerTimeouts;
  /**
   * The variables secrets are looked up in by name: sources' `auth` (their `*Env` settings) and webhook
   * secrets (`WHEREABOUTS_HOOK_SECRET_<ID>`). Secrets are never copied into config or logs.
   */
  readonly secrets: Readonly<Record<string, string | undefined>>;
}

/**
 * Reads the environment (`process.env` by default) once, checking every variable it uses; throws
 * `EnvironmentError` naming the first that cannot be used (the process then exits 78, EX_CONFIG).
 */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const port = env.PORT === undefined || env.PORT === '' ? DEFAULT_PORT : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new EnvironmentError(`PORT must be a whole number from 0 to 65535; got "${env.PORT}"`);
  const deadline = env.WHEREABOUTS_SHUTDOWN_DEADLINE_MS;
  const shutdownDeadlineMs =
    deadline === undefined || deadline === '' ? DEFAULT_SHUTDOWN_DEADLINE_MS : Number(deadline);
  if (!Number.isInteger(shutdownDeadlineMs) || shutdownDeadlineMs < 1)
    throw new EnvironmentError(
      `WHEREABOUTS_SHUTDOWN_DEADLINE_MS must be a whole number of milliseconds above 0; got "${deadline}"`,
    );
  let serverTimeouts: ServerTimeouts;
  let redis: RedisTarget | undefined;
  let archive: ArchiveSettings;
  try {
    serverTimeouts = serverTimeoutsFromEnv(env);
    redis = redisTargetFromEnv(env);
    archive = archiveSettingsFromEnv(env);
  } catch (error) {
    // The parsers throw a plain message naming the variable and what is accepted.
    throw new EnvironmentError((error as Error).message);
  }
  return {
    port,
    host: env.HOST || DEFAULT_HOST,
    shutdownDeadlineMs,
    warmUp: env.WHEREABOUTS_WARM_UP !== 'off',
    keysFile: keysFilePath(env),
    redis,
    tracing: tracingSettingsFromEnv(env),
    archive,
    serverTimeouts,
    secrets: env,
  };
}
