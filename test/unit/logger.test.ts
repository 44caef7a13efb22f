/**
 * The process logger buffers its lines (src/logger.ts): these check, on a real child process writing to a
 * real pipe, that buffering never loses or holds back a line for long. The child runs the built logger
 * (`dist/logger.js`, built by `npm test` before jest).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const LOGGER = path.resolve(__dirname, '..', '..', 'dist', 'logger.js');

interface Child {
  /** Everything the child wrote to stdout so far. */
  readonly out: () => string;
  readonly exited: Promise<number | null>;
  readonly kill: () => void;
}

function runChild(script: string): Child {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const logger = require(${JSON.stringify(LOGGER)}).createLogger({ LOG_LEVEL: 'info' });\n${script}`,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { out: () => out, exited, kill: () => child.kill('SIGKILL') };
}

const linesOf = (text: string): { msg: string; n?: number }[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg: string; n?: number });

beforeAll(() => {
  if (!fs.existsSync(LOGGER)) throw new Error(`${LOGGER} is missing: run \`npm run build\` first`);
});

describe('process logger (buffered stdout)', () => {
  it('writes a lone line of a quiet process while it still runs (the periodic flush)', async () => {
    const child = runChild(`logger.info('lone line'); setInterval(() => {}, 1000);`);
    try {
      const deadline = Date.now() + 3000;
      while (!child.out().includes('lone line') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(linesOf(child.out()).map((l) => l.msg)).toEqual(['lone line']);
    } finally {
      child.kill();
      await child.exited;
    }
  });

  it('loses no buffered line when the process exits at once', async () => {
    const child = runChild(`for (let n = 0; n < 500; n++) logger.info({ n }, 'line'); process.exit(0);`);
    expect(await child.exited).toBe(0);
    expect(linesOf(child.out()).map((l) => l.n)).toEqual(Array.from({ length: 500 }, (_, n) => n));
  });

  it('loses no buffered line when the process dies of an uncaught error', async () => {
    const child = runChild(
      `for (let n = 0; n < 50; n++) logger.info({ n }, 'line'); setTimeout(() => { throw new Error('boom'); }, 10);`,
    );
    expect(await child.exited).toBe(1);
    expect(linesOf(child.out()).map((l) => l.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
  });

  it('writes lines with multi-byte characters whole, and the lines around them intact', async () => {
    // Lines are buffered as bytes: a character of 2, 3 or 4 bytes must not shift or cut what follows.
    const child = runChild(
      `for (let n = 0; n < 300; n++) logger.info({ n, name: n % 3 ? 'Dyfed-Powys Heddlu' : 'Gwent — Heddlu ✓ 🚓' }, 'line'); process.exit(0);`,
    );
    expect(await child.exited).toBe(0);
    const lines = linesOf(child.out()) as unknown as { n: number; name: string }[];
    expect(lines.map((l) => l.n)).toEqual(Array.from({ length: 300 }, (_, n) => n));
    for (const line of lines)
      expect(line.name).toBe(line.n % 3 ? 'Dyfed-Powys Heddlu' : 'Gwent — Heddlu ✓ 🚓');
  });
});
