import { CommanderError } from 'commander';
import { ConfigError } from '../config/load';

/**
 * The exit codes of every `whereabouts` command, the one list (README, "Command line"): 0 done, 1 the
 * command ran and failed (a source check found failures, a schema is stale), 2 a usage error (an unknown
 * option, an argument that is not what its help says), 78 a configuration that cannot be used (EX_CONFIG,
 * as the gateway itself exits).
 */
export const EXIT = Object.freeze({ OK: 0, FAILURE: 1, USAGE: 2, CONFIG: 78 });

/** An argument that is not what its help says; its message names the argument and what is accepted. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * For `Command.exitOverride`: commander's own errors as `EXIT` codes. Help and version are 0; an error a
 * command raised with `this.error(…, { exitCode })` keeps its code; every other parse error (unknown
 * option or command, a missing or invalid argument) is a usage error, 2 (commander's default is 1).
 */
export function commanderExit(error: CommanderError): never {
  const code =
    error.code === 'commander.helpDisplayed' ||
    error.code === 'commander.version' ||
    error.code === 'commander.help'
      ? EXIT.OK
      : error.code === 'commander.error'
        ? error.exitCode
        : EXIT.USAGE;
  throw new CommanderError(code, error.code, error.message);
}

/** The exit code and the line to print (null when commander printed it already) for an error a command threw. */
export function exitFor(error: unknown): { code: number; message: string | null } {
  if (error instanceof CommanderError) return { code: error.exitCode, message: null };
  if (error instanceof UsageError) return { code: EXIT.USAGE, message: error.message };
  if (error instanceof ConfigError) return { code: EXIT.CONFIG, message: error.message };
  return { code: EXIT.FAILURE, message: (error as Error).message };
}
