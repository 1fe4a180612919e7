import type { EventBus } from '@nestjs/cqrs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Account } from '../src/contexts/accounts/domain/account.aggregate.js';
import { AggregateRepository, IdGenerator, type NewEvent } from '#event-sourcing';
import { PostgresEventStore } from '#event-sourcing/postgres';
import { v7 as uuidv7 } from 'uuid';
import { nextAccountEvent, toNewEvent } from './account-events.js';
import { appEventCodec } from './codecs.js';
import type { BenchDatabase, FreshDatabase } from './database.js';
import { startApp, underGnuTime, type RunningApp, type TimeReport } from './http-app.js';
import { APP_MAIN, CHRONICLE_APP, type HttpResult } from './http.js';
import { heapProbe, readRss, sampleRss, type HeapAfterGc } from './memory-sampler.js';
import { number, verdict } from './figures.js';

export const TARGETS = {
  idleBytes: 150 * 2 ** 20,
  underLoadBytes: 250 * 2 ** 20,
  /**
   * Reading the log (paging, a follower): heap used after a full GC at the end of the log
   * no more than this above the same a tenth of the way.
   */
  readingHeapGrowthBytes: 5 * 2 ** 20,
  /** Loading a stream: what stays reachable per loaded aggregate, as a share of what its events take. */
  retainedShare: 0.01,
};
const PAGE = 1000;
const SEED_CHUNK = 100_000;
const MARKS = [0.1, 0.5, 1];
// Enough that leftovers of a GC cycle (±0.5 MB) are small beside one stream's events kept per load.
const LOADS = 20;
const STALL_MS = 300_000;

export interface MemoryOptions {
  /** Events `GET /notifications` and the followers read through. */
  logEvents: number;
  /** Events in the stream loaded for the retention check. */
  streamEvents: number;
}

export const memoryOptions = (quick: boolean): MemoryOptions => ({
  logEvents: quick ? 100_000 : 1_000_000,
  streamEvents: 10_000,
});

/** The app's memory when its reader had read `share` of the log. */
export interface ReadingMark {
  share: number;
  /** VmRSS before the probe's GCs (`heap.rss` is after them). */
  rssBytes: number;
  heap: HeapAfterGc;
}

/** The app reading a whole log while its memory is sampled. */
export interface ReadingResult {
  events: number;
  seconds: number;
  marks: ReadingMark[];
  peakRssBytes: number;
  gnuTime?: TimeReport;
}

export interface PagingResult extends ReadingResult {
  pages: number;
  /** Heap after a full GC once the app answered, before the first page. */
  idleHeap: HeapAfterGc;
}

export interface FollowingResult extends ReadingResult {
  /** The followers that read the log, each from position 0. */
  followers: string[];
}

export interface RetentionResult {
  events: number;
  loads: number;
  /** Heap still used, after a full GC, per Account loaded and kept. */
  retainedBytesPerLoad: number;
  /** Heap the stream's events take when they are kept: what a leak would retain per load. */
  eventsHeapBytes: number;
}

export interface MemoryResult {
  options: MemoryOptions;
  paging: PagingResult;
  following: FollowingResult;
  retention: RetentionResult;
}

const mb = (bytes: number) => `${number(bytes / 2 ** 20)} MB`;
// Heap after GC moves by tenths of a MB where RSS moves by MBs.
const heapMb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const heapGrowth = (reading: ReadingResult) => reading.marks.at(-1)!.heap.heapUsed - reading.marks[0].heap.heapUsed;

/** 1,000-event streams of ~200-byte payloads, committed chunk by chunk as an app's log would be. */
async function seedNotes(database: FreshDatabase, events: number, log: (line: string) => void): Promise<void> {
  const start = performance.now();
  for (let from = 0; from < events; from += SEED_CHUNK) {
    await database.control.query(
      `INSERT INTO events (event_id, stream_id, stream_type, version, type, schema_version, data, metadata,
                           recorded_at, transaction_id)
       SELECT gen_random_uuid(), 'notes-' || n / 1000, 'BenchNotes', n % 1000 + 1, 'NoteTaken', 1,
              jsonb_build_object('n', n, 'note', repeat('x', 180)),
              jsonb_build_object('correlationId', gen_random_uuid(), 'causationId', gen_random_uuid()),
              now(), pg_current_xact_id()
         FROM generate_series($1::integer, $2::integer) AS n`,
      [from, Math.min(from + SEED_CHUNK, events) - 1],
    );
  }
  await database.control.query('VACUUM (ANALYZE) events');
  log(`memory: ${number(events)} events seeded in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

/**
 * Seeds a log of `events` rows in a database of its own, starts the app on it with the heap
 * probe preloaded and `env`, and lets `read` drive it: `progress(read)` takes a mark (RSS, then
 * heap after a full GC) each time the reader passes 10%, 50% and 100% of the log.
 */
async function readWhileSampled<T>(
  db: BenchDatabase,
  events: number,
  name: string,
  env: Record<string, string>,
  log: (line: string) => void,
  read: (
    app: RunningApp,
    database: FreshDatabase,
    progress: (read: number) => Promise<void>,
    probe: () => Promise<HeapAfterGc>,
  ) => Promise<T>,
): Promise<ReadingResult & { read: T }> {
  const database = await db.freshDatabase([]);
  const dir = await mkdtemp(join(tmpdir(), 'chronicle-bench-heap-'));
  try {
    await database.dataSource.destroy();
    await seedNotes(database, events, log);
    const probe = heapProbe(dir);
    const url = (database.dataSource.options as { url: string }).url;
    const app = await startApp(`${CHRONICLE_APP} (${name})`, APP_MAIN, {
      DATABASE_URL: url,
      RATE_LIMIT_PER_MINUTE: '0',
      NODE_ENV: 'production',
      ...env,
      ...probe.env,
    });
    try {
      const sampler = sampleRss(app.pid);
      const marks: ReadingMark[] = [];
      const began = performance.now();
      let result: T;
      try {
        result = await read(
          app,
          database,
          async (read) => {
            for (const share of MARKS.filter((s) => read >= s * events && !marks.some((m) => m.share === s))) {
              const { rssBytes } = await readRss(app.pid);
              marks.push({ share, rssBytes, heap: await probe.read(app.pid) });
            }
          },
          () => probe.read(app.pid),
        );
      } finally {
        await sampler.stop();
      }
      const seconds = (performance.now() - began) / 1000;
      if (marks.length !== MARKS.length) throw new Error(`memory: the ${name} reader stopped short of the log's end`);
      const { peakBytes } = await sampler.stop();
      const gnuTime = await app.stop();
      return { events, seconds, marks, peakRssBytes: peakBytes, ...(gnuTime ? { gnuTime } : {}), read: result };
    } finally {
      await app.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await database.close();
  }
}

/**
 * `GET /notifications` from position 0 to the end of the log: pages must pass through, not
 * pile up. Followers are off, so that the pages are all the app reads.
 */
async function pageNotifications(
  db: BenchDatabase,
  events: number,
  log: (line: string) => void,
): Promise<PagingResult> {
  const { read, ...reading } = await readWhileSampled(
    db,
    events,
    'paging',
    { FOLLOWERS: 'off' },
    log,
    async (app, _database, progress, probe) => {
      const idleHeap = await probe();
      const began = performance.now();
      let read = 0;
      let pages = 0;
      for (let after = 0; ; pages++) {
        const response = await fetch(`${app.url}/notifications?after=${after}&limit=${PAGE}`);
        if (response.status !== 200) throw new Error(`GET /notifications answered ${response.status}`);
        const page = (await response.json()) as { items: unknown[]; next: number };
        if (page.items.length === 0) {
          if (read >= events) break;
          // The log hides events younger than the oldest transaction still open on the server
          // (docs/ARCHITECTURE.md): a follower waits for them, and so does this reader.
          if (performance.now() - began > STALL_MS) throw new Error(`memory: the log stalled at ${read} events`);
          await sleep(100);
          continue;
        }
        read += page.items.length;
        after = page.next;
        await progress(read);
      }
      if (read !== events) throw new Error(`memory: GET /notifications gave ${read} of ${events} events`);
      return { idleHeap, pages };
    },
  );
  return { ...reading, idleHeap: read.idleHeap, pages: read.pages };
}

/**
 * The app started with its followers on, on a log none of them has read: each catches up
 * from position 0 in batches of FOLLOWER_BATCH_SIZE, and the slowest one's checkpoint is
 * the progress. The log's events are of a type no follower handles, so the reading is
 * what is measured, not the views' rows.
 */
async function followLog(db: BenchDatabase, events: number, log: (line: string) => void): Promise<FollowingResult> {
  const { read: followers, ...reading } = await readWhileSampled(
    db,
    events,
    'following',
    {},
    log,
    async (_app, database, progress) => {
      const { rows: last } = await database.control.query<{ max: string }>('SELECT max(position) FROM events');
      // Positions 1 to `events`: a checkpoint is then the count of events read.
      if (Number(last[0].max) !== events) throw new Error(`memory: the log ends at ${last[0].max}, not ${events}`);
      let moved = { at: performance.now(), read: 0 };
      for (;;) {
        const { rows } = await database.control.query<{ name: string; position: string }>(
          'SELECT name, position FROM followers',
        );
        const read = rows.length > 0 ? Math.min(...rows.map((row) => Number(row.position))) : 0;
        await progress(read);
        if (rows.length > 0 && read >= events) return rows.map((row) => row.name).sort();
        if (read > moved.read) moved = { at: performance.now(), read };
        if (performance.now() - moved.at > STALL_MS) throw new Error(`memory: the followers stalled at ${read} events`);
        await sleep(100);
      }
    },
  );
  return { ...reading, followers };
}

/** One Account stream of `events` events, 10 per append, as the app stores them (W3 seeds the same, plus copies). */
async function seedAccount(store: PostgresEventStore, events: number): Promise<{ id: string; balance: number }> {
  const id = uuidv7();
  const account = { owner: 'Owner of the retention check', version: 0, balance: 0 };
  while (account.version < events) {
    const expectedVersion = account.version;
    const correlationId = uuidv7();
    const batch: NewEvent[] = [];
    for (let n = Math.min(10, events - account.version); n > 0; n--, account.version++) {
      batch.push(toNewEvent(nextAccountEvent(account), correlationId));
    }
    await store.append({ streamId: id, streamType: Account.streamType, expectedVersion, events: batch });
  }
  return { id, balance: account.balance };
}

// Loading never publishes.
const eventBus = { publish: () => undefined, publishAll: () => undefined } as unknown as EventBus;

/**
 * Loads an Account of `events` events several times, keeping each aggregate, and weighs
 * the heap after a full GC before and after: the events must be garbage once the
 * aggregate is built. Needs `node --expose-gc`.
 */
async function streamRetention(db: BenchDatabase, events: number): Promise<RetentionResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the memory workload needs node --expose-gc (npm run bench passes it)');
  const heapUsed = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const database = await db.freshDatabase([]);
  const pool = database.pool(1);
  try {
    await database.dataSource.destroy();
    const store = new PostgresEventStore(pool, { codec: appEventCodec(pool, false) });
    const stream = await seedAccount(store, events);
    const repository = new AggregateRepository(Account, store, eventBus, new IdGenerator(), 0);
    // Warm-up: prepared statements, the owner's key, compiled code.
    for (let n = 0; n < 2; n++) await repository.get(stream.id);
    const before = heapUsed();
    const kept: Account[] = [];
    for (let n = 0; n < LOADS; n++) kept.push(await repository.get(stream.id));
    const after = heapUsed();
    const stored = await store.readStream(stream.id);
    const withEvents = heapUsed();
    // Also what keeps `kept` and `stored` reachable until the heap has been weighed.
    const wrong = kept.find((account) => account.version !== events || account.balance !== stream.balance);
    if (wrong || stored.length !== events) throw new Error(`memory: the ${events}-event stream did not load right`);
    return {
      events,
      loads: LOADS,
      retainedBytesPerLoad: (after - before) / LOADS,
      eventsHeapBytes: withEvents - after,
    };
  } finally {
    await pool.end();
    await database.close();
  }
}

const marksLine = (reading: ReadingResult) =>
  reading.marks
    .map((m) => `${heapMb(m.heap.heapUsed)} heap after GC (RSS ${mb(m.rssBytes)}) at ${m.share * 100}%`)
    .join(', ');

export async function runMemory(
  db: BenchDatabase,
  options: MemoryOptions,
  log: (line: string) => void,
): Promise<MemoryResult> {
  const paging = await pageNotifications(db, options.logEvents, log);
  log(`memory: paged ${number(paging.events)} events in ${paging.seconds.toFixed(1)} s: ${marksLine(paging)}`);
  const following = await followLog(db, options.logEvents, log);
  log(
    `memory: ${following.followers.length} followers read ${number(following.events)} events in ` +
      `${following.seconds.toFixed(1)} s: ${marksLine(following)}`,
  );
  const retention = await streamRetention(db, options.streamEvents);
  log(
    `memory: loading a ${number(retention.events)}-event stream keeps ${number(retention.retainedBytesPerLoad)} bytes ` +
      `per aggregate (its events take ${mb(retention.eventsHeapBytes)})`,
  );
  return { options, paging, following, retention };
}

/** Table rows for a reader of the whole log: heap after GC, judged, then RSS for what the machine pays. */
function readingRows(what: string, reading: ReadingResult): string[] {
  const shares = reading.marks.map((m) => `${m.share * 100}%`).join(', ');
  const growth = heapGrowth(reading);
  return [
    `| ${what} through ${number(reading.events)} events: heap used after full GC at ${shares} | ` +
      `${reading.marks.map((m) => heapMb(m.heap.heapUsed)).join(', ')} | flat (from 10% to 100% under ` +
      `+${mb(TARGETS.readingHeapGrowthBytes)}; measured ${growth < 0 ? '' : '+'}${heapMb(growth)}): ` +
      `${verdict(growth < TARGETS.readingHeapGrowthBytes)} |`,
    `| ${what}: RSS before / after that GC | ` +
      `${reading.marks.map((m) => `${mb(m.rssBytes)} / ${mb(m.heap.rss)}`).join(', ')} | |`,
  ];
}

/** Every memory target: the app idle and under W7 (from the W7 run), reading the log, loading a stream. */
export function memorySection(memory: MemoryResult, http: HttpResult): string[] {
  const { paging, following, retention } = memory;
  const app = http.memory.find((m) => m.app === CHRONICLE_APP)!;
  const inPlace = http.memory.find((m) => m.app !== CHRONICLE_APP);
  const share = retention.retainedBytesPerLoad / retention.eventsHeapBytes;
  const gnu = (time?: TimeReport) => (time ? mb(time.maxRssBytes) : 'no /usr/bin/time');
  const rest = (reading: ReadingResult) => {
    const end = reading.marks.at(-1)!.heap;
    return (
      `${reading.seconds.toFixed(1)} s (${number(reading.events / reading.seconds)} events/s), peak RSS ` +
      `${mb(reading.peakRssBytes)}${reading.gnuTime ? `, GNU time max RSS ${mb(reading.gnuTime.maxRssBytes)}` : ''}; ` +
      `after GC at 100%: V8 heap reserved ${heapMb(end.heapTotal)}, external ${heapMb(end.external)}, ` +
      `array buffers ${heapMb(end.arrayBuffers)}`
    );
  };
  return [
    '## Memory',
    '',
    '| what | measured | target |',
    '| --- | ---: | --- |',
    `| chronicle idle after start (RSS) | ${mb(app.idleRssBytes)} | <= ${mb(TARGETS.idleBytes)}: ${verdict(app.idleRssBytes <= TARGETS.idleBytes)} |`,
    `| chronicle under W7 (peak RSS sampled) | ${mb(app.peakUnderLoadBytes)} | <= ${mb(TARGETS.underLoadBytes)}: ${verdict(app.peakUnderLoadBytes <= TARGETS.underLoadBytes)} |`,
    `| chronicle W7 process, whole life (GNU time max RSS) | ${gnu(app.gnuTime)} | |`,
    ...(inPlace
      ? [
          `| in-place UPDATE app: idle / under W7 / GNU time max RSS | ` +
            `${mb(inPlace.idleRssBytes)} / ${mb(inPlace.peakUnderLoadBytes)} / ${gnu(inPlace.gnuTime)} | for comparison |`,
        ]
      : []),
    ...readingRows('`GET /notifications`', paging),
    ...readingRows('followers catching up', following),
    `| loading a ${number(retention.events)}-event stream: heap kept per aggregate | ` +
      `${number(retention.retainedBytesPerLoad)} bytes | under ${TARGETS.retainedShare * 100}% of its events' ` +
      `${mb(retention.eventsHeapBytes)}: ${verdict(share < TARGETS.retainedShare)} |`,
    '',
    `- RSS: the app process's VmRSS from \`/proc/<pid>/status\`, sampled every 100 ms` +
      `${underGnuTime ? '; the app runs under `/usr/bin/time -v`, whose maximum RSS covers its whole life (start, seeding, warm-up, runs)' : ' (`/usr/bin/time` is not installed: no GNU time figures)'}`,
    '- idle: 3 s after the app first answered HTTP, before its accounts are opened',
    '- heap used after full GC: the app reading the log runs with `bench/heap-probe.ts` preloaded (`NODE_OPTIONS=' +
      "'--expose-gc --import …'`; src/ has no hook), which on SIGUSR2 runs `gc()` twice and reports " +
      '`process.memoryUsage()`; RSS is read just before. RSS counts garbage not yet collected and heap V8 keeps ' +
      'for later, so the heap after GC is what tells memory kept from memory in passing',
    `- paging: \`GET /notifications?after=…&limit=${PAGE}\` from 0 to the end, one page at a time, on a log seeded inside ` +
      'PostgreSQL (INSERT … SELECT FROM generate_series, ~200-byte payloads) in a database of its own; the app started ' +
      `for it with FOLLOWERS=off; heap after GC before the first page ${heapMb(paging.idleHeap.heapUsed)}; ` +
      `${paging.pages} pages in ${rest(paging)}`,
    `- followers: the same log in another database, the app started with its followers on ` +
      `(${following.followers.join(', ')}), each from position 0 in batches of FOLLOWER_BATCH_SIZE (500); no ` +
      `follower handles the log's event type, so this weighs the reading, not the views' rows; the slowest ` +
      `checkpoint is the progress; ${rest(following)}`,
    `- loading a stream: in the benchmark process, \`AggregateRepository.get\` of an Account of ` +
      `${number(retention.events)} events ${retention.loads} times, every aggregate kept; \`heapUsed\` after ` +
      '`global.gc()` before and after, divided by the loads (below 0: nothing measurable kept, the heap shrank by ' +
      'what the warm-up left for the GC); the events themselves weighed the same way (`readStream`, kept)',
    '',
  ];
}
