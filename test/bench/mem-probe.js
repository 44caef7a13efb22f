/* eslint-disable @typescript-eslint/no-require-imports -- preloaded with `node -r`, CommonJS */
// Diagnostic preload for benchmarked gateway processes (`node -r ./test/bench/mem-probe.js ...`): reports
// memory without touching src/ and without an inspector or a debug endpoint. On SIGUSR2 two lines go to
// stderr:
//   mem-probe: rss_mb=R heap_used_mb=U heap_total_mb=T external_mb=E array_buffers_mb=A new_space_mb=N old_space_mb=O code_space_mb=C
//   mem-probe-map: rss_mb=R binary_text_mb=.. binary_data_mb=.. libs_mb=.. brk_heap_mb=.. malloc_arenas_mb=.. ...
// The second is where the resident set goes, by mapping (`breakdown`, below, says how each is told apart).
// With MEM_PROBE_GC=1 a full GC runs first (also while the file MEM_PROBE_CONTROL names holds `gc`); with MEM_PROBE_SNAPSHOT_DIR set a heap
// snapshot is written there too (slow: only for diagnosis); with MEM_PROBE_MODULES=1 a third line lists
// the modules loaded so far, as resident-ish source size per package:
//   mem-probe-modules: count=N @apollo/server=K:123 graphql=K:456 ...   (K: modules, then kB of source)
'use strict';
const fs = require('node:fs');
const v8 = require('node:v8');
const path = require('node:path');

const mb = (n) => (n / 1048576).toFixed(1);
const kbToMb = (n) => (n / 1024).toFixed(1);
let snapshots = 0;

/** glibc's HEAP_MAX_SIZE on 64-bit: every non-main malloc arena is one region this size, this aligned. */
const ARENA_BYTES = 64 * 1024 * 1024;
/** A reservation at least this big, anonymous and mostly inaccessible, is a WebAssembly memory's cage. */
const WASM_RESERVATION_BYTES = 4 * 1024 * 1024 * 1024;

/** The mappings of /proc/self/smaps: start, end, permissions, name, and each field in kB. */
function readSmaps() {
  const maps = [];
  let current = null;
  for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      current = {
        start: BigInt(`0x${head[1]}`),
        end: BigInt(`0x${head[2]}`),
        perm: head[3],
        name: head[4],
        Rss: 0,
      };
      maps.push(current);
      continue;
    }
    const field = /^(\w+):\s+(\d+) kB$/.exec(line);
    if (field && current) current[field[1]] = Number(field[2]);
  }
  return maps;
}

/**
 * The resident set by what holds it, in kB, from /proc/self/smaps and V8's own accounting:
 * - binary_text / binary_data: the node executable's code (r-x) and its read-only data and snapshot
 *   (ICU data lives there too), pages touched so far; libs: every other file mapping.
 * - brk_heap: glibc's main arena ([heap]); malloc_arenas: the other arenas (64 MB aligned regions,
 *   one per thread that ever called malloc); stacks: [stack] and anonymous 8 MB regions behind a guard.
 * - wasm: anonymous regions inside a reservation of 4 GB or more (WebAssembly memories).
 * - v8_code_rwx: rwx anonymous mappings (V8's code range: its code spaces and JIT code); v8_new and
 *   v8_old: the physical size V8 reports for its young generation and for its other spaces but code;
 *   anon_other: anonymous rw memory left over, mostly malloc'd memory outside arenas (large blocks
 *   mmapped on their own), Node's and libuv's buffers.
 */
function breakdown() {
  const maps = readSmaps();
  const exe = fs.realpathSync(process.execPath);
  const sum = { binary_text: 0, binary_data: 0, libs: 0, brk_heap: 0, malloc_arenas: 0, stacks: 0 };
  Object.assign(sum, { wasm: 0, v8_code_rwx: 0, anon_rw: 0 });
  let rss = 0;
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i];
    rss += m.Rss;
    if (m.name === exe) {
      if (m.perm.includes('x')) sum.binary_text += m.Rss;
      else sum.binary_data += m.Rss;
    } else if (m.name === '[heap]') sum.brk_heap += m.Rss;
    else if (m.name === '[stack]') sum.stacks += m.Rss;
    else if (m.name.startsWith('/') || m.name.startsWith('anon_inode')) sum.libs += m.Rss;
    else if (m.name.startsWith('['))
      sum.libs += m.Rss; // [vdso], [vvar]
    else if (m.perm.includes('x')) sum.v8_code_rwx += m.Rss;
    else if (m.Rss === 0) continue;
    else {
      // Regions made of this mapping and the inaccessible ones right after it.
      let end = m.end;
      for (let j = i + 1; j < maps.length && maps[j].start === end && maps[j].perm === '---p'; j++)
        end = maps[j].end;
      const region = end - m.start;
      const prev = maps[i - 1];
      if (m.start % BigInt(ARENA_BYTES) === 0n && region === BigInt(ARENA_BYTES)) sum.malloc_arenas += m.Rss;
      else if (region >= BigInt(WASM_RESERVATION_BYTES)) sum.wasm += m.Rss;
      else if (
        prev &&
        prev.perm === '---p' &&
        prev.end === m.start &&
        prev.end - prev.start <= 65536n &&
        m.end - m.start >= 1024n * 1024n
      )
        sum.stacks += m.Rss; // a thread's stack, behind its guard page
      else sum.anon_rw += m.Rss;
    }
  }
  const spaces = v8.getHeapSpaceStatistics();
  const physical = (names) =>
    spaces.filter((s) => names.includes(s.space_name)).reduce((t, s) => t + s.physical_space_size, 0) / 1024;
  const v8New = physical(['new_space', 'new_large_object_space']);
  // Code spaces live in the code range, which the rwx mappings already count.
  const v8Code = physical(['code_space', 'code_large_object_space']);
  const v8Old = spaces.reduce((t, s) => t + s.physical_space_size, 0) / 1024 - v8New - v8Code;
  return {
    rss,
    ...sum,
    v8_new: v8New,
    v8_old: v8Old,
    // V8's heap pages are anonymous rw mappings like malloc's large blocks: what is left once they are taken.
    anon_other: sum.anon_rw - v8New - v8Old,
  };
}

/** Loaded modules per package (node_modules name, or `app` for the rest): count and source kB. */
function moduleSummary() {
  const byPackage = new Map();
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file.slice(file.lastIndexOf('node_modules/')));
    const key = m ? m[1] : file.includes('/dist/') ? 'app' : 'other';
    const entry = byPackage.get(key) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    try {
      entry.bytes += fs.statSync(file).size;
    } catch {
      // a module without a file (a JSON import that was deleted, say)
    }
    byPackage.set(key, entry);
  }
  return [...byPackage.entries()].sort((a, b) => b[1].bytes - a[1].bytes);
}

/** A full garbage collection, without --expose-gc (the flag set at run time, the function from a context). */
function fullGc() {
  if (typeof global.gc === 'function') return global.gc();
  v8.setFlagsFromString('--expose-gc');
  require('node:vm').runInNewContext('gc')();
}

/** Whether this probe starts with a full GC: MEM_PROBE_GC=1, or MEM_PROBE_CONTROL names a file holding `gc`. */
function gcFirst() {
  if (process.env.MEM_PROBE_GC === '1') return true;
  const control = process.env.MEM_PROBE_CONTROL;
  try {
    return Boolean(control) && fs.readFileSync(control, 'utf8').trim() === 'gc';
  } catch {
    return false;
  }
}

// Which process to signal, for a gateway started under another command (memory.ts's BENCH_WRAP).
process.stderr.write(`mem-probe: pid=${process.pid}\n`);

process.on('SIGUSR2', () => {
  if (gcFirst()) fullGc();
  const m = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
  process.stderr.write(
    `mem-probe: rss_mb=${mb(m.rss)} heap_used_mb=${mb(m.heapUsed)} heap_total_mb=${mb(m.heapTotal)} ` +
      `external_mb=${mb(m.external)} array_buffers_mb=${mb(m.arrayBuffers)} ` +
      `new_space_mb=${mb(spaces.new_space ?? 0)} old_space_mb=${mb(spaces.old_space ?? 0)} ` +
      `code_space_mb=${mb(spaces.code_space ?? 0)}\n`,
  );
  if (process.env.MEM_PROBE_MODULES === '1') {
    const summary = moduleSummary();
    process.stderr.write(
      `mem-probe-modules: count=${summary.reduce((t, [, e]) => t + e.count, 0)} ${summary
        .map(([k, e]) => `${k}=${e.count}:${Math.round(e.bytes / 1024)}`)
        .join(' ')}\n`,
    );
  }
  // Last: a reader waits for this line (the modules line, when asked for, comes before it).
  const parts = breakdown();
  process.stderr.write(
    `mem-probe-map: ${Object.entries(parts)
      .map(([k, v]) => `${k}_mb=${kbToMb(v)}`)
      .join(' ')}\n`,
  );
  const dir = process.env.MEM_PROBE_SNAPSHOT_DIR;
  if (dir) {
    snapshots += 1;
    const file = v8.writeHeapSnapshot(path.join(dir, `gateway-${process.pid}-${snapshots}.heapsnapshot`));
    process.stderr.write(`mem-probe: snapshot ${file}\n`);
  }
});

module.exports = { breakdown, moduleSummary };
