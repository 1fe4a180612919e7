import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import type { ServerInfo } from './database.js';
import { median } from './figures.js';
import type { Report } from './report.js';

export type LogKind = 'plain' | 'partitioned';
export const LOG_KINDS: LogKind[] = ['plain', 'partitioned'];

/** One measured quantity at one step, for both logs: per repetition, the figure of that repetition. */
export interface GrowthCell {
  metric: 'append' | 'stream load' | 'log read';
  /** What is appended, loaded or read. */
  what: string;
  contender: string;
  unit: 'ev/s' | 'ms';
  runs: Record<LogKind, number[]>;
}

export interface Step {
  /** Seeded events; the appends of earlier steps come on top. */
  events: number;
  /** Rows in `events` when this step's measurements began. */
  rows: number;
  /** Partitions of the partitioned log then. */
  partitions: number;
  seedSeconds: Record<LogKind, number>;
  vacuumSeconds: Record<LogKind, number>;
  /** Table with its indexes (and TOAST), partitions summed. */
  bytes: Record<LogKind, number>;
  cells: GrowthCell[];
}

export interface GrowthReport {
  startedAt: string;
  finishedAt: string;
  options: {
    events: number;
    partitionSize: number;
    quick: boolean;
    steps: number[];
    repetitions: number;
    appendSeconds: number;
    appendWriters: number;
    logPage: number;
    logPages: number;
    bulkLoads: number;
    spreadLoads: number;
  };
  machine: Report['machine'] & { loadAverageBetweenSteps: number[] };
  postgres: ServerInfo;
  steps: Step[];
  /** The plans of the store's statements on the partitioned log at the last step (auto_explain, ANALYZE + BUFFERS). */
  plans: Record<string, string[]>;
  /** The same statements on the plain log, for comparison. */
  plainPlans: Record<string, string[]>;
}

export const cellValue = (cell: GrowthCell, kind: LogKind) => median(cell.runs[kind]);
const cellKey = (cell: GrowthCell) => `${cell.metric}/${cell.what}/${cell.contender}`;

const number = (n: number) => Math.round(n).toLocaleString('en-US');
const figure = (n: number, unit: GrowthCell['unit']) =>
  unit === 'ms' ? `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms` : `${number(n)} ev/s`;
const millions = (n: number) =>
  n >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(n);
const mib = (bytes: number) => `${number(bytes / 2 ** 20)} MiB`;
/** Cost grows when time grows or a rate falls: expressed so that above 1 is always "costs more". */
const costRatio = (unit: GrowthCell['unit'], to: number, from: number) => (unit === 'ms' ? to / from : from / to);

function perStepTable(report: GrowthReport): string[] {
  const { steps } = report;
  const first = steps[0];
  return [
    `| measure | contender | ${steps.map((s) => `${millions(s.events)}: plain | partitioned | B/A`).join(' | ')} |`,
    `| --- | --- | ${steps.map(() => '---: | ---: | ---:').join(' | ')} |`,
    ...first.cells.map((cell) => {
      const columns = steps.map((step) => {
        const same = step.cells.find((c) => cellKey(c) === cellKey(cell))!;
        const [a, b] = LOG_KINDS.map((kind) => cellValue(same, kind));
        return `${figure(a, cell.unit)} | ${figure(b, cell.unit)} | ${costRatio(cell.unit, b, a).toFixed(2)}x`;
      });
      return `| ${cell.metric}: ${cell.what} | ${cell.contender} | ${columns.join(' | ')} |`;
    }),
  ];
}

function growthTable(report: GrowthReport): string[] {
  const first = report.steps[0];
  const last = report.steps.at(-1)!;
  const from = millions(first.events);
  const to = millions(last.events);
  return [
    `| measure | contender | plain ${from} → ${to} | cost grew | partitioned ${from} → ${to} | cost grew |`,
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...first.cells.map((cell) => {
      const end = last.cells.find((c) => cellKey(c) === cellKey(cell))!;
      const columns = LOG_KINDS.map((kind) => {
        const [a, b] = [cellValue(cell, kind), cellValue(end, kind)];
        return `${figure(a, cell.unit)} → ${figure(b, cell.unit)} | ${costRatio(cell.unit, b, a).toFixed(2)}x`;
      });
      return `| ${cell.metric}: ${cell.what} | ${cell.contender} | ${columns.join(' | ')} |`;
    }),
  ];
}

function plansSection(title: string, plans: Record<string, string[]>): string[] {
  return [
    `## ${title}`,
    '',
    ...Object.entries(plans).flatMap(([name, texts]) => [`### ${name}`, '', '```', ...texts, '```', '']),
  ];
}

export async function growthMarkdown(report: GrowthReport, path: string): Promise<string> {
  const { machine, postgres, options, steps } = report;
  const { fsync, synchronous_commit, shared_buffers } = postgres.settings;
  const last = steps.at(-1)!;
  const text = [
    '# Chronicle benchmark: a log that grows, plain and partitioned',
    '',
    `${report.startedAt}: ${machine.cpus} × ${machine.cpuModel}, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, ` +
      `Node ${machine.node}; PostgreSQL ${postgres.version} (${postgres.source}) with fsync=${fsync}, ` +
      `synchronous_commit=${synchronous_commit}, shared_buffers=${shared_buffers}. ` +
      `Two databases on that server, A with the plain \`events\` table, B with \`enablePartitioning\` ` +
      `(partitions of ${number(options.partitionSize)} positions, a tenth of the log unless told otherwise, so that ` +
      `what each partition adds shows; ${last.partitions} at the end, the empty ones ahead of the head included), seeded alike. ` +
      `Every figure is the median of ${options.repetitions} repetitions, A and B interleaved. ` +
      `The benchmark runs on the same machine as PostgreSQL, with other work on it: one-minute load average ` +
      `${machine.loadAverage.atStart.toFixed(1)} at the start, ` +
      `${machine.loadAverageBetweenSteps.map((l) => l.toFixed(1)).join(', ')} before each step's measurements, ` +
      `${machine.loadAverage.atEnd.toFixed(1)} at the end.`,
    '',
    '## The logs',
    '',
    '| seeded events | rows | partitions (B) | seeding A | seeding B | VACUUM ANALYZE A | VACUUM ANALYZE B | size A | size B |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...steps.map(
      (s) =>
        `| ${number(s.events)} | ${number(s.rows)} | ${s.partitions} | ${s.seedSeconds.plain.toFixed(0)} s | ` +
        `${s.seedSeconds.partitioned.toFixed(0)} s | ${s.vacuumSeconds.plain.toFixed(0)} s | ` +
        `${s.vacuumSeconds.partitioned.toFixed(0)} s | ${mib(s.bytes.plain)} | ${mib(s.bytes.partitioned)} |`,
    ),
    '',
    '- seeding: generated inside PostgreSQL (`INSERT … SELECT FROM generate_series`, a million rows per statement), ' +
      'the seconds to reach this step from the one before, A and B seeded side by side (each by one backend); ' +
      'size: table, indexes and TOAST',
    `- the shape: mostly 10-event streams (AccountOpened, then MoneyDeposited), 200-byte JSON payloads; ` +
      `per step three 1,000-event streams whose events are spread evenly over the log up to that step, ` +
      `and two 10,000-event streams spread over the whole log; ids time-ordered like the app's uuidv7`,
    '',
    '## Each step',
    '',
    ...perStepTable(report),
    '',
    `- B/A: what the partitioned log costs against the plain one (above 1: slower)`,
    `- append: \`PostgresEventStore.append\` of single events by ${options.appendWriters} writers for ` +
      `${options.appendSeconds} s, to each writer's own 16 existing streams or to a new stream each time`,
    `- stream load: \`readStream\` of a whole stream, the median of ${options.bulkLoads} loads of different ` +
      `10-event streams spread over the log, or of ${options.spreadLoads} loads of the step's three 1,000-event streams; ` +
      'raw SELECT: `SELECT … FROM events WHERE stream_id = $1 ORDER BY version`, prepared, through pg',
    `- log read: ${options.logPages} pages of ${number(options.logPage)} through \`readLog\` (chronicle) or ` +
      '`SELECT … WHERE position > $1 ORDER BY position LIMIT 1000` (raw SELECT), from position 0 or from ' +
      `${number(options.logPage * options.logPages)} events before the head; only time inside the calls counts`,
    '- every load and page is checked outside the clock (versions 1..n in order; full pages in position order)',
    '',
    `## How each cost grows, ${millions(steps[0].events)} to ${millions(last.events)} events`,
    '',
    ...growthTable(report),
    '',
    '- cost grew: time per operation at the last step over the first (for rates: first over last); 1.00x = flat',
    '',
    ...plansSection(`Plans on the partitioned log (B) at ${millions(last.events)} events`, report.plans),
    ...plansSection(`The same on the plain log (A)`, report.plainPlans),
  ].join('\n');
  return format(text, { ...(await resolveConfig(path)), filepath: path });
}

// Compiled to dist/bench/: this is the source tree's bench/results/.
const RESULTS = new URL('../../bench/results/', import.meta.url);

/** Overwrites bench/results/log-growth.json and .md (log-growth.quick.* for a --quick run, so a smoke run keeps the full figures). */
export async function saveGrowth(report: GrowthReport): Promise<{ files: string[]; markdown: string }> {
  await mkdir(RESULTS, { recursive: true });
  const name = report.options.quick ? 'log-growth.quick' : 'log-growth';
  const json = fileURLToPath(new URL(`${name}.json`, RESULTS));
  const md = fileURLToPath(new URL(`${name}.md`, RESULTS));
  const markdown = await growthMarkdown(report, md);
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(md, markdown);
  return { files: [json, md], markdown };
}
