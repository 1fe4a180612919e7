import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import type { ServerInfo } from './database.js';
import type { Run } from './workloads.js';

export type Kind = 'append' | 'batch' | 'log read';

export interface Cell {
  kind: Kind;
  contender: string;
  writers: number;
  /** Events per append (per page for log reads). */
  batch: number;
  runs: (Run & { waits?: Record<string, number> })[];
}

export interface Report {
  startedAt: string;
  finishedAt: string;
  options: {
    quick: boolean;
    secondsPerCell: number;
    repetitions: number;
    payloadBytes: number;
    logEvents: number;
    logPage: number;
  };
  machine: {
    cpus: number;
    cpuModel: string;
    memoryBytes: number;
    node: string;
    platform: string;
    kernel: string;
    /** One-minute load averages: well above zero at the start means the benchmark had company. */
    loadAverage: { atStart: number; atEnd: number };
  };
  postgres: ServerInfo;
  cells: (Cell & { eventsPerSecond: number; ratioToRaw: number })[];
}

// Compiled to dist-bench/bench/: this is the source tree's bench/results/.
const RESULTS = new URL('../../bench/results/', import.meta.url);

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Each cell's median, and its ratio to raw in the same workload at the same concurrency. */
export function summarise(cells: Cell[]): Report['cells'] {
  const rate = (cell: Cell) => median(cell.runs.map((run) => run.eventsPerSecond));
  return cells.map((cell) => {
    const raw = cells.find((c) => c.kind === cell.kind && c.writers === cell.writers && c.contender === 'raw');
    return { ...cell, eventsPerSecond: rate(cell), ratioToRaw: raw ? rate(cell) / rate(raw) : NaN };
  });
}

const number = (n: number) => Math.round(n).toLocaleString('en-US');
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function table(report: Report, kind: Kind, who: string): string[] {
  const cells = report.cells.filter((c) => c.kind === kind);
  const columns = [...new Set(cells.map((c) => c.writers))];
  const rows = [...new Set(cells.map((c) => c.contender))];
  const text = (contender: string, writers: number) => {
    const cell = cells.find((c) => c.contender === contender && c.writers === writers);
    if (!cell) return '';
    const rate = `${number(cell.eventsPerSecond)} ev/s`;
    return contender === 'raw' ? rate : `${rate} (${cell.ratioToRaw.toFixed(2)}x raw)`;
  };
  return [
    `| contender | ${columns.map((w) => plural(w, who)).join(' | ')} |`,
    `| --- | ${columns.map(() => '---:').join(' | ')} |`,
    ...rows.map((contender) => `| ${contender} | ${columns.map((w) => text(contender, w)).join(' | ')} |`),
  ];
}

export async function markdown(report: Report): Promise<string> {
  const { machine, postgres, options } = report;
  const { fsync, synchronous_commit, shared_buffers } = postgres.settings;
  const batch = report.cells.find((c) => c.kind === 'batch');
  const spread = (cell: Report['cells'][number]) => {
    const rates = cell.runs.map((run) => run.eventsPerSecond);
    return (Math.max(...rates) - Math.min(...rates)) / cell.eventsPerSecond;
  };
  const widest = report.cells.reduce((a, b) => (spread(b) > spread(a) ? b : a));
  const text = [
    '# Chronicle benchmark: the cost of ordering the log',
    '',
    `${report.startedAt}${options.quick ? ' (`--quick`)' : ''}: ${machine.cpus} × ${machine.cpuModel}, ` +
      `${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${machine.node}; ` +
      `PostgreSQL ${postgres.version} (${postgres.source}) with fsync=${fsync}, ` +
      `synchronous_commit=${synchronous_commit}, shared_buffers=${shared_buffers}. ` +
      `Every cell is the median of ${options.repetitions} runs of ${options.secondsPerCell} s, contenders interleaved; ` +
      `each writer appends in a loop on its own pooled connection, ${options.payloadBytes}-byte JSON payloads, ` +
      `on top of a ${number(options.logEvents)}-event log. ` +
      `The benchmark runs on the same machine as PostgreSQL; load average ${machine.loadAverage.atStart.toFixed(1)} ` +
      `at the start. Widest spread between the runs of a cell: ${(spread(widest) * 100).toFixed(0)}% ` +
      `of its median (${widest.contender}, ${plural(widest.writers, widest.kind === 'log read' ? 'reader' : 'writer')}` +
      `${widest.kind === 'batch' ? `, ${widest.batch}-event appends` : ''}).`,
    '',
    '## Single-event appends',
    '',
    ...table(report, 'append', 'writer'),
    '',
    '- raw: one prepared INSERT per append into a copy of `events` (no function, no locks)',
    '- raw + table lock: BEGIN; LOCK TABLE … IN EXCLUSIVE MODE; INSERT; COMMIT (writers take turns, flush included)',
    "- chronicle: `PostgresEventStore.append` with the expected version, to the writer's own existing streams",
    '- chronicle new streams: `PostgresEventStore.append`, a new stream per append',
    '',
    `## ${batch?.batch ?? 100}-event appends`,
    '',
    ...table(report, 'batch', 'writer'),
    '',
    '- raw: one prepared INSERT … SELECT FROM unnest(…) per append; chronicle: `PostgresEventStore.append`',
    '',
    `## Reading a ${number(options.logEvents)}-event log in pages of ${number(options.logPage)}`,
    '',
    ...table(report, 'log read', 'reader'),
    '',
    '- raw: `SELECT … WHERE position > $1 ORDER BY position LIMIT 1000`; ' +
      'chronicle: `PostgresEventStore.readLog` (adds the `pg_snapshot_xmin` filter and maps rows to events)',
    '',
  ].join('\n');
  // latest.md is committed and checked by `prettier --check`; formatting also aligns the tables for the terminal.
  const path = fileURLToPath(new URL('latest.md', RESULTS));
  return format(text, { ...(await resolveConfig(path)), filepath: path });
}

/** Writes bench/results/<timestamp>.json (git-ignored) and overwrites bench/results/latest.md (committed). */
export async function save(report: Report, table: string): Promise<string[]> {
  await mkdir(RESULTS, { recursive: true });
  const json = new URL(`${report.startedAt.slice(0, 19).replace(/:/g, '-')}Z.json`, RESULTS);
  const latest = new URL('latest.md', RESULTS);
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(latest, table);
  return [fileURLToPath(json), fileURLToPath(latest)];
}
