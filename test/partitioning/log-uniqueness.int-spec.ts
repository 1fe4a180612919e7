import type { QueryRunner } from 'typeorm';
import { PostgresEventStore } from '#event-sourcing/postgres';
import { EventIdTakenError } from '#event-sourcing';
import { UniqueAcrossPartitions1795680000013 } from '../../migrations/1795680000013-unique-across-partitions.js';
import { newEvent } from '../support/event-store-contract.js';
import { BOUND_EVERY, logUniquenessContract } from '../support/log-uniqueness-contract.js';
import { createMigratedDatabase } from '../support/test-database.js';
import { createPartitionedDatabase } from './partitioned-database.js';

describe('a plain log', () => {
  logUniquenessContract(() => createMigratedDatabase());
});

describe('a partitioned log', () => {
  logUniquenessContract(() => createPartitionedDatabase({ size: BOUND_EVERY, ahead: 20 }));
});

describe('migration 1795680000013 on a log partitioned before it', () => {
  const migration = new UniqueAcrossPartitions1795680000013();
  // As the app runs migrations: each in a transaction of its own.
  async function run(runner: QueryRunner, step: 'up' | 'down') {
    await runner.startTransaction();
    try {
      await migration[step](runner);
      await runner.commitTransaction();
    } catch (error) {
      await runner.rollbackTransaction();
      throw error;
    }
  }

  async function partitionedBeforeIt() {
    const database = await createPartitionedDatabase({ size: BOUND_EVERY, ahead: 5 });
    const runner = database.dataSource.createQueryRunner();
    await run(runner, 'down');
    return { ...database, runner, store: new PostgresEventStore(database.pool) };
  }

  it('copies the event ids of every partition, then refuses one stored again', async () => {
    const { pool, runner, store, drop } = await partitionedBeforeIt();
    try {
      const events = Array.from({ length: 25 }, () => newEvent());
      await store.append({ streamId: 'old', streamType: 'Thing', expectedVersion: 0, events });
      await run(runner, 'up');

      const { rows } = await pool.query('SELECT event_id FROM event_ids ORDER BY 1');
      expect(rows.map((r) => r.event_id)).toEqual(events.map((e) => e.id).sort());
      const again = store.append({ streamId: 'new', streamType: 'Thing', expectedVersion: 0, events: [events[0]] });
      await expect(again).rejects.toThrow(new EventIdTakenError(events[0].id));
    } finally {
      await drop();
    }
  });

  it('fails, naming the id, on a log that already holds an event id twice', async () => {
    const { runner, store, drop } = await partitionedBeforeIt();
    try {
      const taken = newEvent();
      await store.append({ streamId: 'first', streamType: 'Thing', expectedVersion: 0, events: [taken] });
      const filler = Array.from({ length: BOUND_EVERY }, () => newEvent());
      await store.append({ streamId: 'filler', streamType: 'Thing', expectedVersion: 0, events: filler });
      await store.append({ streamId: 'second', streamType: 'Thing', expectedVersion: 0, events: [taken] });

      await expect(run(runner, 'up')).rejects.toMatchObject({
        code: '23505',
        detail: `Key (event_id)=(${taken.id}) is duplicated.`,
      });
    } finally {
      await drop();
    }
  });
});
