import pino from 'pino';

/** The process logger: structured JSON, level from `LOG_LEVEL` (default `info`). */
export type Logger = pino.Logger;

/** Creates the logger. Never log figures' payloads or request variables: only ids, codes and timings. */
export function createLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  return pino(
    {
      level: env.LOG_LEVEL ?? 'info',
      base: { service: 'whereabouts' },
      redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
    },
    // Asynchronous stdout: under load, lines written while a write is in flight go out together instead
    // of one blocking write per audit line. pino flushes what is left when the process exits.
    pino.destination({ dest: 1, sync: false }),
  );
}
