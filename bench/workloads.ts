import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import os from 'node:os';
import type pg from 'pg';
import type { NewEvent } from '#event-sourcing';
import { PostgresEventStore } from '#event-sourcing/postgres';
import { appEventCodec } from './codecs.js';
import { RAW_TABLE } from './database.js';

export const PAYLOAD_BYTES = 200;
const STREAM_TYPE = 'BenchAccount';
// Enough that a writer seldom appends to the stream it just wrote, few enough to create
// them all in the untimed warm-up.
const STREAMS_PER_WRITER = 16;

const NOTE = 'x'.repeat(
  PAYLOAD_BYTES - JSON.stringify({ accountId: randomUUID(), amount: 10_000, currency: 'EUR', note: '' }).length,
);

export function newEvent(): NewEvent {
  return {
    // Time-ordered, as the app's IdGenerator makes them: a random (v4) id would land on a random
    // leaf page of UNIQUE (event_id) and cost every contender on `events` more than the app pays.
    id: uuidv7(),
    type: 'MoneyDeposited',
    schemaVersion: 1,
    // Fixed-width fields: every payload is exactly PAYLOAD_BYTES of JSON.
    data: { accountId: randomUUID(), amount: 10_000 + Math.floor(Math.random() * 90_000), currency: 'EUR', note: NOTE },
    metadata: { correlationId: randomUUID(), causationId: randomUUID() },
  };
}

export interface Stream {
  id: string;
  version: number;
}

export interface Writer {
  append(): Promise<void>;
  close(): void;
}

/** Where a contender runs: the benchmark's database unless it is a peer with a schema of its own. */
export interface Database {
  /** A connection outside the measured pools, for wait sampling. */
  control: pg.Client;
  pool(max: number): pg.Pool;
}

export interface Contender {
  name: string;
  database?: Database;
  /** Sets up one writer: its connection, its streams, its prepared statements. */
  open(pool: pg.Pool, batch: number): Promise<Writer>;
}

/** A writer that appends `batch` events at a time to one of its own streams, or to a new stream each time. */
export async function writer(
  batch: number,
  streams: 'own' | 'new',
  write: (stream: Stream, events: NewEvent[]) => Promise<unknown>,
  close = (): void => undefined,
): Promise<Writer> {
  const own = Array.from({ length: STREAMS_PER_WRITER }, () => ({ id: `bench-${randomUUID()}`, version: 0 }));
  const next =
    streams === 'own'
      ? () => own[Math.floor(Math.random() * own.length)]
      : () => ({ id: `bench-${randomUUID()}`, version: 0 });
  const append = async (stream: Stream) => {
    await write(stream, Array.from({ length: batch }, newEvent));
    stream.version += batch;
  };
  // Untimed: connects, prepares the statements and creates the streams before the clock starts.
  for (const stream of own) await append(stream);
  return { append: () => append(next()), close };
}

const COLUMNS =
  'event_id, stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at, transaction_id';
const RAW_INSERT_ONE = {
  name: 'bench_raw_insert_one',
  text: `INSERT INTO ${RAW_TABLE} (${COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), pg_current_xact_id())`,
};
// Arrays rather than a VALUES list: one prepared statement whatever the batch size.
const RAW_INSERT_MANY = {
  name: 'bench_raw_insert_many',
  text: `INSERT INTO ${RAW_TABLE} (${COLUMNS})
         SELECT u.event_id, $1, $2, $3 + u.n::integer, u.type, u.schema_version, u.data, u.metadata,
                now(), pg_current_xact_id()
           FROM unnest($4::uuid[], $5::text[], $6::integer[], $7::jsonb[], $8::jsonb[])
                WITH ORDINALITY AS u(event_id, type, schema_version, data, metadata, n)`,
};

function rawInsert(stream: Stream, events: NewEvent[]): pg.QueryConfig {
  if (events.length === 1) {
    const [e] = events;
    const values = [e.id, stream.id, STREAM_TYPE, stream.version + 1, e.type, e.schemaVersion];
    return { ...RAW_INSERT_ONE, values: [...values, JSON.stringify(e.data), JSON.stringify(e.metadata)] };
  }
  return {
    ...RAW_INSERT_MANY,
    values: [
      stream.id,
      STREAM_TYPE,
      stream.version,
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => e.schemaVersion),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => JSON.stringify(e.metadata)),
    ],
  };
}

/** Raw SQL on a copy of Chronicle's own `events` table (the lean baseline is bench/lean.ts). */
export const RAW_SAME = 'raw (same table)';

export const raw: Contender = {
  name: RAW_SAME,
  async open(pool, batch) {
    const client = await pool.connect();
    return writer(
      batch,
      'own',
      (stream, events) => client.query(rawInsert(stream, events)),
      () => client.release(),
    );
  },
};

/** The seed library's answer: positions commit in order because writers take turns, flush included. */
export const rawTableLock: Contender = {
  name: 'raw + table lock',
  async open(pool, batch) {
    const client = await pool.connect();
    const write = async (stream: Stream, events: NewEvent[]) => {
      await client.query('BEGIN');
      try {
        await client.query(`LOCK TABLE ${RAW_TABLE} IN EXCLUSIVE MODE`);
        await client.query(rawInsert(stream, events));
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    };
    return writer(batch, 'own', write, () => client.release());
  },
};

function chronicleContender(name: string, streams: 'own' | 'new', encrypted = false): Contender {
  return {
    name,
    open(pool, batch) {
      const store = new PostgresEventStore(pool, { codec: appEventCodec(pool, encrypted) });
      return writer(batch, streams, (stream, events) =>
        store.append({ streamId: stream.id, streamType: STREAM_TYPE, expectedVersion: stream.version, events }),
      );
    },
  };
}

export const chronicle = chronicleContender('chronicle', 'own');
export const chronicleNewStreams = chronicleContender('chronicle new streams', 'new');
export const chronicleEncrypted = chronicleContender('chronicle + AES-GCM', 'own', true);

export interface Run {
  eventsPerSecond: number;
  events: number;
  seconds: number;
  /** The benchmark process's own CPU, in cores: near 1 means the client, not PostgreSQL, sets the pace. */
  clientCpu: number;
  /** Every process's CPU, in cores: near the machine's count means the run was CPU-bound (or had company). */
  machineCpu: number;
}

/** The baseline of a read workload: rows selected and left unprocessed (`raw` is the append workloads' one). */
export const RAW_SELECT = 'raw SELECT';

/** Where a rebuild's time went: inside `readLog`, inside the handlers (by event type), and the rest. */
export interface Phases {
  readLog: number;
  handlers: number;
  /** Transactions (BEGIN, SET LOCAL, COMMIT), dispatch, creating the tables and the switch-over. */
  rest: number;
  handlersByType: Record<string, number>;
}

function idleAndTotal(): [number, number] {
  const cpus = os.cpus();
  const idle = cpus.reduce((sum, cpu) => sum + cpu.times.idle, 0);
  return [idle, cpus.reduce((sum, { times: t }) => sum + t.user + t.nice + t.sys + t.idle + t.irq, 0)];
}

export async function timed(work: () => Promise<number>): Promise<Run> {
  const cpu = process.cpuUsage();
  const [idle, total] = idleAndTotal();
  const start = performance.now();
  const events = await work();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const [idleAfter, totalAfter] = idleAndTotal();
  return {
    eventsPerSecond: events / seconds,
    events,
    seconds,
    clientCpu: (used.user + used.system) / 1e6 / seconds,
    machineCpu: (1 - (idleAfter - idle) / (totalAfter - total)) * os.cpus().length,
  };
}

export async function openWriters(pool: pg.Pool, contender: Contender, count: number, batch: number) {
  const opened = await Promise.allSettled(Array.from({ length: count }, () => contender.open(pool, batch)));
  const writers = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failed = opened.find((o) => o.status === 'rejected');
  if (failed) {
    // A connection left checked out would keep pool.end() waiting forever.
    writers.forEach((w) => w.close());
    throw failed.reason;
  }
  return writers;
}

/** Every writer appends in a loop until the deadline; appends in flight then still count, and so does their time. */
export function drive(writers: Writer[], batch: number, seconds: number): Promise<Run> {
  const deadline = performance.now() + seconds * 1000;
  return timed(async () => {
    let appends = 0;
    await Promise.all(
      writers.map(async (w) => {
        while (performance.now() < deadline) {
          await w.append();
          appends++;
        }
      }),
    );
    return appends * batch;
  });
}

/** Fills a log 100 events per append, each to a new stream, from that many concurrent writers. */
export async function fillLog(
  events: number,
  writers: number,
  append: (streamId: string, events: NewEvent[]) => Promise<unknown>,
): Promise<void> {
  let appends = Math.ceil(events / 100);
  const worker = async () => {
    while (appends-- > 0) await append(`bench-${randomUUID()}`, Array.from({ length: 100 }, newEvent));
  };
  await Promise.all(Array.from({ length: writers }, worker));
}

/** Fills the log through the store, from 8 writers so that transactions interleave. */
export async function seedLog(pool: pg.Pool, events: number): Promise<void> {
  const store = new PostgresEventStore(pool);
  await fillLog(events, 8, (streamId, batch) =>
    store.append({ streamId, streamType: STREAM_TYPE, expectedVersion: 0, events: batch }),
  );
}

export interface LogReader {
  name: string;
  database?: Database;
  /** One page after `after`: how many events it held and the last one's position. */
  page(pool: pg.Pool, after: number, limit: number): Promise<{ count: number; last: number }>;
}

const RAW_READ = {
  name: 'bench_raw_read_log',
  text: `SELECT position, event_id, stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at
           FROM events WHERE position > $1 ORDER BY position LIMIT $2`,
};

export const rawReader: LogReader = {
  name: RAW_SAME,
  async page(pool, after, limit) {
    const { rows } = await pool.query({ ...RAW_READ, values: [after, limit] });
    return { count: rows.length, last: Number(rows.at(-1)?.position) };
  },
};

export const chronicleReader: LogReader = {
  name: 'chronicle',
  async page(pool, after, limit) {
    const events = await new PostgresEventStore(pool).readLog(after, limit);
    return { count: events.length, last: events.at(-1)?.position ?? NaN };
  },
};

export function readLog(pool: pg.Pool, reader: LogReader, expected: number, pageSize: number): Promise<Run> {
  return timed(async () => {
    let read = 0;
    for (let after = 0; ;) {
      const { count, last } = await reader.page(pool, after, pageSize);
      if (count === 0) break;
      read += count;
      after = last;
    }
    if (read !== expected) throw new Error(`${reader.name} read ${read} of ${expected} events`);
    return read;
  });
}
