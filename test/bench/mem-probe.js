/* eslint-disable @typescript-eslint/no-require-imports -- preloaded with `node -r`, CommonJS */
// Diagnostic preload for benchmarked gateway processes (`node -r ./test/bench/mem-probe.js ...`): reports
// memory without touching src/ and without an inspector or a debug endpoint. On SIGUSR2 one line goes to
// stderr:
//   mem-probe: rss_mb=R heap_used_mb=U heap_total_mb=T external_mb=E array_buffers_mb=A new_space_mb=N old_space_mb=O code_space_mb=C
// With MEM_PROBE_GC=1 (and node --expose-gc) a full GC runs first; with MEM_PROBE_SNAPSHOT_DIR set a heap
// snapshot is written there too (slow: only for diagnosis).
'use strict';
const v8 = require('node:v8');
const path = require('node:path');

const mb = (n) => (n / 1048576).toFixed(1);
let snapshots = 0;

process.on('SIGUSR2', () => {
  if (process.env.MEM_PROBE_GC === '1' && typeof global.gc === 'function') global.gc();
  const m = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
  process.stderr.write(
    `mem-probe: rss_mb=${mb(m.rss)} heap_used_mb=${mb(m.heapUsed)} heap_total_mb=${mb(m.heapTotal)} ` +
      `external_mb=${mb(m.external)} array_buffers_mb=${mb(m.arrayBuffers)} ` +
      `new_space_mb=${mb(spaces.new_space ?? 0)} old_space_mb=${mb(spaces.old_space ?? 0)} ` +
      `code_space_mb=${mb(spaces.code_space ?? 0)}\n`,
  );
  const dir = process.env.MEM_PROBE_SNAPSHOT_DIR;
  if (dir) {
    snapshots += 1;
    const file = v8.writeHeapSnapshot(path.join(dir, `gateway-${process.pid}-${snapshots}.heapsnapshot`));
    process.stderr.write(`mem-probe: snapshot ${file}\n`);
  }
});
