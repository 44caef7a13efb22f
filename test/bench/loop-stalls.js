/* eslint-disable @typescript-eslint/no-require-imports -- preloaded with `node -r`, CommonJS */
// Diagnostic preload for benchmarked gateway processes (`node -r ./test/bench/loop-stalls.js ...`): measures
// how long the event loop is blocked, without touching src/. A 10 ms interval timer notes each time it
// fires late; at exit one line goes to stderr:
//   loop-stalls: max_ms=M over_100ms=A over_200ms=B stalled_ms_total=T (the sum of stalls over 50 ms)
// over_200ms matters because the gateway's Redis commands time out after 200 ms (commandTimeout): a reply
// that arrived during a longer stall is read only after its timeout fired.
'use strict';
const { performance } = require('node:perf_hooks');

const TICK_MS = 10;
let last = performance.now();
let max = 0;
let over100 = 0;
let over200 = 0;
let total = 0;
const timer = setInterval(() => {
  const now = performance.now();
  const stall = now - last - TICK_MS;
  last = now;
  if (stall <= 0) return;
  if (stall > max) max = stall;
  if (stall > 50) total += stall;
  if (stall > 100) over100 += 1;
  if (stall > 200) over200 += 1;
}, TICK_MS);
timer.unref();

// SIGUSR2 starts the measurement over: the benchmark sends it just before its queries, so that loading the
// modules at startup (a stall of a second or so) is not counted.
process.on('SIGUSR2', () => {
  last = performance.now();
  max = 0;
  over100 = 0;
  over200 = 0;
  total = 0;
});

process.on('exit', () => {
  process.stderr.write(
    `loop-stalls: max_ms=${Math.round(max)} over_100ms=${over100} over_200ms=${over200} ` +
      `stalled_ms_total=${Math.round(total)}\n`,
  );
});
