import { readFile } from 'node:fs/promises';

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
