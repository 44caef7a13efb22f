import pino from 'pino';

/** The process logger: structured JSON, level from `LOG_LEVEL` (default `info`). */
export type Logger = pino.Logger;

/**
 * Bytes of log lines gathered before one write to stdout. Every request writes an audit line; writing
 * each as it comes costs a system call per request. 32 KB writes about a hundred lines at once, while the
 * flush interval still bounds how long a line waits.
 */
const LOG_BUFFER_BYTES = 32 * 1024;

/** Largest single write (sonic-boom's `maxWrite`, which must exceed `minLength`). */
const LOG_MAX_WRITE_BYTES = 64 * 1024;

/** The longest a buffered line waits for the buffer to fill (ms): a quiet gateway's lines still show. */
const LOG_FLUSH_INTERVAL_MS = 250;

/** Creates the logger. Never log figures' payloads or request variables: only ids, codes and timings. */
export function createLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const level = env.LOG_LEVEL ?? 'info';
  // Buffered stdout, each batch written synchronously. What is left is written when the process exits
  // (`exit` event: normal exits, signals handled by the drain, uncaught errors); only a SIGKILL or an
  // out-of-memory abort can lose the last quarter-second or 32 KB of lines. Not asynchronous: a batch in
  // flight on the thread pool at exit was written after the rest, or not at all (lines out of order in
  // test/unit/logger.test.ts, 3 runs in 8), and writing on the main thread costs no more per line (an
  // audit-line microbenchmark writing to a file, seven alternated runs each: 4.6-7.1 µs per line
  // synchronously, 4.8-7.0 asynchronously).
  const destination = pino.destination({
    dest: 1,
    sync: true,
    minLength: LOG_BUFFER_BYTES,
    maxWrite: LOG_MAX_WRITE_BYTES,
    contentMode: 'buffer',
  });
  if (level !== 'silent') {
    setInterval(() => {
      try {
        destination.flush();
      } catch {
        // closed at exit: nothing left to write
      }
    }, LOG_FLUSH_INTERVAL_MS).unref();
    // pino flushes only an asynchronous destination at exit; this buffer is ours to write. (Only loggers
    // that write register: the process has one; tests make many silent ones.)
    process.once('exit', () => flushAtExit(destination));
  }
  return pino(
    {
      level,
      base: { service: 'whereabouts' },
      redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
    },
    asBuffers(destination),
  );
}

/** Writes what is still buffered, synchronously (the process is exiting). */
function flushAtExit(destination: ReturnType<typeof pino.destination>): void {
  try {
    destination.flushSync();
  } catch {
    // stdout already closed: nothing can be written
  }
}

/**
 * pino writes strings, and sonic-boom's string mode measures its whole pending buffer
 * (`Buffer.byteLength`) at every write, which flattens the growing string: about 2 KB copied per line at
 * a 4 KB buffer, a third of all the bytes a warm feed request allocated. Its buffer mode keeps a list of
 * Buffers instead, so each line is encoded once, here.
 */
function asBuffers(destination: ReturnType<typeof pino.destination>): pino.DestinationStream {
  // sonic-boom's types know only string writes; its buffer mode takes Buffers. `write` is looked up per
  // line: pino replaces it with a no-op on EPIPE.
  const stream = destination as unknown as { write(chunk: Buffer): boolean };
  return {
    write: (line: string) => stream.write(Buffer.from(line, 'utf8')),
    flush: (callback?: (error?: Error) => void) => destination.flush(callback),
    flushSync: () => destination.flushSync(),
  } as pino.DestinationStream;
}
