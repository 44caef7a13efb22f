import pino from 'pino';

/** The process logger: structured JSON, level from `LOG_LEVEL` (default `info`). */
export type Logger = pino.Logger;

/**
 * Bytes of log lines gathered before one write to stdout. Every request writes an audit line; writing
 * each as it comes costs a thread-pool round trip per request (about 35 µs of the main thread in
 * `test/bench`, a fifth of a warm feed request), while a 4 KB buffer writes a dozen lines at once.
 */
const LOG_BUFFER_BYTES = 4096;

/** The longest a buffered line waits for the buffer to fill (ms): a quiet gateway's lines still show. */
const LOG_FLUSH_INTERVAL_MS = 250;

/** Creates the logger. Never log figures' payloads or request variables: only ids, codes and timings. */
export function createLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const level = env.LOG_LEVEL ?? 'info';
  // Asynchronous, buffered stdout. pino writes what is left synchronously when the process exits
  // (`exit` event: normal exits, signals handled by the drain, uncaught errors); only a SIGKILL or an
  // out-of-memory abort can lose the last quarter-second or 4 KB of lines.
  const destination = pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES });
  if (level !== 'silent') {
    setInterval(() => {
      try {
        destination.flush();
      } catch {
        // closed at exit: nothing left to write
      }
    }, LOG_FLUSH_INTERVAL_MS).unref();
  }
  return pino(
    {
      level,
      base: { service: 'whereabouts' },
      redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
    },
    destination,
  );
}
