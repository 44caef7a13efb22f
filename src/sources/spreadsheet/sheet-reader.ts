import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { SourceError } from '../../errors';
import type { Budget } from '../resilience';
import type { SheetAnswer, SheetRequest } from './grid';
import { PARSER_HEAP_MB } from './limits';

/**
 * The parser's script: `workbook.worker.mts` beside this file, run by Node as TypeScript from `src/`
 * (tests) and as the compiled `.mjs` from `dist/`.
 */
const WORKER_FILE = path.join(
  __dirname,
  `workbook.worker${path.extname(__filename) === '.ts' ? '.mts' : '.mjs'}`,
);

/**
 * Workbooks parsed at once, in the whole process. Parsing takes a core for up to a second or two (see
 * README, Configuring sources) and a parser heap of up to `PARSER_HEAP_MB`; one at a time bounds both
 * whatever the number of spreadsheet sources. Others wait in order, within their own time budgets.
 */
const MAX_PARSERS = 1;

let running = 0;
const waiting: Array<() => void> = [];

function timedOut(): SourceError {
  return new SourceError('UPSTREAM_TIMEOUT', 'the source did not answer in time');
}

/**
 * Reads one sheet of a checked workbook in a worker thread of its own: V8 heap capped at
 * `PARSER_HEAP_MB`, no environment (it has no use for the gateway's secrets), its output dropped, and
 * ended at once when the source's time budget runs out. A worker that runs out of heap is a source
 * error, not a crash. Resolves with the worker's answer; rejects with a `SourceError`.
 */
export async function readSheetInWorker(
  bytes: Uint8Array,
  request: SheetRequest,
  budget: Budget,
): Promise<SheetAnswer> {
  await slot(budget);
  try {
    return await runWorker(bytes, request, budget);
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

/** Waits for a parser slot, or rejects when the budget runs out first. */
function slot(budget: Budget): Promise<void> {
  if (budget.aborted) return Promise.reject(timedOut());
  if (running < MAX_PARSERS) {
    running += 1;
    return Promise.resolve();
  }
  return new Promise<void>((resolve, reject) => {
    const take = () => {
      cancel();
      running += 1;
      resolve();
    };
    const cancel = budget.onAbort(() => {
      const i = waiting.indexOf(take);
      if (i >= 0) waiting.splice(i, 1);
      reject(timedOut());
    });
    waiting.push(take);
  });
}

function runWorker(bytes: Uint8Array, request: SheetRequest, budget: Budget): Promise<SheetAnswer> {
  return new Promise<SheetAnswer>((resolve, reject) => {
    const worker = new Worker(WORKER_FILE, {
      workerData: { bytes, request },
      resourceLimits: { maxOldGenerationSizeMb: PARSER_HEAP_MB, maxYoungGenerationSizeMb: 32 },
      env: {},
      // SheetJS may warn on the console about what it reads: upstream content, not for our logs.
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    let settled = false;
    let cancel = () => {};
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      cancel();
      void worker.terminate();
      outcome();
    };
    cancel = budget.onAbort(() => settle(() => reject(timedOut())));
    worker.once('message', (answer: SheetAnswer) => settle(() => resolve(answer)));
    worker.once('error', (error: Error & { code?: string }) =>
      settle(() =>
        reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new SourceError(
                'UPSTREAM_INVALID_PAYLOAD',
                `the workbook needs more than ${PARSER_HEAP_MB} MiB to read (it expands to too many cells); it was not read`,
              )
            : new SourceError('UPSTREAM_INVALID_PAYLOAD', 'the workbook could not be read', error.message),
        ),
      ),
    );
    worker.once('exit', (code) =>
      settle(() =>
        reject(
          new SourceError(
            'UPSTREAM_INVALID_PAYLOAD',
            'the workbook could not be read',
            `parser exited with ${code}`,
          ),
        ),
      ),
    );
  });
}
