import type { ClientBase } from 'pg';
import { EVENTS } from '../migration/event-tables.js';

/** One partition of the log: the positions from `from` up to, not including, `to`. */
export interface LogPartition {
  name: string;
  from: number;
  to: number;
  /** The planner's estimate (as of the last ANALYZE or VACUUM); undefined before the first. */
  rows?: number;
  /** Table, indexes and TOAST, in bytes. */
  bytes: number;
}

/** The partitioned log as it stands: its partitions in position order and its last position handed out. */
export interface PartitionedLog {
  partitions: LogPartition[];
  /** The position of the last event appended, or about to be (0 on an empty log). */
  head: number;
}

/** Whether `events` is a partitioned table (one catalog lookup). */
export async function isPartitioned(client: Pick<ClientBase, 'query'>): Promise<boolean> {
  const { rows } = await client.query(`SELECT relkind = 'p' AS partitioned FROM pg_class WHERE oid = $1::regclass`, [
    EVENTS,
  ]);
  return rows[0].partitioned;
}

// Range bounds as pg_get_expr prints them: FOR VALUES FROM ('1') TO ('100').
const BOUNDS = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/;

/** The partitions of `events` (none when it is a plain table) and the head of the log. */
export async function readPartitionedLog(client: ClientBase): Promise<PartitionedLog> {
  const { rows } = await client.query(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound, c.reltuples AS rows,
            pg_total_relation_size(c.oid) AS bytes
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::regclass`,
    [EVENTS],
  );
  const partitions = rows
    .map((row): LogPartition => {
      const bound = BOUNDS.exec(row.bound);
      if (!bound)
        throw new Error(`Partition ${row.name} of ${EVENTS} has bounds this tool does not know: ${row.bound}`);
      const estimate = Number(row.rows);
      return {
        name: row.name,
        from: Number(bound[1]),
        to: Number(bound[2]),
        rows: estimate < 0 ? undefined : estimate,
        bytes: Number(row.bytes),
      };
    })
    .sort((a, b) => a.from - b.from);
  return { partitions, head: await logHead(client) };
}

/**
 * The last position the sequence handed out. An append that took it may not have
 * committed yet, so this, not max(position), says which partition is being written.
 */
async function logHead(client: ClientBase): Promise<number> {
  const { rows } = await client.query(
    `SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence($1, 'position')::regclass), 0) AS head`,
    [EVENTS],
  );
  return Number(rows[0].head);
}

/** The partition the next append writes into, or undefined when the log has run past its last partition. */
export const currentPartition = (log: PartitionedLog): LogPartition | undefined =>
  log.partitions.find((p) => p.from <= log.head + 1 && log.head + 1 < p.to);

/** Runs `work` in a transaction on `client`, with `lockTimeout` for every lock it waits for. */
export async function inTransaction<T>(client: ClientBase, work: () => Promise<T>, lockTimeout?: string): Promise<T> {
  await client.query('BEGIN');
  try {
    if (lockTimeout) await client.query(`SELECT set_config('lock_timeout', $1, true)`, [lockTimeout]);
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
