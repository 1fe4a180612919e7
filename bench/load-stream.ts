import 'reflect-metadata';
import type { EventBus } from '@nestjs/cqrs';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { Account } from '../src/contexts/accounts/domain/account.aggregate.js';
import { AggregateRepository, IdGenerator, type NewEvent } from '#event-sourcing';
import { PostgresEventStore, PostgresSnapshotStore } from '#event-sourcing/postgres';
import { nextAccountEvent, toNewEvent } from './account-events.js';
import { appCodec, appEventCodec } from './codecs.js';
import { toEmmettEvent, type EmmettStore } from './emmett.js';
import { copyToLean, LEAN_TABLE, leanTable } from './database.js';
import { median } from './figures.js';
import { RAW_LEAN } from './lean.js';
import { RAW_SAME } from './workloads.js';

export const LOAD_RAW = RAW_SAME;
export const LOAD_LEAN = RAW_LEAN;
export const LOAD_CHRONICLE = 'chronicle';
export const LOAD_SNAPSHOTS = 'chronicle + snapshots';
export const LOAD_ENCRYPTED = 'chronicle + AES-GCM';
export const LOAD_EMMETT = 'emmett';

const STREAM_TYPE = 'Account';
const EVENTS_PER_APPEND = 10;

/** One seeded Account stream, and what its events add up to. */
export interface SeededStream {
  id: string;
  /** The same events in another stream, every payload sealed with AES-256-GCM. */
  encryptedId: string;
  /** The same events in Emmett's store (its stream type is the name up to the first '-'). */
  emmettStream: string;
  events: number;
  balance: number;
  /** Timed loads of each contender per repetition. */
  loads: number;
}

/** Per repetition, per stream, per contender: the median load time in ms. */
export interface LoadStreamResult {
  snapshotEvery: number;
  /** Events in each stream and the version of its snapshot. */
  streams: { events: number; loads: number; snapshotVersion: number; seedSeconds: number }[];
  /** ratioToRaw, ratioToLean: ms over the raw SELECT's on `events` and on the lean table (below 1 is faster). */
  cells: { contender: string; events: number; runsMs: number[]; ms: number; ratioToRaw: number; ratioToLean: number }[];
}

const RAW_READ = {
  name: 'bench_raw_read_stream',
  text: `SELECT position, event_id, stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at
           FROM events WHERE stream_id = $1 ORDER BY version`,
};

const LEAN_READ = {
  name: 'bench_lean_read_stream',
  text: `SELECT position, stream_id, version, type, data, created_at
           FROM ${LEAN_TABLE} WHERE stream_id = $1 ORDER BY version`,
};

/**
 * AccountOpened, then deposits and withdrawals that never overdraw, through
 * PostgresEventStore.append as the app stores them; the same events again into a
 * second stream with every payload encrypted, and into Emmett's store.
 */
export async function seedStream(
  pool: pg.Pool,
  emmett: EmmettStore,
  events: number,
  loads: number,
): Promise<SeededStream> {
  const store = new PostgresEventStore(pool, { codec: appEventCodec(pool, false) });
  const encryptedStore = new PostgresEventStore(pool, { codec: appEventCodec(pool, true) });
  const id = uuidv7();
  const encryptedId = uuidv7();
  const emmettStream = `${STREAM_TYPE}-${uuidv7()}`;
  const account = { owner: `Owner of ${events}`, version: 0, balance: 0 };
  while (account.version < events) {
    const correlationId = uuidv7();
    const expectedVersion = account.version;
    const batch: NewEvent[] = [];
    for (let i = Math.min(EVENTS_PER_APPEND, events - account.version); i > 0; i--) {
      batch.push(toNewEvent(nextAccountEvent(account), correlationId));
      account.version++;
    }
    await store.append({ streamId: id, streamType: STREAM_TYPE, expectedVersion, events: batch });
    const copies = batch.map((event) => ({ ...event, id: uuidv7() }));
    await encryptedStore.append({ streamId: encryptedId, streamType: STREAM_TYPE, expectedVersion, events: copies });
    await emmett.appendToStream(emmettStream, batch.map(toEmmettEvent), {
      expectedStreamVersion: BigInt(expectedVersion),
    });
  }
  return { id, encryptedId, emmettStream, events, balance: account.balance, loads };
}

class LoadCheckError extends Error {}

function expectEqual(what: string, actual: unknown, expected: unknown): void {
  if (String(actual) !== String(expected)) {
    throw new LoadCheckError(`load-stream check failed: ${what} is ${actual}, expected ${expected}`);
  }
}

const eventBus = { publish: () => undefined, publishAll: () => undefined } as unknown as EventBus;

/** A load, timed up to the promise; the function it returns gives the state, outside the clock. */
type Loader = (stream: SeededStream) => Promise<() => { balance: number; version: number }>;

const stateOf = (account: Account) => () => ({ balance: account.balance, version: account.version });

/** What an Account event does to the balance, read from its stored type and data. */
const movement = (type: string, data: Record<string, unknown>) =>
  (type === 'MoneyDeposited' ? 1 : type === 'MoneyWithdrawn' ? -1 : 0) * Number(data.amount ?? 0);

/**
 * W3: loading one Account stream, raw rows against the repository with and without a
 * snapshot, and against Emmett's `aggregateStream` (what its CommandHandler loads state
 * with). Interleaved: each round loads every stream with every contender in turn.
 */
export async function loadStreams(
  pool: pg.Pool,
  emmett: EmmettStore,
  control: pg.Client,
  streams: SeededStream[],
  snapshotEvery: number,
  repetitions: number,
  log: (line: string) => void,
): Promise<Omit<LoadStreamResult, 'streams'> & { snapshotVersions: number[] }> {
  const store = new PostgresEventStore(pool, { codec: appEventCodec(pool, false) });
  const snapshotStore = new PostgresSnapshotStore(pool, appCodec(pool, false));
  const plain = new AggregateRepository(Account, store, eventBus, new IdGenerator(), 0);
  const encryptedStore = new PostgresEventStore(pool, { codec: appEventCodec(pool, true) });
  const encrypted = new AggregateRepository(Account, encryptedStore, eventBus, new IdGenerator(), 0);
  const withSnapshots = new AggregateRepository(Account, store, eventBus, new IdGenerator(), 0, {
    store: snapshotStore,
    every: snapshotEvery,
  });

  // A snapshot at the last multiple of `every`, as the repository writes it after a save.
  const snapshotVersions: number[] = [];
  for (const stream of streams) {
    const at = Math.floor(stream.events / snapshotEvery) * snapshotEvery;
    const aggregate = await plain.get(stream.id, { version: at });
    const taken = aggregate.takeSnapshot();
    await snapshotStore.save(
      {
        streamId: stream.id,
        streamType: Account.streamType,
        version: taken.version,
        schemaVersion: Account.snapshots!.version,
        state: taken.state,
        firstRecordedAt: taken.createdAt,
        recordedAt: taken.updatedAt,
      },
      Account.snapshots!.personal,
    );
    snapshotVersions.push(taken.version);
  }
  await control.query(leanTable(LEAN_TABLE));
  await copyToLean(control, LEAN_TABLE, 'stream_id = ANY ($1)', [streams.map((s) => s.id)]);
  await control.query(`VACUUM (ANALYZE) events, snapshots, ${LEAN_TABLE}`);

  const sumRows = (rows: { type: string; data: Record<string, unknown> }[]) => () => ({
    balance: rows.reduce((sum, row) => sum + movement(row.type, row.data), 0),
    version: rows.length,
  });

  const loaders: [string, Loader][] = [
    [LOAD_LEAN, async (stream) => sumRows((await pool.query({ ...LEAN_READ, values: [stream.id] })).rows)],
    [LOAD_RAW, async (stream) => sumRows((await pool.query({ ...RAW_READ, values: [stream.id] })).rows)],
    [LOAD_CHRONICLE, async (stream) => stateOf(await plain.get(stream.id))],
    [LOAD_SNAPSHOTS, async (stream) => stateOf(await withSnapshots.get(stream.id))],
    [LOAD_ENCRYPTED, async (stream) => stateOf(await encrypted.get(stream.encryptedId))],
    [
      LOAD_EMMETT,
      async (stream) => {
        const { state, currentStreamVersion } = await emmett.aggregateStream(stream.emmettStream, {
          initialState: () => 0,
          evolve: (balance, event) => balance + movement(event.type, event.data),
        });
        return () => ({ balance: state, version: Number(currentStreamVersion) });
      },
    ],
  ];

  /** Times the load only; the check (and, for raw, summing the rows) follows outside the clock. */
  const timedLoad = async (name: string, loader: Loader, stream: SeededStream): Promise<number> => {
    const start = performance.now();
    const state = await loader(stream);
    const ms = performance.now() - start;
    const result = state();
    expectEqual(`the balance of the ${stream.events}-event stream (${name})`, result.balance, stream.balance);
    expectEqual(`the version of the ${stream.events}-event stream (${name})`, result.version, stream.events);
    return ms;
  };

  // Untimed warm-up: connects, prepares the statements, checks every contender once.
  for (const stream of streams) for (const [name, loader] of loaders) await timedLoad(name, loader, stream);

  const runs = new Map<string, number[]>();
  const rounds = Math.max(...streams.map((s) => s.loads));
  for (let rep = 1; rep <= repetitions; rep++) {
    const times = new Map<string, number[]>();
    for (let round = 0; round < rounds; round++) {
      for (const stream of streams) {
        // Spread a stream's fewer loads evenly over the rounds.
        if (Math.floor((round * stream.loads) / rounds) === Math.floor(((round + 1) * stream.loads) / rounds)) continue;
        for (const [name, loader] of loaders) {
          const key = `${name}/${stream.events}`;
          if (!times.has(key)) times.set(key, []);
          times.get(key)!.push(await timedLoad(name, loader, stream));
        }
      }
    }
    for (const [key, values] of times) {
      if (!runs.has(key)) runs.set(key, []);
      runs.get(key)!.push(median(values));
    }
    log(
      `load stream rep ${rep} ` +
        streams
          .map(
            (s) =>
              `${s.events} events: ` +
              loaders.map(([name]) => `${name} ${median(times.get(`${name}/${s.events}`)!).toFixed(2)} ms`).join(', '),
          )
          .join('; '),
    );
  }

  const cells = streams.flatMap((stream) => {
    const rawMs = median(runs.get(`${LOAD_RAW}/${stream.events}`)!);
    const leanMs = median(runs.get(`${LOAD_LEAN}/${stream.events}`)!);
    return loaders.map(([name]) => {
      const runsMs = runs.get(`${name}/${stream.events}`)!;
      const ms = median(runsMs);
      return { contender: name, events: stream.events, runsMs, ms, ratioToRaw: ms / rawMs, ratioToLean: ms / leanMs };
    });
  });
  return { snapshotEvery, cells, snapshotVersions };
}
