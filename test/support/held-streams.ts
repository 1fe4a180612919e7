import type pg from 'pg';
import { STREAM_LOCK_SPACE } from '../../migrations/1795680000013-unique-across-partitions.js';
import { until } from './until.js';

/**
 * Another session's open transaction holding the locks of `streamIds`, as an append to
 * each that has not committed yet would: appends to them wait on the server until
 * `release()` commits it (once; again does nothing). The key is the append functions'
 * (migration 1795680000013: the stream id alone); {@link waitingOnStreams} shows it holds.
 */
export async function holdStreams(pool: pg.Pool, streamIds: string[]): Promise<{ release(): Promise<void> }> {
  const client = await pool.connect();
  await client.query('BEGIN');
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext(s)) FROM unnest($2::text[]) AS s', [
    STREAM_LOCK_SPACE,
    streamIds,
  ]);
  let held = true;
  return {
    release: async () => {
      if (!held) return;
      held = false;
      await client.query('COMMIT');
      client.release();
    },
  };
}

/** Until `count` statements of this database wait on a stream's lock (and its other sessions on none). */
export async function waitingOnStreams(pool: pg.Pool, count: number): Promise<void> {
  await until(
    async () => {
      const { rows } = await pool.query(`SELECT count(*)::int AS waiting FROM pg_locks
                                          WHERE locktype = 'advisory' AND NOT granted
                                            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
      return rows[0].waiting as number;
    },
    (waiting) => waiting === count,
    `${count} appends waiting on their streams' locks`,
  );
}
