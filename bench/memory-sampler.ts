import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface Rss {
  /** Resident set size now (VmRSS). */
  rssBytes: number;
  /** The highest resident set size of the process so far (VmHWM). */
  peakBytes: number;
}

const kilobytes = (status: string, field: string): number => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!match) throw new Error(`/proc status has no ${field} line`);
  return Number(match[1]) * 1024;
};

/** Another process's memory, from the kernel: what it costs the machine, heap, code and buffers alike. */
export async function readRss(pid: number): Promise<Rss> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return { rssBytes: kilobytes(status, 'VmRSS'), peakBytes: kilobytes(status, 'VmHWM') };
}

export interface RssSamples {
  samples: number;
  /** The highest VmRSS sampled while sampling ran (VmHWM would include what came before). */
  peakBytes: number;
  lastBytes: number;
}

/** Reads the process's VmRSS every `intervalMs` until stopped. */
export function sampleRss(pid: number, intervalMs = 100): { stop(): Promise<RssSamples> } {
  let running = true;
  const result: RssSamples = { samples: 0, peakBytes: 0, lastBytes: 0 };
  const loop = (async () => {
    while (running) {
      const { rssBytes } = await readRss(pid);
      result.samples++;
      result.peakBytes = Math.max(result.peakBytes, rssBytes);
      result.lastBytes = rssBytes;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return result;
    },
  };
}

/** `process.memoryUsage()` of the app right after two full GCs (bench/heap-probe.ts). */
export interface HeapAfterGc {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface HeapProbe {
  /** NODE_OPTIONS and HEAP_PROBE_FILE for the app's environment: they preload the probe. */
  env: Record<string, string>;
  /** Signals the app and waits for its answer. */
  read(pid: number): Promise<HeapAfterGc>;
}

const PROBE_SCRIPT = pathToFileURL(fileURLToPath(new URL('./heap-probe.js', import.meta.url))).href;

/** A heap probe answering in a file of its own under `dir`; HEAP_PROBE_SNAPSHOTS, when set, reaches the app. */
export function heapProbe(dir: string): HeapProbe {
  const file = join(dir, 'heap-probe.jsonl');
  const snapshots = process.env.HEAP_PROBE_SNAPSHOTS;
  let answers = 0;
  const lines = async () => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return {
    env: {
      NODE_OPTIONS: `--expose-gc --import=${PROBE_SCRIPT}`,
      HEAP_PROBE_FILE: file,
      // The app gets no environment but what the benchmark gives it: pass the snapshot directory on.
      ...(snapshots ? { HEAP_PROBE_SNAPSHOTS: snapshots } : {}),
    },
    async read(pid) {
      process.kill(pid, 'SIGUSR2');
      answers++;
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(20)) {
        const answered = await lines();
        if (answered.length >= answers) return JSON.parse(answered[answers - 1]) as HeapAfterGc;
      }
      throw new Error(`the heap probe of process ${pid} did not answer within 60 s`);
    },
  };
}
