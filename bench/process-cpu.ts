import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type pg from 'pg';
import { median, number } from './figures.js';

// Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux).
const TICKS = 100;

/**
 * The CPU seconds (utime + stime) a process has used so far, and with `reaped` those of the
 * children it has waited for (cutime + cstime); 0 for a process that is gone or not on this machine.
 */
export async function cpuSeconds(pid: number, reaped = false): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the state (field 3): utime and stime are fields 14 and 15, cutime and cstime 16 and 17.
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  if (fields.length < 15) return 0;
  return (fields[11] + fields[12] + (reaped ? fields[13] + fields[14] : 0)) / TICKS;
}

/**
 * CPU time per answered request, in ms: the app (its requests and its followers), PostgreSQL
 * (the server's processes; undefined when the server is not on this machine) and the load
 * generator (this process).
 */
export interface CpuPerRequest {
  app: number;
  postgres?: number;
  driver: number;
}

export type CpuReading = Awaited<ReturnType<typeof cpuNow>>;

/** CPU seconds used so far: by the app, by each of the server's processes, and by this process. */
export async function cpuNow(appPid: number, control: pg.Client) {
  const { rows } = await control.query<{ pid: number }>('SELECT pid FROM pg_stat_activity');
  const server = new Map(await Promise.all(rows.map(async ({ pid }) => [pid, await cpuSeconds(pid)] as const)));
  const own = process.cpuUsage();
  return { app: await cpuSeconds(appPid), server, driver: (own.user + own.system) / 1e6 };
}

/**
 * What each used between two readings, per request. A server process that started meanwhile
 * (an autovacuum worker) counts whole; one that ended meanwhile is missed.
 */
export function cpuPerRequest(before: CpuReading, after: CpuReading, requests: number): CpuPerRequest {
  let postgres = 0;
  for (const [pid, seconds] of after.server) postgres += seconds - (before.server.get(pid) ?? 0);
  const per = (seconds: number) => (seconds * 1000) / requests;
  return {
    app: per(after.app - before.app),
    postgres: postgres > 0 ? per(postgres) : undefined,
    driver: per(after.driver - before.driver),
  };
}

/** The figures, and the requests/s at which that work would keep every core of the machine busy. */
export function cpuText({ app, postgres, driver }: CpuPerRequest): string {
  const ceiling = (os.availableParallelism() * 1000) / (app + (postgres ?? 0) + driver);
  return (
    `app ${app.toFixed(2)} ms, PostgreSQL ${postgres === undefined ? 'not measured' : `${postgres.toFixed(2)} ms`}, ` +
    `load generator ${driver.toFixed(2)} ms (every core busy at ${number(ceiling)} requests/s)`
  );
}

/** Each figure's median over runs. */
export function medianCpu(runs: CpuPerRequest[]): CpuPerRequest {
  const postgres = runs.map((run) => run.postgres).filter((ms) => ms !== undefined);
  return {
    app: median(runs.map((run) => run.app)),
    postgres: postgres.length === runs.length ? median(postgres) : undefined,
    driver: median(runs.map((run) => run.driver)),
  };
}
