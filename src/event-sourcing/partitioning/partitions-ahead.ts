import type { ClientBase } from 'pg';
import { EVENTS, quote } from '../migration/event-tables.js';
import { inTransaction, readPartitionedLog, type LogPartition, type PartitionedLog } from './partition-catalog.js';

/** Held (per transaction) by every command that changes the log's partitions, so two instances take turns. */
export const PARTITIONS_LOCK = 'SELECT pg_advisory_xact_lock(hashtext($1))';
export const PARTITIONS_LOCK_KEY = 'chronicle:log-partitions';

/** How long a partition command waits for a lock before it gives up (and the keeper tries again later). */
export const PARTITION_LOCK_TIMEOUT = '5s';

export const partitionName = (from: number) => `${EVENTS}_from_${from}`;

/** Thrown when `events` is a plain table and a command needs it partitioned. */
export class NotPartitionedError extends Error {
  constructor() {
    super(`${EVENTS} is not partitioned: npm run events:partitions -- enable`);
  }
}

/**
 * Takes the partition commands' lock (for the caller's transaction), then reads the
 * partitions as they are now.
 * @throws NotPartitionedError
 */
export async function lockPartitionedLog(client: ClientBase): Promise<PartitionedLog> {
  await client.query(PARTITIONS_LOCK, [PARTITIONS_LOCK_KEY]);
  const log = await readPartitionedLog(client);
  if (log.partitions.length === 0) throw new NotPartitionedError();
  return log;
}

/**
 * Creates the partitions that are missing for `count` partitions to exist beyond the one
 * the next append writes into, each as wide as the newest. Idempotent, and safe when
 * several instances run it at once (they take turns on an advisory lock and see what
 * the others created). Returns the partitions it created, in position order.
 *
 * Each is created as a table of its own, then attached: ATTACH PARTITION takes only a
 * SHARE UPDATE EXCLUSIVE lock on `events` (PostgreSQL 12 and later), which appends and
 * reads do not wait for, where CREATE TABLE ... PARTITION OF takes ACCESS EXCLUSIVE.
 */
export async function createPartitionsAhead(client: ClientBase, count = 2): Promise<LogPartition[]> {
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`Count ${count} is not a whole number >= 1`);
  return inTransaction(
    client,
    async () => {
      return addPartitionsAhead(client, await lockPartitionedLog(client), count);
    },
    PARTITION_LOCK_TIMEOUT,
  );
}

/**
 * The work of {@link createPartitionsAhead}, in the caller's transaction, which holds
 * {@link PARTITIONS_LOCK}; partitions are `size` positions wide, as wide as the newest unless given.
 */
export async function addPartitionsAhead(
  client: ClientBase,
  log: PartitionedLog,
  count: number,
  size?: number,
): Promise<LogPartition[]> {
  const newest = log.partitions[log.partitions.length - 1];
  size ??= newest.to - newest.from;
  const next = log.head + 1;
  const created: LogPartition[] = [];
  let last = newest;
  const add = async () => {
    last = await attachPartition(client, last, last.to, last.to + size!);
    created.push(last);
  };
  // Past the end, appends fail until a partition holds the next position.
  while (last.to <= next) await add();
  const all = [...log.partitions, ...created];
  const current = all.find((p) => p.from <= next && next < p.to)!;
  for (let beyond = all.filter((p) => p.from >= current.to).length; beyond < count; beyond++) await add();
  return created;
}

async function attachPartition(
  client: ClientBase,
  like: LogPartition,
  from: number,
  to: number,
): Promise<LogPartition> {
  const name = partitionName(from);
  // Not INCLUDING IDENTITY (or ALL): from PostgreSQL 17 a partition shows the parent's identity, and one of its own would not attach.
  await client.query(
    `CREATE TABLE ${quote(name)} (LIKE ${quote(like.name)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES
       INCLUDING STORAGE INCLUDING COMPRESSION INCLUDING STATISTICS INCLUDING COMMENTS)`,
  );
  await client.query(`ALTER TABLE ${EVENTS} ATTACH PARTITION ${quote(name)} FOR VALUES FROM (${from}) TO (${to})`);
  return { name, from, to, rows: 0, bytes: 0 };
}
