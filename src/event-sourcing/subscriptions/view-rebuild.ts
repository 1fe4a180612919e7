import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventStore, StoredEvent } from '../store/event-store.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type { FollowerHandlers, FollowerMetadata } from './follower.decorator.js';
import { dispatch } from './follower-dispatch.js';

export interface RebuildResult {
  events: number;
  position: number;
  seconds: number;
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

// The index definition without its name and table, to pair a rebuilt table's indexes with the old ones.
const INDEXES = `
  SELECT c.relname AS name, regexp_replace(pg_get_indexdef(i.indexrelid), ' INDEX \\S+ ON \\S+ ', ' INDEX ON ') AS shape
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
   WHERE i.indrelid = $1::regclass`;

/**
 * Rebuilds a follower's view from position 0 into fresh copies of its tables, in a
 * schema of its own, while the old tables keep serving; then swaps them in, in one
 * transaction that also sets the follower's checkpoint to where the rebuild got.
 *
 * The live follower may go on meanwhile: the swap locks the old tables (so its batch in
 * flight finishes first) and holds its checkpoint, so it continues from the rebuilt
 * position on the new tables.
 */
export async function rebuildView(
  follower: FollowerMetadata,
  handlers: FollowerHandlers,
  store: EventStore,
  dataSource: DataSource,
  checkpoints: CheckpointStore,
  batchSize: number,
): Promise<RebuildResult> {
  const logger = new Logger(`Rebuild ${follower.name}`);
  const started = Date.now();
  const schema = quote(`rebuild_${follower.name.replace(/\W/g, '_')}`);
  const tables = follower.tables.map(quote);
  await dataSource.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await dataSource.query(`CREATE SCHEMA ${schema}`);
  for (const table of tables) {
    await dataSource.query(`CREATE TABLE ${schema}.${table} (LIKE public.${table} INCLUDING ALL)`);
  }

  let position = 0;
  let events = 0;
  // A page into the new tables: the handlers' unqualified table names resolve to them.
  const apply = async (page: StoredEvent[], manager: EntityManager): Promise<void> => {
    await manager.query(`SET LOCAL search_path TO ${schema}, public`);
    if (handlers.batch) await handlers.batch(page, { manager });
    else for (const envelope of page) await dispatch(handlers.byType, envelope, manager);
    await manager.query('SET LOCAL search_path TO DEFAULT');
    position = page[page.length - 1].position;
    events += page.length;
  };

  // Each page is read while the one before is written. Those transactions need not wait
  // for the disk: a crash ends the rebuild anyway, and the switch-over below is durable.
  let page = await store.readLog(position, batchSize);
  let lastReport = Date.now();
  while (page.length === batchSize) {
    const next = store.readLog(page[page.length - 1].position, batchSize);
    next.catch(() => undefined); // awaited below, unless the write fails first
    await dataSource.transaction(async (manager) => {
      await manager.query('SET LOCAL synchronous_commit TO off');
      await apply(page, manager);
    });
    page = await next;
    if (Date.now() - lastReport > 2_000) {
      logger.log(`${events} events, at position ${position}`);
      lastReport = Date.now();
    }
  }

  await dataSource.transaction(async (manager) => {
    for (const table of tables) await manager.query(`LOCK TABLE public.${table} IN ACCESS EXCLUSIVE MODE`);
    await checkpoints.hold(follower.name, manager);
    // The last page read, then what was appended since, behind the locks.
    while (page.length > 0) {
      await apply(page, manager);
      page = await store.readLog(position, batchSize);
    }
    for (const table of tables) {
      const old: { name: string; shape: string }[] = await manager.query(INDEXES, [`public.${table}`]);
      await manager.query(`DROP TABLE public.${table}`);
      await manager.query(`ALTER TABLE ${schema}.${table} SET SCHEMA public`);
      const rebuilt: { name: string; shape: string }[] = await manager.query(INDEXES, [`public.${table}`]);
      // Keep the index names that migrations know.
      for (const index of rebuilt) {
        const original = old.find((o) => o.shape === index.shape);
        if (original && original.name !== index.name) {
          await manager.query(`ALTER INDEX public.${quote(index.name)} RENAME TO ${quote(original.name)}`);
        }
      }
    }
    await manager.query(`DROP SCHEMA ${schema}`);
    await checkpoints.reset(follower.name, position, manager);
  });
  const seconds = (Date.now() - started) / 1000;
  logger.log(`done: ${events} events in ${seconds.toFixed(1)} s, switched over at position ${position}`);
  return { events, position, seconds };
}
