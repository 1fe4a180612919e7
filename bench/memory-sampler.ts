import { readFile } from 'node:fs/promises';

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
