import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { enablePartitioning, listPartitions, PartitionKeeper, PostgresEventStore } from '#event-sourcing/postgres';
import { newEvent } from '../support/event-store-contract.js';
import { createMigratedDatabase } from '../support/test-database.js';

let pool: pg.Pool;
let drop: () => Promise<void>;

beforeAll(async () => ({ pool, drop } = await createMigratedDatabase()));
afterAll(() => drop());

const partitionNames = async () => {
  const client = await pool.connect();
  try {
    return (await listPartitions(client)).partitions.map((p) => p.name);
  } finally {
    client.release();
  }
};

it('does nothing on a plain log, and keeps partitions ahead once it is partitioned', async () => {
  const keeper = new PartitionKeeper(pool, { ahead: 3, everyMs: 60_000 });
  await keeper.onApplicationBootstrap();
  keeper.onApplicationShutdown();
  expect(keeper.room).toBeUndefined();
  expect(await partitionNames()).toEqual([]);

  const client = await pool.connect();
  await enablePartitioning(client, { size: 10, ahead: 1 }).finally(() => client.release());
  const store = new PostgresEventStore(pool);
  const append = (n: number) =>
    store.append({
      streamId: `kept-${randomUUID()}`,
      streamType: 'Thing',
      expectedVersion: 0,
      events: Array.from({ length: n }, () => newEvent()),
    });
  // Positions 1-19 exist; the 20th has no partition.
  await append(19);
  await expect(append(1)).rejects.toThrow(/no partition of relation "events" found/);

  await keeper.onApplicationBootstrap();
  keeper.onApplicationShutdown();
  expect(await partitionNames()).toEqual([
    'events_from_1',
    'events_from_10',
    'events_from_20',
    'events_from_30',
    'events_from_40',
    'events_from_50',
  ]);
  // The failed append took position 20 from the sequence: the next is 21, in events_from_20.
  expect(keeper.room).toEqual({ lastPartition: 'events_from_50', positionsLeft: 59 - 20 });
  await expect(append(1)).resolves.toMatchObject({ position: 21 });
  await expect(keeper.keep()).resolves.toEqual([]);
});
