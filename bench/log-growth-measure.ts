import type pg from 'pg';
import { EVENT_COLUMNS } from '../src/event-sourcing/store/event-rows.js';
import { PostgresEventStore } from '#event-sourcing/postgres';
import { median } from './figures.js';
import {
  chronicle,
  chronicleNewStreams,
  chronicleReader,
  drive,
  openWriters,
  rawReader,
  type LogReader,
} from './workloads.js';

export const APPEND_WRITERS = 8;
export const LOG_PAGE = 1_000;

/** The raw baseline of a stream load: the rows of `readStream`, selected through pg and left unprocessed. */
export const RAW_READ_STREAM = {
  name: 'bench_log_growth_read_stream',
  text: `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY version`,
};

export const appendContenders = [chronicle, chronicleNewStreams];

/** Single-event appends from APPEND_WRITERS writers for `seconds`: events/s. */
export async function measureAppends(
  pool: pg.Pool,
  contender: (typeof appendContenders)[number],
  seconds: number,
): Promise<number> {
  const writers = await openWriters(pool, contender, APPEND_WRITERS, 1);
  try {
    return (await drive(writers, 1, seconds)).eventsPerSecond;
  } finally {
    writers.forEach((w) => w.close());
  }
}

class CheckError extends Error {}

function expectStream(streamId: string, versions: number[], events: number): void {
  if (versions.length !== events || versions.some((v, i) => v !== i + 1)) {
    throw new CheckError(`stream ${streamId}: ${versions.length} events read, expected versions 1..${events}`);
  }
}

export type StreamLoader = (pool: pg.Pool, streamId: string) => Promise<number[]>;

export const streamLoaders: [string, StreamLoader][] = [
  [
    'raw SELECT',
    async (pool, streamId) => {
      const { rows } = await pool.query({ ...RAW_READ_STREAM, values: [streamId] });
      return rows.map((row) => row.version);
    },
  ],
  [
    'chronicle',
    async (pool, streamId) => (await new PostgresEventStore(pool).readStream(streamId)).map((e) => e.version),
  ],
];

/** One timed load, checked outside the clock: every version from 1 to `events`, in order. */
export async function timedLoad(loader: StreamLoader, pool: pg.Pool, streamId: string, events: number) {
  const start = performance.now();
  const versions = await loader(pool, streamId);
  const ms = performance.now() - start;
  expectStream(streamId, versions, events);
  return ms;
}

/** The median load time of each stream, loaded `loads` times, every loader in turn. */
export async function measureLoads(
  pool: pg.Pool,
  streams: string[],
  events: number,
  loads: number,
): Promise<Record<string, number>> {
  const times = new Map<string, number[]>(streamLoaders.map(([name]) => [name, []]));
  for (let round = 0; round < loads; round++) {
    for (const streamId of streams) {
      for (const [name, loader] of streamLoaders)
        times.get(name)!.push(await timedLoad(loader, pool, streamId, events));
    }
  }
  return Object.fromEntries([...times].map(([name, ms]) => [name, median(ms)]));
}

export const logReaders: LogReader[] = [rawReader, chronicleReader];

/** `pages` pages of LOG_PAGE events after `after`: events/s, each page checked outside the clock. */
export async function measureLogRead(pool: pg.Pool, reader: LogReader, after: number, pages: number) {
  let seconds = 0;
  let read = 0;
  for (let page = 0; page < pages; page++) {
    const start = performance.now();
    const { count, last } = await reader.page(pool, after, LOG_PAGE);
    seconds += (performance.now() - start) / 1000;
    if (count !== LOG_PAGE || !(last > after)) {
      throw new CheckError(`${reader.name}: a page after ${after} held ${count} events, last at ${last}`);
    }
    read += count;
    after = last;
  }
  return read / seconds;
}

/**
 * The plans of the store's own statements (those inside `chronicle_append` included) as
 * the app runs them, with EXPLAIN (ANALYZE, BUFFERS) figures: auto_explain reports each
 * as a notice on a pool of one connection of its own. The work runs six times and only
 * the last run's plans are kept: the plans the cache settles on.
 */
export async function explainStore(
  newPool: (max: number) => pg.Pool,
  work: (store: PostgresEventStore) => Promise<unknown>,
): Promise<string[]> {
  let plans: string[] = [];
  const pool = newPool(1);
  try {
    // The pool's one connection, set up here, then taken by the store's every statement.
    const client = await pool.connect();
    try {
      await client.query(`LOAD 'auto_explain'`);
      await client.query(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on;
        SET auto_explain.log_buffers = on; SET auto_explain.log_nested_statements = on;
        SET auto_explain.log_level = notice; SET client_min_messages = notice`);
      client.on('notice', (notice) => {
        if (/\bevents\b/.test(notice.message ?? '')) plans.push(notice.message!);
      });
    } finally {
      client.release();
    }
    const store = new PostgresEventStore(pool);
    for (let run = 0; run < 6; run++) {
      plans = [];
      await work(store);
    }
    return plans;
  } finally {
    await pool.end();
  }
}
