import type { EventBus } from '@nestjs/cqrs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Account } from '../src/contexts/accounts/domain/account.aggregate.js';
import { AggregateRepository } from '../src/event-sourcing/application/aggregate-repository.js';
import { IdGenerator } from '../src/event-sourcing/application/clock.js';
import type { NewEvent } from '../src/event-sourcing/store/event-store.js';
import { PostgresEventStore } from '../src/event-sourcing/store/postgres-event-store.js';
import { v7 as uuidv7 } from 'uuid';
import { nextAccountEvent, toNewEvent } from './account-events.js';
import { appEventCodec } from './codecs.js';
import type { BenchDatabase } from './database.js';
import { startApp, underGnuTime, type TimeReport } from './http-app.js';
import { APP_MAIN, CHRONICLE_APP } from './http.js';
import { readRss, sampleRss } from './memory-sampler.js';
import { number, verdict, type Report } from './report.js';

export const TARGETS = {
  idleBytes: 150 * 2 ** 20,
  underLoadBytes: 250 * 2 ** 20,
  /** Paging: RSS at the end of the log no more than this above RSS a tenth of the way. */
  pagingGrowthBytes: 25 * 2 ** 20,
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
  /** Events `GET /notifications` pages through. */
  logEvents: number;
  /** Events in the stream loaded for the retention check. */
  streamEvents: number;
}

export const memoryOptions = (quick: boolean): MemoryOptions => ({
  logEvents: quick ? 100_000 : 1_000_000,
  streamEvents: 10_000,
});

export interface PagingResult {
  events: number;
  pages: number;
  seconds: number;
  idleRssBytes: number;
  /** VmRSS of the app when the reader had read that share of the log. */
  marks: { share: number; rssBytes: number }[];
  peakRssBytes: number;
  gnuTime?: TimeReport;
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
  retention: RetentionResult;
}

const mb = (bytes: number) => `${number(bytes / 2 ** 20)} MB`;

/**
 * `GET /notifications` from position 0 to the end of a log of `events` rows, seeded inside
 * PostgreSQL, while the app's RSS is sampled: pages must pass through, not pile up.
 * Followers are off, so that the pages are all the app reads.
 */
async function pageNotifications(
  db: BenchDatabase,
  events: number,
  log: (line: string) => void,
): Promise<PagingResult> {
  const database = await db.freshDatabase([]);
  try {
    await database.dataSource.destroy();
    const start = performance.now();
    // 1,000-event streams of ~200-byte payloads, committed chunk by chunk as an app's log would be.
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

    const url = (database.dataSource.options as { url: string }).url;
    const app = await startApp(`${CHRONICLE_APP} (paging)`, APP_MAIN, {
      DATABASE_URL: url,
      RATE_LIMIT_PER_MINUTE: '0',
      NODE_ENV: 'production',
      FOLLOWERS: 'off',
    });
    try {
      const idleRssBytes = (await readRss(app.pid)).rssBytes;
      const sampler = sampleRss(app.pid);
      const marks: PagingResult['marks'] = [];
      const began = performance.now();
      let read = 0;
      let pages = 0;
      try {
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
          for (const share of MARKS.filter((s) => read >= s * events && !marks.some((m) => m.share === s))) {
            marks.push({ share, rssBytes: (await readRss(app.pid)).rssBytes });
          }
        }
      } finally {
        await sampler.stop();
      }
      const seconds = (performance.now() - began) / 1000;
      if (read !== events) throw new Error(`memory: GET /notifications gave ${read} of ${events} events`);
      const { peakBytes } = await sampler.stop();
      const gnuTime = await app.stop();
      return { events, pages, seconds, idleRssBytes, marks, peakRssBytes: peakBytes, ...(gnuTime ? { gnuTime } : {}) };
    } finally {
      await app.stop();
    }
  } finally {
    await database.close();
  }
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

export async function runMemory(
  db: BenchDatabase,
  options: MemoryOptions,
  log: (line: string) => void,
): Promise<MemoryResult> {
  const paging = await pageNotifications(db, options.logEvents, log);
  log(
    `memory: paged ${number(paging.events)} events in ${paging.seconds.toFixed(1)} s, RSS ` +
      paging.marks.map((m) => `${mb(m.rssBytes)} at ${m.share * 100}%`).join(', '),
  );
  const retention = await streamRetention(db, options.streamEvents);
  log(
    `memory: loading a ${number(retention.events)}-event stream keeps ${number(retention.retainedBytesPerLoad)} bytes ` +
      `per aggregate (its events take ${mb(retention.eventsHeapBytes)})`,
  );
  return { options, paging, retention };
}

/** Every memory target: the app idle and under W7 (from the W7 run), paging the log, loading a stream. */
export function memorySection(report: Report): string[] {
  const { paging, retention } = report.memory;
  const app = report.http.memory.find((m) => m.app === CHRONICLE_APP)!;
  const inPlace = report.http.memory.find((m) => m.app !== CHRONICLE_APP);
  const growth = paging.marks.at(-1)!.rssBytes - paging.marks[0].rssBytes;
  const share = retention.retainedBytesPerLoad / retention.eventsHeapBytes;
  const gnu = (time?: TimeReport) => (time ? mb(time.maxRssBytes) : 'no /usr/bin/time');
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
    `| \`GET /notifications\` through ${number(paging.events)} events: RSS at ` +
      `${paging.marks.map((m) => `${m.share * 100}%`).join(', ')} | ` +
      `${paging.marks.map((m) => mb(m.rssBytes)).join(', ')} | flat (growth from 10% to 100% under ` +
      `${mb(TARGETS.pagingGrowthBytes)}): ${verdict(growth < TARGETS.pagingGrowthBytes)} |`,
    `| loading a ${number(retention.events)}-event stream: heap kept per aggregate | ` +
      `${number(retention.retainedBytesPerLoad)} bytes | under ${TARGETS.retainedShare * 100}% of its events' ` +
      `${mb(retention.eventsHeapBytes)}: ${verdict(share < TARGETS.retainedShare)} |`,
    '',
    `- RSS: the app process's VmRSS from \`/proc/<pid>/status\`, sampled every 100 ms` +
      `${underGnuTime ? '; the app runs under `/usr/bin/time -v`, whose maximum RSS covers its whole life (start, seeding, warm-up, runs)' : ' (`/usr/bin/time` is not installed: no GNU time figures)'}`,
    '- idle: 3 s after the app first answered HTTP, before its accounts are opened',
    `- paging: \`GET /notifications?after=…&limit=${PAGE}\` from 0 to the end, one page at a time, on a log seeded inside ` +
      'PostgreSQL (INSERT … SELECT FROM generate_series, ~200-byte payloads) in a database of its own; the app started ' +
      `for it with FOLLOWERS=off; ${paging.pages} pages in ${paging.seconds.toFixed(1)} s ` +
      `(${number(paging.events / paging.seconds)} events/s), peak RSS ${mb(paging.peakRssBytes)}` +
      `${paging.gnuTime ? `, GNU time max RSS ${mb(paging.gnuTime.maxRssBytes)}` : ''}`,
    `- loading a stream: in the benchmark process, \`AggregateRepository.get\` of an Account of ` +
      `${number(retention.events)} events ${retention.loads} times, every aggregate kept; \`heapUsed\` after ` +
      '`global.gc()` before and after, divided by the loads (below 0: nothing measurable kept, the heap shrank by ' +
      'what the warm-up left for the GC); the events themselves weighed the same way (`readStream`, kept)',
    '',
  ];
}
