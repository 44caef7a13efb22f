import { Writable } from 'node:stream';
import pino from 'pino';

/** A pino logger at info that keeps every line, and the lines parsed back (for tests of what is logged). */
export function logSink(): { logger: pino.Logger; events: () => any[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), events: () => lines.map((l) => JSON.parse(l)) };
}
