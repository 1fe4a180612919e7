import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { NewEvent } from '#event-sourcing';
import type { BenchDatabase } from './database.js';
import { fillLog, writer, type Contender, type Database, type LogReader } from './workloads.js';

export const EMMETT = 'emmett';
export const EMMETT_NEW_STREAMS = 'emmett new streams';

// Compiled to dist/bench/: this is the source tree's bench/peers/, which `npm run bench` installs.
const PEERS = new URL('../../bench/peers/', import.meta.url);

/** An event as Emmett appends it; its metadata carries the message id. */
export interface EmmettEvent {
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface EmmettRecordedEvent extends EmmettEvent {
  metadata: Record<string, unknown> & { globalPosition: bigint; streamPosition: bigint };
}

// The part of Emmett's API the benchmark calls, declared here rather than imported from
// bench/peers, so that the template type-checks and lints without the peers installed.
export interface EmmettStore {
  appendToStream(
    streamName: string,
    events: EmmettEvent[],
    options: { expectedStreamVersion: bigint },
  ): Promise<unknown>;
  aggregateStream<State>(
    streamName: string,
    options: { initialState(): State; evolve(state: State, event: EmmettRecordedEvent): State },
  ): Promise<{ state: State; currentStreamVersion: bigint }>;
  schema: { migrate(): Promise<unknown> };
}

interface EmmettPostgreSQL {
  getPostgreSQLEventStore(
    connectionString: string,
    options: { connectionOptions: { pool: pg.Pool }; schema: { autoMigration: 'None' } },
  ): EmmettStore;
  readMessagesBatch(
    execute: unknown,
    options: { after: bigint; batchSize: number },
  ): Promise<{ messages: EmmettRecordedEvent[]; currentGlobalPosition: bigint }>;
}

interface Dumbo {
  dumbo(options: { connectionString: string; pool: pg.Pool }): { execute: unknown };
}

export const toEmmettEvent = (event: NewEvent): EmmettEvent => ({
  type: event.type,
  data: event.data,
  metadata: { ...event.metadata, messageId: event.id },
});

export interface Emmett {
  /** The installed @event-driven-io/emmett-postgresql version. */
  version: string;
  database: Database;
  /** Appends to the writer's own existing streams (W1, W2). */
  contender: Contender;
  /** Appends to a new stream each time (W1). */
  newStreams: Contender;
  /** `readMessagesBatch` page by page, as its consumers pull the log (W4). */
  reader: LogReader;
  /** An event store on that pool, with its schema already in place. */
  store(pool: pg.Pool): EmmettStore;
  /**
   * Fills Emmett's log as `seedLog` fills Chronicle's, but from one writer: with several,
   * global positions and transaction ids disagree, and paging as Emmett's consumers do
   * (after the last position, in transaction id order) skips and repeats events.
   */
  seedLog(events: number): Promise<void>;
  /** VACUUM (ANALYZE) of Emmett's database, after seeding, as the benchmark does its own. */
  vacuum(): Promise<void>;
  /** Drops Emmett's database. */
  close(): Promise<void>;
}

/**
 * Emmett in a database of its own on the benchmark's server, its schema created by its own
 * migration. Each cell's pool is a pg.Pool of bench/peers' pg (the one Emmett's types are
 * parsed with) of the cell's size, handed to Emmett as `connectionOptions.pool`: given only
 * a connection string, Emmett opens one pg.Pool per database with pg's default of 10.
 */
export async function openEmmett(db: BenchDatabase): Promise<Emmett> {
  const peers = createRequire(new URL('package.json', PEERS));
  const api = peers('@event-driven-io/emmett-postgresql') as EmmettPostgreSQL;
  const { dumbo } = peers('@event-driven-io/dumbo') as Dumbo;
  const PeerPg = peers('pg') as typeof pg;
  const installed = new URL('node_modules/@event-driven-io/emmett-postgresql/package.json', PEERS);
  const { version } = JSON.parse(await readFile(installed, 'utf8')) as { version: string };

  const empty = await db.emptyDatabase();
  const { url } = empty;
  const database: Database = {
    control: empty.control,
    pool(max) {
      const pool = new PeerPg.Pool({ connectionString: url, max, application_name: 'emmett' });
      pool.on('error', (error) => console.error(`idle pooled connection failed: ${error.message}`));
      return pool;
    },
  };
  // Migration is explicit here; an app's store with the default autoMigration does the
  // same once, on its first call.
  const store = (pool: pg.Pool) =>
    api.getPostgreSQLEventStore(url, { connectionOptions: { pool }, schema: { autoMigration: 'None' } });
  const contender = (name: string, streams: 'own' | 'new'): Contender => ({
    name,
    database,
    open(pool, batch) {
      const emmett = store(pool);
      return writer(batch, streams, (stream, events) =>
        emmett.appendToStream(stream.id, events.map(toEmmettEvent), {
          expectedStreamVersion: BigInt(stream.version),
        }),
      );
    },
  });

  const executors = new WeakMap<pg.Pool, unknown>();

  const pool = database.pool(8);
  try {
    await store(pool).schema.migrate();
  } finally {
    await pool.end();
  }
  return {
    version,
    database,
    contender: contender(EMMETT, 'own'),
    newStreams: contender(EMMETT_NEW_STREAMS, 'new'),
    reader: {
      name: EMMETT,
      database,
      async page(pool, after, limit) {
        if (!executors.has(pool)) executors.set(pool, dumbo({ connectionString: url, pool }).execute);
        const { messages, currentGlobalPosition } = await api.readMessagesBatch(executors.get(pool), {
          after: BigInt(after),
          batchSize: limit,
        });
        return { count: messages.length, last: Number(currentGlobalPosition) };
      },
    },
    store,
    async seedLog(events) {
      const pool = database.pool(1);
      try {
        const emmett = store(pool);
        await fillLog(events, 1, (streamId, batch) =>
          emmett.appendToStream(streamId, batch.map(toEmmettEvent), { expectedStreamVersion: 0n }),
        );
      } finally {
        await pool.end();
      }
    },
    vacuum: async () => {
      await empty.control.query('VACUUM (ANALYZE)');
    },
    close: () => empty.close(),
  };
}
