import type pg from 'pg';

// A backend with no wait event is running (or waiting for a CPU); 'Client:ClientRead'
// means it waits for the benchmark process.
const SAMPLE = `
  SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS what, count(*)::integer AS n
    FROM pg_stat_activity
   WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
   GROUP BY 1`;

/**
 * Samples what the writers' backends wait on while a cell runs, to tell a queue on the
 * critical section (Lock:advisory) from one on the WAL flush (LWLock:WALWrite, IO:WALSync).
 * Resolves to the average number of backends in each state. `sample` may group otherwise
 * (it must answer rows of { what, n }).
 */
export function sampleWaits(
  control: pg.Client,
  intervalMs = 100,
  sample = SAMPLE,
): { stop(): Promise<Record<string, number>> } {
  const totals = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await control.query<{ what: string; n: number }>(sample);
      samples++;
      for (const { what, n } of rows) totals.set(what, (totals.get(what) ?? 0) + n);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  let result: Promise<Record<string, number>> | undefined;
  return {
    stop: () =>
      (result ??= (async () => {
        running = false;
        await loop;
        const averages = [...totals].map(([what, n]) => [what, Math.round((n / samples) * 10) / 10] as const);
        return Object.fromEntries(averages.sort((a, b) => b[1] - a[1]));
      })()),
  };
}
