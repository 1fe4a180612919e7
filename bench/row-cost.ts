/**
 * The cost of the row, itemised (issue 21): W1 (single-event appends, 8 writers) and W2
 * (100-event appends, 8 writers) as raw SQL on the lean table, then on tables that add
 * Chronicle's columns, indexes and trigger one at a time, each step keeping the ones
 * before it. The step before the side table holds the row and indexes of `events`.
 *
 *   npm run bench:row-cost [-- --quick]
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { v7 as uuidv7 } from 'uuid';
import { leanTable, openBenchDatabase, type BenchDatabase } from './database.js';
import { median, number } from './figures.js';
import { leanContender, leanInsert, type ExtraColumn } from './lean.js';
import { drive, newEvent, openWriters, PAYLOAD_BYTES } from './workloads.js';

const args = process.argv.slice(2);
if (args.some((arg) => arg !== '--quick')) {
  console.error('usage: npm run bench:row-cost [-- --quick]');
  process.exit(2);
}
const quick = args.includes('--quick');
const WRITERS = 8;
const SECONDS = quick ? 1 : 3;
const REPETITIONS = quick ? 1 : 5;
const SEED_EVENTS = quick ? 10_000 : 100_000;

interface Step {
  feature: string;
  /** The table of the step before, filled with random (v4) event ids rather than time-ordered (v7) ones. */
  randomIds?: true;
  /** Statements that add the feature to table `t` (and what it needs beside it). */
  ddl: (t: string) => string[];
  /** The column it adds: how an append fills it, and how the seed does (SQL over `g`, the row number). */
  column?: ExtraColumn & { seed: string };
}

const STEPS: Step[] = [
  { feature: 'lean table', ddl: () => [] },
  {
    feature: '+ event_id uuid',
    ddl: (t) => [`ALTER TABLE ${t} ADD COLUMN event_id uuid NOT NULL`],
    // Time-ordered ids (uuidv7), as the app's IdGenerator makes them; PostgreSQL 15 seeds v4 ones.
    column: { name: 'event_id', value: () => uuidv7(), seed: 'gen_random_uuid()' },
  },
  { feature: '+ UNIQUE (event_id)', ddl: (t) => [`ALTER TABLE ${t} ADD UNIQUE (event_id)`] },
  {
    feature: '+ stream_type text',
    ddl: (t) => [`ALTER TABLE ${t} ADD COLUMN stream_type text NOT NULL`],
    column: { name: 'stream_type', value: () => 'BenchAccount', seed: `'BenchAccount'` },
  },
  {
    feature: '+ schema_version integer, CHECKs',
    ddl: (t) => [
      `ALTER TABLE ${t} ADD COLUMN schema_version integer NOT NULL CHECK (schema_version > 0)`,
      `ALTER TABLE ${t} ADD CHECK (version > 0)`,
    ],
    column: { name: 'schema_version', value: (e) => e.schemaVersion, seed: '1' },
  },
  {
    feature: '+ metadata jsonb (correlation and causation ids)',
    ddl: (t) => [`ALTER TABLE ${t} ADD COLUMN metadata jsonb NOT NULL`],
    column: {
      name: 'metadata',
      value: (e) => JSON.stringify(e.metadata),
      seed: `jsonb_build_object('correlationId', gen_random_uuid(), 'causationId', gen_random_uuid())`,
    },
  },
  {
    feature: '+ transaction_id xid8',
    ddl: (t) => [`ALTER TABLE ${t} ADD COLUMN transaction_id xid8 NOT NULL`],
    column: { name: 'transaction_id', value: { sql: 'pg_current_xact_id()' }, seed: 'pg_current_xact_id()' },
  },
  {
    feature: '+ events_stream_search (partial index)',
    ddl: (t) => [`CREATE INDEX ON ${t} (stream_id COLLATE "C", stream_type) WHERE version = 1`],
  },
  { feature: '(the same with random v4 event ids)', randomIds: true, ddl: () => [] },
  {
    feature: '+ event_ids side table and trigger (partitioned log)',
    ddl: (t) => [
      `CREATE TABLE ${t}_ids (event_id uuid PRIMARY KEY)`,
      `CREATE FUNCTION ${t}_record_ids() RETURNS trigger LANGUAGE plpgsql AS $fn$
       BEGIN INSERT INTO ${t}_ids (event_id) SELECT a.event_id FROM appended a; RETURN NULL; END $fn$`,
      `CREATE TRIGGER ${t}_unique_ids AFTER INSERT ON ${t} REFERENCING NEW TABLE AS appended
         FOR EACH STATEMENT EXECUTE FUNCTION ${t}_record_ids()`,
    ],
  },
];

const tableOf = (step: number) => `bench_row_cost_${step}`;
const columnsUpTo = (step: number): ExtraColumn[] =>
  STEPS.slice(0, step + 1).flatMap((s) =>
    !s.column
      ? []
      : s.column.name === 'event_id' && STEPS[step].randomIds
        ? [{ ...s.column, value: () => randomUUID() }]
        : [s.column],
  );
const seedsUpTo = (step: number) => STEPS.slice(0, step + 1).flatMap((s) => (s.column ? [s.column] : []));

/** Step `step`'s table, seeded in SQL with as many events as the main benchmark's log, 100 per stream. */
async function createTable(db: BenchDatabase, step: number): Promise<void> {
  const t = tableOf(step);
  await db.control.query(leanTable(t));
  for (const s of STEPS.slice(0, step + 1)) for (const statement of s.ddl(t)) await db.control.query(statement);
  const extras = seedsUpTo(step);
  const note = `repeat('x', ${PAYLOAD_BYTES - 105})`;
  await db.control.query(
    `INSERT INTO ${t} (stream_id, version, type, data${extras.map((c) => `, ${c.name}`).join('')})
     SELECT 'seed-' || (g / 100), g % 100 + 1, 'MoneyDeposited',
            jsonb_build_object('accountId', gen_random_uuid(), 'amount', 10000 + g % 90000, 'currency', 'EUR', 'note', ${note})
            ${extras.map((c) => `, ${c.seed}`).join('')}
       FROM generate_series(0, ${SEED_EVENTS - 1}) AS g`,
  );
  await db.control.query(`VACUUM (ANALYZE) ${t}`);
}

/** Bytes per row of the table (heap and TOAST) and of its indexes (side table included), after the runs. */
async function sizes(db: BenchDatabase, step: number) {
  const t = tableOf(step);
  const side = step === STEPS.length - 1 ? `+ pg_total_relation_size('${t}_ids')` : '';
  const { rows } = await db.control.query<{ rows: string; table: string; indexes: string }>(
    `SELECT count(*) AS rows, pg_table_size('${t}') AS table, pg_indexes_size('${t}') ${side} AS indexes FROM ${t}`,
  );
  const n = Number(rows[0].rows);
  return { tableBytesPerRow: Number(rows[0].table) / n, indexBytesPerRow: Number(rows[0].indexes) / n };
}

/**
 * WAL bytes per event of a 100-event append to step `step`'s table, from EXPLAIN (ANALYZE, WAL)
 * of the INSERT: the statement's own WAL, which other clients cannot add to. The first change
 * to a page after a checkpoint logs the whole page (a neighbour's CHECKPOINT can come at any
 * time), so of ten inserts in one rolled-back transaction the least of those that logged no
 * whole page counts (the least of all when every one did). AFTER triggers are not counted.
 */
async function walBytesPerEvent(db: BenchDatabase, step: number): Promise<number> {
  const probes: { bytes: number; fullPages: number }[] = [];
  await db.control.query('BEGIN');
  try {
    for (let probe = 0; probe < 10; probe++) {
      const events = Array.from({ length: 100 }, newEvent);
      const insert = leanInsert(tableOf(step), columnsUpTo(step), { id: `wal-probe-${probe}`, version: 0 }, events);
      const { rows } = await db.control.query<{
        'QUERY PLAN': [{ Plan: { 'WAL Bytes': number; 'WAL FPI': number } }];
      }>(`EXPLAIN (ANALYZE, WAL, FORMAT JSON) ${insert.text}`, insert.values);
      const plan = rows[0]['QUERY PLAN'][0].Plan;
      probes.push({ bytes: plan['WAL Bytes'] / events.length, fullPages: plan['WAL FPI'] });
    }
    const clean = probes.filter((p) => p.fullPages === 0);
    return Math.min(...(clean.length ? clean : probes).map((p) => p.bytes));
  } finally {
    await db.control.query('ROLLBACK');
  }
}

const db = await openBenchDatabase((line) => console.log(line));
const startedAt = new Date().toISOString();
const loadAtStart = os.loadavg()[0];
try {
  console.log(`row cost: ${STEPS.length} tables of ${number(SEED_EVENTS)} seeded events`);
  for (let step = 0; step < STEPS.length; step++) await createTable(db, step);
  const contenders = STEPS.map((s, step) => leanContender(s.feature, tableOf(step), columnsUpTo(step)));
  const runs = STEPS.map(() => ({ w1: [] as number[], w2: [] as number[] }));
  for (let rep = 1; rep <= REPETITIONS; rep++) {
    // Interleaved, the starting step rotating per repetition: drift and a neighbour's load hit every step alike.
    for (let k = 0; k < STEPS.length; k++) {
      const step = (k + rep - 1) % STEPS.length;
      for (const [workload, batch] of [
        ['w1', 1],
        ['w2', 100],
      ] as const) {
        await db.checkpoint();
        const pool = db.pool(WRITERS);
        const writers = await openWriters(pool, contenders[step], WRITERS, batch);
        try {
          const run = await drive(writers, batch, SECONDS);
          runs[step][workload].push(run.eventsPerSecond);
          console.log(
            `rep ${rep} ${workload} ${STEPS[step].feature.padEnd(52)} ${number(run.eventsPerSecond).padStart(7)} ev/s`,
          );
        } finally {
          writers.forEach((w) => w.close());
          await pool.end();
        }
      }
    }
  }
  const rows: ({
    feature: string;
    w1: number;
    w2: number;
    w1Runs: number[];
    w2Runs: number[];
    walBytesPerEvent: number;
  } & Awaited<ReturnType<typeof sizes>>)[] = [];
  for (let step = 0; step < STEPS.length; step++) {
    rows.push({
      feature: STEPS[step].feature,
      w1: median(runs[step].w1),
      w2: median(runs[step].w2),
      w1Runs: runs[step].w1,
      w2Runs: runs[step].w2,
      ...(await sizes(db, step)),
      walBytesPerEvent: await walBytesPerEvent(db, step),
    });
  }
  // The step a row adds to: the variant with random ids is a side branch, not a step of the ladder.
  const before = (n: number) => (STEPS[n - 1].randomIds ? n - 2 : n - 1);
  const ratio = (n: number, base: number) => `${(n / base).toFixed(2)}x`;
  const change = (n: number, before: number) =>
    `${n >= before ? '+' : ''}${(((n - before) / before) * 100).toFixed(0)}%`;
  const text = [
    '# The cost of the row',
    '',
    `${startedAt}${quick ? ' (`--quick`)' : ''}, \`npm run bench:row-cost\`: ${os.cpus().length} cores, ` +
      `load average ${loadAtStart.toFixed(1)} at the start, PostgreSQL ${db.server.version} ` +
      `(fsync=${db.server.settings.fsync}). Each step adds one feature of Chronicle's \`events\` to the table ` +
      `of the step before; raw SQL appends from ${WRITERS} writers (one multi-row INSERT per append), ` +
      `each cell the median of ${REPETITIONS} runs of ${SECONDS} s, steps interleaved, on ${number(SEED_EVENTS)} ` +
      `seeded events. W1: 1 event per append; W2: 100. Bytes per row: the table (heap and TOAST) and its ` +
      'indexes (the side table included) over its rows after the runs; WAL per event: EXPLAIN (ANALYZE, WAL) ' +
      "of a 100-event INSERT, the least of ten in a rolled-back transaction that logged no whole page (the trigger's insert into the side table not included).",
    '',
    '| step | W1 ev/s | vs lean | vs step before | W2 ev/s | vs lean | vs step before | table B/row | index B/row | WAL B/event (W2) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r, n) =>
        `| ${r.feature} | ${number(r.w1)} | ${ratio(r.w1, rows[0].w1)} | ${n ? change(r.w1, rows[before(n)].w1) : ''} | ` +
        `${number(r.w2)} | ${ratio(r.w2, rows[0].w2)} | ${n ? change(r.w2, rows[before(n)].w2) : ''} | ` +
        `${number(r.tableBytesPerRow)} | ${number(r.indexBytesPerRow)} | ${number(r.walBytesPerEvent)} |`,
    ),
    '',
  ].join('\n');
  const path = fileURLToPath(new URL(`../../bench/results/row-cost${quick ? '.quick' : ''}.md`, import.meta.url));
  const table = await format(text, { ...(await resolveConfig(path)), filepath: path });
  await writeFile(path, table);
  await writeFile(path.replace(/\.md$/, '.json'), `${JSON.stringify({ startedAt, quick, rows }, null, 2)}\n`);
  console.log(`\n${table}\nwritten: ${path}`);
} finally {
  await db.close();
}
