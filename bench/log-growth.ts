import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { createPartitionsAhead, enablePartitioning } from '#event-sourcing/postgres';
import { openBenchDatabase, type FreshDatabase } from './database.js';
import {
  APPEND_WRITERS,
  appendContenders,
  explainStore,
  LOG_PAGE,
  logReaders,
  measureAppends,
  measureLoads,
  measureLogRead,
} from './log-growth-measure.js';
import {
  LOG_KINDS,
  saveGrowth,
  type GrowthCell,
  type GrowthReport,
  type LogKind,
  type Step,
} from './log-growth-report.js';
import { BULK_STREAM_EVENTS, LogLayout, seedEvents, SPREAD_STREAM_EVENTS } from './log-growth-seed.js';
import { machineInfo } from './report.js';
import { rawReader } from './workloads.js';

const usage = 'usage: npm run bench:log-growth [-- --events N] [--partition-size N] [--quick]';
let parsed;
try {
  parsed = parseArgs({
    options: { events: { type: 'string' }, 'partition-size': { type: 'string' }, quick: { type: 'boolean' } },
  }).values;
} catch {
  console.error(usage);
  process.exit(2);
}
const count = (value: string | undefined, fallback: number) => {
  const n = value === undefined ? fallback : Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(usage);
    process.exit(2);
  }
  return n;
};
const quick = parsed.quick ?? false;
const events = count(parsed.events, quick ? 200_000 : 10_000_000);
// A tenth of the log per partition: the full log then spans about ten partitions, so that
// what each extra partition adds to a read is plain to see.
const partitionSize = count(parsed['partition-size'], Math.ceil(events / 10));
const options: GrowthReport['options'] = {
  events,
  partitionSize,
  quick,
  // A tenth, three tenths and all of the log: one step per decade and one between.
  steps: [...new Set([Math.round(events / 10), Math.round((events * 3) / 10), events])],
  repetitions: 2,
  appendSeconds: quick ? 1 : 3,
  appendWriters: APPEND_WRITERS,
  logPage: LOG_PAGE,
  logPages: quick ? 5 : 20,
  bulkLoads: quick ? 20 : 50,
  spreadLoads: quick ? 6 : 15,
};

const log = (line: string) => console.log(line);
const startedAt = new Date().toISOString();
const loadAtStart = os.loadavg()[0];
const layout = new LogLayout(events, options.steps);
const db = await openBenchDatabase(log);
interface Log {
  kind: LogKind;
  database: FreshDatabase;
  /** Seeding, VACUUM and partition upkeep: no statement timeout. */
  admin: pg.PoolClient;
  adminPool: pg.Pool;
}

async function openLog(kind: LogKind): Promise<Log> {
  const database = await db.freshDatabase([]);
  await database.dataSource.destroy(); // the benchmark talks to PostgreSQL through pg alone
  const adminPool = database.pool(1);
  try {
    const admin = await adminPool.connect();
    try {
      await admin.query('SET statement_timeout = 0');
      if (kind === 'partitioned') await enablePartitioning(admin, { size: partitionSize, ahead: 2 });
      return { kind, database, admin, adminPool };
    } catch (error) {
      admin.release();
      throw error;
    }
  } catch (error) {
    await adminPool.end();
    await database.close();
    throw error;
  }
}

const rowsOf = async (l: Log) =>
  Number((await l.admin.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0].n);
const headOf = async (l: Log) =>
  Number((await l.admin.query<{ n: string }>('SELECT coalesce(max(position), 0) AS n FROM events')).rows[0].n);
const bytesOf = async (l: Log) =>
  Number(
    (
      await l.admin.query<{ n: string }>(
        // pg_partition_tree has no rows for a plain table.
        `SELECT coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('events')),
                         pg_total_relation_size('events')) AS n`,
      )
    ).rows[0].n,
  );
const partitionsOf = async (l: Log) =>
  Number(
    (
      await l.admin.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_partition_tree('events') WHERE isleaf AND relid <> 'events'::regclass`,
      )
    ).rows[0].n,
  );

/** Each measurement of a step, both logs in turn (the order swapped every repetition). */
async function measureStep(logs: Log[], step: number): Promise<GrowthCell[]> {
  const cells = new Map<string, GrowthCell>();
  const record = (
    kind: LogKind,
    metric: GrowthCell['metric'],
    what: string,
    contender: string,
    unit: GrowthCell['unit'],
    value: number,
  ) => {
    const key = `${metric}/${what}/${contender}`;
    if (!cells.has(key)) cells.set(key, { metric, what, contender, unit, runs: { plain: [], partitioned: [] } });
    cells.get(key)!.runs[kind].push(value);
    log(
      `  ${kind.padEnd(11)} ${`${metric}: ${what}, ${contender}`.padEnd(52)} ${value.toFixed(unit === 'ms' ? 2 : 0)} ${unit}`,
    );
  };
  const heads = new Map<LogKind, number>();
  for (const l of logs) heads.set(l.kind, await headOf(l));
  const bulk = layout.bulkStreams(step, options.bulkLoads);
  const spread = layout.measuredAt(step).map((s) => s.id);

  const each = async (order: Log[], work: (l: Log, pool: pg.Pool) => Promise<void>) => {
    for (const l of order) {
      await db.checkpoint();
      const pool = l.database.pool(APPEND_WRITERS);
      try {
        await pool.query('SELECT 1'); // connect before any clock starts
        await work(l, pool);
      } finally {
        await pool.end();
      }
    }
  };
  // Untimed: what the reads touch is read once, so that no repetition pays for a cold cache alone.
  await each(logs, async (l, pool) => {
    await measureLoads(pool, bulk, BULK_STREAM_EVENTS, 1);
    await measureLoads(pool, spread, SPREAD_STREAM_EVENTS, 1);
    for (const after of [0, heads.get(l.kind)! - options.logPage * options.logPages]) {
      for (const reader of logReaders) await measureLogRead(pool, reader, after, options.logPages);
    }
  });

  for (let rep = 1; rep <= options.repetitions; rep++) {
    const order = rep % 2 ? logs : [...logs].reverse();
    for (const contender of appendContenders) {
      await each(order, async (l, pool) =>
        record(
          l.kind,
          'append',
          'single events',
          contender.name,
          'ev/s',
          await measureAppends(pool, contender, options.appendSeconds),
        ),
      );
    }
    await each(order, async (l, pool) => {
      for (const [streams, events, loads, what] of [
        [bulk, BULK_STREAM_EVENTS, 1, `${BULK_STREAM_EVENTS}-event stream`],
        [
          spread,
          SPREAD_STREAM_EVENTS,
          Math.ceil(options.spreadLoads / spread.length),
          `${number(SPREAD_STREAM_EVENTS)}-event stream spread over the log`,
        ],
      ] as const) {
        for (const [contender, ms] of Object.entries(await measureLoads(pool, streams, events, loads))) {
          record(l.kind, 'stream load', what, contender, 'ms', ms);
        }
      }
    });
    await each(order, async (l, pool) => {
      const nearHead = heads.get(l.kind)! - options.logPage * options.logPages;
      for (const [what, after] of [
        ['from position 0', 0],
        ['near the head', nearHead],
      ] as const) {
        for (const reader of logReaders) {
          record(
            l.kind,
            'log read',
            what,
            reader === rawReader ? 'raw SELECT' : reader.name,
            'ev/s',
            await measureLogRead(pool, reader, after, options.logPages),
          );
        }
      }
    });
  }
  return [...cells.values()];
}

const number = (n: number) => n.toLocaleString('en-US');

/** The store's statements whose plans show partition pruning, or its absence. */
async function plansOf(l: Log, step: number): Promise<GrowthReport['plans']> {
  const [bulkStream] = layout.bulkStreams(step, 1);
  const [spreadStream] = layout.measuredAt(step);
  const head = await headOf(l);
  const newPool = (max: number) => l.database.pool(max);
  return {
    [`readStream of a ${BULK_STREAM_EVENTS}-event stream`]: await explainStore(newPool, (s) =>
      s.readStream(bulkStream),
    ),
    [`readStream of a ${number(SPREAD_STREAM_EVENTS)}-event stream spread over the log`]: await explainStore(
      newPool,
      (s) => s.readStream(spreadStream.id),
    ),
    [`readLog(0, ${LOG_PAGE})`]: await explainStore(newPool, (s) => s.readLog(0, LOG_PAGE)),
    [`readLog(head - ${LOG_PAGE}, ${LOG_PAGE})`]: await explainStore(newPool, (s) =>
      s.readLog(head - LOG_PAGE, LOG_PAGE),
    ),
    'append of one event to an existing stream (the statements inside chronicle_append)': await explainStore(
      newPool,
      async (s) =>
        s.append({
          streamId: bulkStream,
          streamType: 'BenchAccount',
          expectedVersion: await s.streamVersion(bulkStream),
          events: [
            {
              id: randomUUID(),
              type: 'MoneyDeposited',
              schemaVersion: 1,
              data: { amount: 1 },
              metadata: { correlationId: randomUUID(), causationId: randomUUID() },
            },
          ],
        }),
    ),
  };
}

const logs: Log[] = [];
/** The logs' databases first: dropping them under their open connections would fail those. */
async function closeAll(): Promise<void> {
  for (const l of logs.splice(0)) {
    l.admin.release();
    await l.adminPool.end();
    await l.database.close();
  }
  await db.close();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: dropping the benchmark databases`);
    void closeAll()
      .catch(() => undefined)
      .finally(() => process.exit(130));
  });
}
try {
  log(
    `${number(events)} events in two databases, plain and partitioned in partitions of ${number(partitionSize)} positions ` +
      `(so that the full log spans about ${Math.ceil(events / partitionSize)} partitions); measured at ` +
      `${options.steps.map(number).join(', ')} events`,
  );
  for (const kind of LOG_KINDS) logs.push(await openLog(kind));
  const steps: Step[] = [];
  const loadAverageBetweenSteps: number[] = [];
  let seeded = 0;
  for (const step of options.steps) {
    const seedSeconds = {} as Step['seedSeconds'];
    const vacuumSeconds = {} as Step['vacuumSeconds'];
    log(`seeding both logs up to ${number(step)} events, side by side`);
    // Side by side: the seeding takes most of the run, and each log is seeded by one backend.
    await Promise.all(
      logs.map(async (l) => {
        let start = performance.now();
        await seedEvents(
          l.admin,
          layout,
          seeded + 1,
          step,
          async (chunk) => {
            // As the app's partition keeper would: partitions ready before the head reaches them.
            if (l.kind === 'partitioned') await createPartitionsAhead(l.admin, Math.ceil(chunk / partitionSize) + 1);
          },
          (line) => log(`  ${l.kind}: ${line}`),
        );
        seedSeconds[l.kind] = (performance.now() - start) / 1000;
        start = performance.now();
        // Hint bits and the visibility map set now, not by the first reader; statistics for the new size.
        await l.admin.query('VACUUM (ANALYZE) events');
        vacuumSeconds[l.kind] = (performance.now() - start) / 1000;
        log(
          `  ${l.kind}: seeded in ${seedSeconds[l.kind].toFixed(1)} s, VACUUM ANALYZE ${vacuumSeconds[l.kind].toFixed(1)} s`,
        );
      }),
    );
    seeded = step;
    const [plain, partitioned] = logs;
    const rows = await rowsOf(plain);
    const partitions = await partitionsOf(partitioned);
    const bytes = { plain: await bytesOf(plain), partitioned: await bytesOf(partitioned) };
    loadAverageBetweenSteps.push(os.loadavg()[0]);
    log(
      `step ${number(step)}: ${number(rows)} rows, ${partitions} partitions; ` +
        `plain ${Math.round(bytes.plain / 2 ** 20)} MiB, partitioned ${Math.round(bytes.partitioned / 2 ** 20)} MiB; ` +
        `load average ${os.loadavg()[0].toFixed(1)}`,
    );
    const cells = await measureStep(logs, step);
    steps.push({ events: step, rows, partitions, seedSeconds, vacuumSeconds, bytes, cells });
  }
  const last = options.steps.at(-1)!;
  log('plans of the store statements');
  const [plain, partitioned] = logs;
  const plans = await plansOf(partitioned, last);
  const plainPlans = await plansOf(plain, last);

  const report: GrowthReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    options,
    machine: { ...machineInfo(loadAtStart), loadAverageBetweenSteps },
    postgres: db.server,
    steps,
    plans,
    plainPlans,
  };
  const { files, markdown } = await saveGrowth(report);
  log(`\n${markdown}\nwritten: ${files.join(', ')}`);
  log(`took ${((Date.parse(report.finishedAt) - Date.parse(startedAt)) / 60_000).toFixed(1)} min`);
} finally {
  await closeAll();
}
