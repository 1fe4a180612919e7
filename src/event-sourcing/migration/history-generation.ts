import type { PoolClient } from 'pg';

// Migration 1795680000014 says why these modes: appends take ROW EXCLUSIVE on the table in
// `chronicle_history_generation()` and keep it until they commit.
const HOLD_APPENDS = 'LOCK TABLE history_generation IN SHARE ROW EXCLUSIVE MODE';
const NEXT = 'UPDATE history_generation SET generation = generation + 1 RETURNING generation';

/**
 * Waits for every append in flight to commit and holds new ones back until the client's
 * transaction ends. Take it before a lock an append may wait on (the swap's on `events`),
 * else the two wait on each other.
 */
export async function holdAppends(client: PoolClient): Promise<void> {
  await client.query(HOLD_APPENDS);
}

/**
 * Moves the history generation on, in the client's transaction, the one that rewrites
 * events: once it commits, every state built from earlier events is stale (cached states,
 * snapshots), and every append decided on one is refused.
 */
export async function rewriteHistory(client: PoolClient): Promise<void> {
  await holdAppends(client);
  await client.query(NEXT);
}
