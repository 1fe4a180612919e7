import type { ClientBase } from 'pg';
import { EVENTS, quote, renamed } from '../migration/event-tables.js';
import { inTransaction, isPartitioned, readPartitionedLog, type LogPartition } from './partition-catalog.js';
import {
  addPartitionsAhead,
  PARTITION_LOCK_TIMEOUT,
  partitionName,
  PARTITIONS_LOCK,
  PARTITIONS_LOCK_KEY,
} from './partitions-ahead.js';

export interface EnablePartitioningOptions {
  /** Positions per partition (default 10,000,000). */
  size?: number;
  /** Empty partitions to create beyond the one being written (default 2, at least 1). */
  ahead?: number;
}

export const DEFAULT_PARTITION_SIZE = 10_000_000;

/** Thrown by {@link enablePartitioning} when `events` is partitioned already. */
export class AlreadyPartitionedError extends Error {
  constructor() {
    super(`${EVENTS} is partitioned already: npm run events:partitions -- list`);
  }
}

const INDEXES = `
  SELECT c.relname AS name, i.indisprimary AS primary, i.indisunique AS unique, pg_get_indexdef(i.indexrelid) AS definition
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
   WHERE i.indrelid = $1::regclass`;

/**
 * Turns the plain `events` table into `events` PARTITION BY RANGE (position), in one
 * transaction that holds an ACCESS EXCLUSIVE lock on the log (appends and reads wait):
 * the table becomes the first partition, `events_from_1`, holding every position up to
 * the first multiple of `size` above the head; then `ahead` empty partitions follow.
 *
 * The new parent takes the names code and migrations know: `events`, `events_pkey`,
 * `events_position_seq` (the identity, continuing after the last position) and the
 * non-unique indexes, which become partitioned indexes and so reach every partition.
 * Unique indexes other than the primary key (event_id; stream_id, version) cannot be
 * global on a partitioned table: each partition has its own, event ids get the table
 * `event_ids` (filled from the log here, then by a trigger on every INSERT), and the
 * stream lock keeps versions unique (docs/SCALING.md, "Unique across partitions").
 *
 * Attaching the old table scans it once, to check its positions fit the bound; copying
 * its event ids reads it once more and sorts them for the primary key of `event_ids`.
 * @throws AlreadyPartitionedError
 */
export async function enablePartitioning(
  client: ClientBase,
  options: EnablePartitioningOptions = {},
): Promise<LogPartition[]> {
  const { size = DEFAULT_PARTITION_SIZE, ahead = 2 } = options;
  if (!(Number.isSafeInteger(size) && size >= 2)) throw new RangeError(`Size ${size} is not a whole number >= 2`);
  if (!(Number.isInteger(ahead) && ahead >= 1)) throw new RangeError(`Ahead ${ahead} is not a whole number >= 1`);
  return inTransaction(
    client,
    async () => {
      // The attach scans the whole old table: longer than the app's statement timeout on a long log.
      await client.query(`SELECT set_config('statement_timeout', '0', true)`);
      await client.query(PARTITIONS_LOCK, [PARTITIONS_LOCK_KEY]);
      await client.query(`LOCK TABLE ${EVENTS} IN ACCESS EXCLUSIVE MODE`);
      if (await isPartitioned(client)) throw new AlreadyPartitionedError();
      const { head } = await readPartitionedLog(client);
      const first = await convert(client, (Math.floor(head / size) + 1) * size);
      await client.query('SELECT chronicle_unique_event_ids()');
      if (head > 0) await client.query(`SELECT setval(pg_get_serial_sequence($1, 'position'), $2)`, [EVENTS, head]);
      const log = await readPartitionedLog(client);
      return [first, ...(await addPartitionsAhead(client, log, ahead, size))];
    },
    PARTITION_LOCK_TIMEOUT,
  );
}

async function convert(client: ClientBase, bound: number): Promise<LogPartition> {
  const indexes: { name: string; primary: boolean; unique: boolean; definition: string }[] = (
    await client.query(INDEXES, [EVENTS])
  ).rows;
  const old = partitionName(1);
  await client.query(`ALTER TABLE ${EVENTS} RENAME TO ${old}`);
  for (const index of indexes) {
    await client.query(`ALTER INDEX ${quote(index.name)} RENAME TO ${quote(renamed(index.name, old))}`);
  }
  // Drops events_position_seq with it, so that the parent's identity takes the name.
  await client.query(`ALTER TABLE ${old} ALTER position DROP IDENTITY`);

  await client.query(
    `CREATE TABLE ${EVENTS} (LIKE ${old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE
       INCLUDING COMPRESSION INCLUDING COMMENTS) PARTITION BY RANGE (position)`,
  );
  // CACHE 1 as before: positions must be handed out in the order appends ask for them.
  await client.query(`ALTER TABLE ${EVENTS} ALTER position ADD GENERATED ALWAYS AS IDENTITY (CACHE 1)`);
  for (const index of indexes) {
    if (index.primary)
      await client.query(`ALTER TABLE ${EVENTS} ADD CONSTRAINT ${quote(index.name)} PRIMARY KEY (position)`);
    // The definition names the index and `events`, which is now the parent.
    else if (!index.unique) await client.query(index.definition);
  }
  await client.query(`ALTER TABLE ${EVENTS} ATTACH PARTITION ${old} FOR VALUES FROM (1) TO (${bound})`);
  return { name: old, from: 1, to: bound, bytes: 0 };
}
