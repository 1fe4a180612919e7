import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

/**
 * Preloaded into the app by the memory benchmark (`NODE_OPTIONS='--expose-gc --import …'`),
 * so that src/ carries no benchmark hook. On SIGUSR2: two full GCs, then one JSON line of
 * `process.memoryUsage()` appended to HEAP_PROBE_FILE. RSS alone cannot tell memory kept
 * from garbage not yet collected or from a heap V8 has grown and not given back; the heap
 * used after a full GC can. With HEAP_PROBE_SNAPSHOTS set (a directory), each probe also
 * writes a heap snapshot there, to diff in Chrome DevTools when the heap grows.
 */
const file = process.env.HEAP_PROBE_FILE;
const snapshots = process.env.HEAP_PROBE_SNAPSHOTS;
const gc = (globalThis as { gc?: () => void }).gc;
if (!file || !gc) throw new Error('bench/heap-probe needs HEAP_PROBE_FILE and node --expose-gc');

let probes = 0;
process.on('SIGUSR2', () => {
  // The second GC frees what the first one's weak callbacks and finalizers let go.
  gc();
  gc();
  const usage = process.memoryUsage();
  probes++;
  if (snapshots) writeHeapSnapshot(join(snapshots, `${process.pid}-probe-${probes}.heapsnapshot`));
  appendFileSync(file, `${JSON.stringify(usage)}\n`);
});
