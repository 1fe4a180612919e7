import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import type { ServerInfo } from './database.js';
import { emmettSuffix, emmettTargetLine } from './emmett-report.js';
import { median, number } from './figures.js';
import { RAW_LEAN } from './lean.js';
import { RAW_SAME, RAW_SELECT, type Phases, type Run } from './workloads.js';
// example:start
import type { AccountLog } from './catch-up.js';
import {
  LOAD_CHRONICLE,
  LOAD_EMMETT,
  LOAD_ENCRYPTED,
  LOAD_LEAN,
  LOAD_RAW,
  LOAD_SNAPSHOTS,
  type LoadStreamResult,
} from './load-stream.js';
import { commandPathSection } from './command-path.js';
import { httpSection, type HttpResult } from './http.js';
import { memorySection, type MemoryResult } from './memory.js';
import { readReplicaSection, type ReadReplicaMixResult } from './read-replica.js';
import { transferMixSection, type TransferMixResult } from './transfer-mix.js';
// example:end

export type Kind = 'append' | 'batch' | 'log read' | 'catch-up' | 'command';

export interface Cell {
  kind: Kind;
  contender: string;
  writers: number;
  /** Events per append (per page for log reads, per transaction for catch-up rebuilds). */
  batch: number;
  runs: (Run & { waits?: Record<string, number>; phases?: Phases })[];
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
    // example:start
    catchUp: {
      accounts: number;
      eventsPerAccount: number;
      /** Events per append while seeding the Account log. */
      eventsPerAppend: number;
      /** Events per rebuild transaction (FOLLOWER_BATCH_SIZE). */
      batchSizes: number[];
      /** Rows per page of the raw SELECT. */
      page: number;
    };
    /** W3: Account streams of that many events, each loaded that many times per repetition per contender. */
    loadStream: {
      streams: { events: number; loads: number }[];
      snapshotEvery: number;
    };
    // example:end
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
  /** The other event stores' packages (bench/peers) and their installed versions. */
  peers: Record<string, string>;
  /** ratioToRaw: to raw SQL on a copy of `events` (or the raw SELECT); ratioToLean: to the lean table, the limit. */
  cells: (Cell & { eventsPerSecond: number; ratioToRaw: number; ratioToLean: number })[];
  // example:start
  /** The seeded Account log of the catch-up workload (in a database of its own), and how long seeding took. */
  catchUp: AccountLog & {
    /** Per repetition, the median of 2,000 bare round trips (`SELECT 1`) to the catch-up database, in µs. */
    roundTripMicros: number[];
  };
  /** W3, loading one stream: per stream and contender, the median of the per-repetition median load times. */
  loadStream: LoadStreamResult;
  /** W7, HTTP deposits end to end, and the app processes' memory. */
  http: HttpResult;
  memory: MemoryResult;
  /** Issue 22: the read-heavy mix without and with a streaming replica. */
  readReplicas: ReadReplicaMixResult;
  /** Issue 21: transfers requested against finished in a mixed load, and the transfer process's lag, at each rate. */
  transferMix: TransferMixResult[];
  // example:end
}

/** The machine the benchmark ran on, with the load average at its start and now. */
export function machineInfo(loadAtStart: number): Report['machine'] {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryBytes: os.totalmem(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    loadAverage: { atStart: loadAtStart, atEnd: os.loadavg()[0] },
  };
}

// Compiled to dist/bench/: this is the source tree's bench/results/.
const RESULTS = new URL('../../bench/results/', import.meta.url);

/** Each cell's median, and its ratios to both raw baselines in the same workload at the same concurrency. */
export function summarise(cells: Cell[]): Report['cells'] {
  const rate = (cell: Cell) => median(cell.runs.map((run) => run.eventsPerSecond));
  return cells.map((cell) => {
    const ratioTo = (...baselines: string[]) => {
      const base = cells.find(
        (c) => c.kind === cell.kind && c.writers === cell.writers && baselines.includes(c.contender),
      );
      return base ? rate(cell) / rate(base) : NaN;
    };
    return {
      ...cell,
      eventsPerSecond: rate(cell),
      ratioToRaw: ratioTo(RAW_SAME, RAW_SELECT),
      ratioToLean: ratioTo(RAW_LEAN),
    };
  });
}

/**
 * "7,684 ev/s (0.65x lean, 0.82x same table, 2.43x emmett)": a figure against both
 * baselines (leaving out the one it is) and, after them, `emmett` (emmettSuffix).
 */
export function withBaselines(figure: string, contender: string, toLean: number, toSame: number, emmett: string) {
  const notes = [
    ...(contender === RAW_LEAN || Number.isNaN(toLean) ? [] : [`${toLean.toFixed(2)}x lean`]),
    ...(contender === RAW_SAME || Number.isNaN(toSame) ? [] : [`${toSame.toFixed(2)}x same table`]),
  ].join(', ');
  return notes ? `${figure} (${notes}${emmett})` : figure;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function table(report: Report, kind: Kind, who: string): string[] {
  const cells = report.cells.filter((c) => c.kind === kind);
  const columns = [...new Set(cells.map((c) => c.writers))];
  const rows = [...new Set(cells.map((c) => c.contender))];
  const text = (contender: string, writers: number) => {
    const cell = cells.find((c) => c.contender === contender && c.writers === writers);
    if (!cell) return '';
    const emmett = emmettSuffix(cells, cell, (c) => c.eventsPerSecond);
    return withBaselines(`${number(cell.eventsPerSecond)} ev/s`, contender, cell.ratioToLean, cell.ratioToRaw, emmett);
  };
  return [
    `| contender | ${columns.map((w) => plural(w, who)).join(' | ')} |`,
    `| --- | ${columns.map(() => '---:').join(' | ')} |`,
    ...rows.map((contender) => `| ${contender} | ${columns.map((w) => text(contender, w)).join(' | ')} |`),
  ];
}

// example:start
const percent = (part: number, whole: number) => `${Math.round((part / whole) * 100)}%`;

/** Rebuilds and raw SELECT side by side, with where each rebuild's time went (averaged over its runs). */
function catchUpTable(report: Report): string[] {
  const cells = report.cells.filter((c) => c.kind === 'catch-up');
  const share = (cell: Cell, part: (phases: Phases) => number) =>
    cell.runs.every((run) => run.phases)
      ? percent(
          cell.runs.reduce((sum, run) => sum + part(run.phases!) / run.seconds, 0),
          cell.runs.length,
        )
      : '';
  // Average number of the database's connections running a statement: with one thing at a
  // time in flight, the share of the wall-clock time PostgreSQL was working.
  const working = (cell: Cell) =>
    percent(
      cell.runs.reduce(
        (sum, run) =>
          sum +
          Object.entries(run.waits ?? {})
            .filter(([what]) => what.startsWith('active'))
            .reduce((s, [, n]) => s + n, 0),
        0,
      ),
      cell.runs.length,
    );
  const cpu = (cell: Cell) => (cell.runs.reduce((sum, run) => sum + run.clientCpu, 0) / cell.runs.length).toFixed(2);
  return [
    '| contender | events per transaction / page | events/s | vs raw SELECT | in readLog | in handlers | rest | PostgreSQL working | benchmark process CPU |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...cells.map(
      (cell) =>
        `| ${cell.contender} | ${number(cell.batch)} | ${number(cell.eventsPerSecond)} | ${cell.ratioToRaw.toFixed(3)}x | ` +
        `${share(cell, (p) => p.readLog)} | ${share(cell, (p) => p.handlers)} | ${share(cell, (p) => p.rest)} | ` +
        `${working(cell)} | ${cpu(cell)} cores |`,
    ),
  ];
}

/** Load times by stream length, with the ratio to the raw SELECT of the same stream. */
function loadStreamTable(report: Report): string[] {
  const { streams, cells } = report.loadStream;
  const text = (contender: string, events: number) => {
    const cell = cells.find((c) => c.contender === contender && c.events === events);
    if (!cell) return '';
    const emmett = emmettSuffix(cells, cell, (c) => c.ms);
    return withBaselines(`${cell.ms.toFixed(2)} ms`, contender, cell.ratioToLean, cell.ratioToRaw, emmett);
  };
  return [
    `| contender | ${streams.map((s) => `${number(s.events)} events`).join(' | ')} |`,
    `| --- | ${streams.map(() => '---:').join(' | ')} |`,
    ...[LOAD_LEAN, LOAD_RAW, LOAD_CHRONICLE, LOAD_SNAPSHOTS, LOAD_ENCRYPTED, LOAD_EMMETT].map(
      (contender) => `| ${contender} | ${streams.map((s) => text(contender, s.events)).join(' | ')} |`,
    ),
  ];
}
// example:end

export async function markdown(report: Report): Promise<string> {
  const { machine, postgres, options } = report;
  // example:start
  const { catchUp, loadStream } = report;
  // example:end
  const { fsync, synchronous_commit, shared_buffers } = postgres.settings;
  const batch = report.cells.find((c) => c.kind === 'batch');
  const spread = (cell: Report['cells'][number]) => {
    const rates = cell.runs.map((run) => run.eventsPerSecond);
    return (Math.max(...rates) - Math.min(...rates)) / cell.eventsPerSecond;
  };
  const widest = report.cells.reduce((a, b) => (spread(b) > spread(a) ? b : a));
  const widestCell =
    widest.kind === 'catch-up'
      ? `catch-up, ${number(widest.batch)} events per ${widest.contender === RAW_SELECT ? 'page' : 'transaction'}`
      : `${plural(widest.writers, widest.kind === 'log read' ? 'reader' : 'writer')}` +
        `${widest.kind === 'batch' ? `, ${widest.batch}-event appends` : ''}`;
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
      `Peers (bench/peers): ${Object.entries(report.peers)
        .map(([name, version]) => `${name} ${version}`)
        .join(', ')}, each in a database of its own on the same server, its schema made by its own migration. ` +
      `The benchmark runs on the same machine as PostgreSQL; load average ${machine.loadAverage.atStart.toFixed(1)} ` +
      `at the start. Widest spread between the runs of a cell: ${(spread(widest) * 100).toFixed(0)}% ` +
      `of its median (${widest.contender}, ${widestCell}).`,
    '',
    '## Single-event appends',
    '',
    ...table(report, 'append', 'writer'),
    '',
    '- raw (lean): one prepared INSERT per append into the lean table (position, stream_id, version, type, data, ' +
      'created_at; primary key (stream_id, version), which is the expected-version check; unique position): the limit',
    '- raw (same table): one prepared INSERT per append into a copy of `events` (no function, no locks)',
    '- raw + table lock: BEGIN; LOCK TABLE … IN EXCLUSIVE MODE; INSERT; COMMIT (writers take turns, flush included)',
    "- chronicle: `PostgresEventStore.append` with the expected version, to the writer's own existing streams",
    '- chronicle + AES-GCM: the same, every payload sealed with AES-256-GCM (EVENT_ENCRYPTION_KEYS)',
    '- chronicle new streams: `PostgresEventStore.append`, a new stream per append',
    '- emmett, emmett new streams: `appendToStream` with `expectedStreamVersion`, likewise (one `emt_append_to_stream` ' +
      "call in a transaction), on a pg.Pool of the cell's size passed as `connectionOptions.pool`",
    emmettTargetLine(report.cells),
    '',
    `## ${batch?.batch ?? 100}-event appends`,
    '',
    ...table(report, 'batch', 'writer'),
    '',
    '- raw (lean): one prepared multi-row INSERT … VALUES per append into the lean table; ' +
      'raw (same table): one prepared INSERT … SELECT FROM unnest(…) per append into a copy of `events`; ' +
      'chronicle: `PostgresEventStore.append`; ' +
      'emmett: `appendToStream`',
    '',
    `## Reading a ${number(options.logEvents)}-event log in pages of ${number(options.logPage)}`,
    '',
    ...table(report, 'log read', 'reader'),
    '',
    '- raw (lean), raw (same table): `SELECT … WHERE position > $1 ORDER BY position LIMIT 1000` on the lean ' +
      'table or `events`, rows left unprocessed; ' +
      'chronicle: `PostgresEventStore.readLog` (adds the `pg_snapshot_xmin` filter and maps rows to events)',
    "- emmett: `readMessagesBatch` after the last page's position, as its consumers pull (without their pause " +
      'between batches), from its own log of as many events, seeded by one writer: paging in transaction id order ' +
      'after the last global position skips and repeats events where the two orders disagree',
    '',
    // example:start
    `## Projection catch-up: rebuilding account summaries from a ${number(catchUp.events)}-event log`,
    '',
    ...catchUpTable(report),
    '',
    `- the log: ${number(catchUp.accounts)} Account streams of ${catchUp.eventsPerAccount} events ` +
      `(AccountOpened, then MoneyDeposited and MoneyWithdrawn that never overdraw), appended through ` +
      `\`PostgresEventStore.append\` by ${catchUp.writers} writers, ${catchUp.eventsPerAppend} events per append to a random account, ` +
      `in a database of its own on the same server (seeded in ${catchUp.seedSeconds.toFixed(1)} s)`,
    '- chronicle rebuild: `rebuildView` of the account-summaries projection, as `npm run projections:rebuild` runs it ' +
      '(its real handlers and `@Follower` metadata, a TypeORM DataSource with the app options, the store on its pool): ' +
      'fresh tables, the log from position 0 in transactions of that many events, then the switch-over; ' +
      'events/s = events processed / wall-clock seconds of the whole rebuild. Each run is checked after it: one ' +
      'row per account, balances summing to deposits minus withdrawals, every account at its last version, ' +
      "the follower's checkpoint at the head of the log",
    '- raw SELECT: `SELECT … FROM events WHERE position > $1 ORDER BY position LIMIT 1000` through pg, ' +
      'the rows left unprocessed: the ceiling',
    "- in handlers: wall-clock time inside the projection's batch handler (rebuilding the event objects, folding " +
      'them per account, one INSERT and one UPDATE per batch); in readLog: inside `PostgresEventStore.readLog` ' +
      'while the handler is not running (each page is read while the page before is written); rest: neither ' +
      '(BEGIN, `SET LOCAL`, COMMIT, creating the tables and the switch-over)',
    `- a bare round trip to PostgreSQL (a prepared \`SELECT 1\` on a pooled connection) took ` +
      `${Math.round(median(catchUp.roundTripMicros))} µs (median): one per event caps a handler that ` +
      `issues a statement per event at ${number(1e6 / median(catchUp.roundTripMicros))} events/s`,
    "- PostgreSQL working: the average number of the database's connections running a statement, sampled every " +
      '100 ms; benchmark process CPU: its user + system time over the wall-clock time',
    '',
    '## Loading a stream',
    '',
    ...loadStreamTable(report),
    '',
    `- the streams: one Account stream of each length (AccountOpened, then MoneyDeposited and MoneyWithdrawn that ` +
      `never overdraw), appended through \`PostgresEventStore.append\` 10 events at a time with the app's codec ` +
      `(the owner sealed with the account's personal-data key), in a database of its own ` +
      `on the same server; one pooled connection for every contender`,
    `- each cell: the median of ${options.repetitions} repetitions, each the median of ` +
      `${loadStream.streams.map((s) => `${s.loads} loads of the ${number(s.events)}-event stream`).join(' and ')}, ` +
      'contenders and streams interleaved, after an untimed warm-up load of each',
    '- raw (same table): `SELECT … FROM events WHERE stream_id = $1 ORDER BY version` through pg, the rows left ' +
      'unprocessed; raw (lean): the same from a copy of the streams in the lean table',
    '- chronicle: `AggregateRepository.get` of `Account` without snapshots: one statement for the events and the ' +
      "account's personal-data key (`PostgresEventStore.streamLoader`), rebuilding each event (upcasting included) " +
      'and replaying it',
    `- chronicle + snapshots: the same with \`{ store: PostgresSnapshotStore, every: ${loadStream.snapshotEvery} }\`, ` +
      `from a snapshot at version ${loadStream.streams.map((s) => number(s.snapshotVersion)).join(' and ')} ` +
      `(the last multiple of ${loadStream.snapshotEvery}): the snapshot and the ` +
      `${loadStream.streams.map((s) => s.events - s.snapshotVersion).join(' and ')} events after it, in one statement`,
    '- chronicle + AES-GCM: as chronicle, from a copy of the stream whose every payload is sealed with AES-256-GCM ' +
      '(EVENT_ENCRYPTION_KEYS), so each event is decrypted before it is rebuilt',
    "- emmett: `aggregateStream` (`readStream`, then an `evolve` that sums the amounts), as Emmett's " +
      '`CommandHandler` loads state, from a copy of the stream in its store; on its own pool of one connection',
    "- every load is checked outside the clock: the balance and version equal the raw rows' sum and count " +
      '(and what the seeder wrote); a mismatch stops the benchmark',
    '',
    ...commandPathSection(report.cells),
    ...httpSection(report.http),
    ...memorySection(report.memory, report.http),
    ...readReplicaSection(report.readReplicas),
    ...transferMixSection(report.transferMix),
    // example:end
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
