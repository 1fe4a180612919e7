import type { PoolClient } from 'pg';

/** A run's row in `event_migrations`: how far it got over the log. */
export interface MigrationCheckpoint {
  name: string;
  /** `events` in place, or the table a copy goes into. */
  target: string;
  /** Every event up to here is migrated. */
  position: number;
  /** In place: the last position to migrate, the log's end when the first run began. */
  endPosition: number | undefined;
  read: number;
  changed: number;
  startedAt: Date;
  finishedAt: Date | undefined;
}

const toCheckpoint = (row: Record<string, unknown>): MigrationCheckpoint => ({
  name: row.name as string,
  target: row.target as string,
  position: Number(row.last_position),
  endPosition: row.end_position === null ? undefined : Number(row.end_position),
  read: Number(row.events_read),
  changed: Number(row.events_changed),
  startedAt: row.started_at as Date,
  finishedAt: (row.finished_at as Date | null) ?? undefined,
});

export async function findCheckpoint(
  client: PoolClient,
  name: string,
  target: string,
): Promise<MigrationCheckpoint | undefined> {
  const { rows } = await client.query('SELECT * FROM event_migrations WHERE name = $1 AND target = $2', [name, target]);
  return rows.length === 0 ? undefined : toCheckpoint(rows[0]);
}

export async function createCheckpoint(
  client: PoolClient,
  name: string,
  target: string,
  endPosition: number | undefined,
): Promise<MigrationCheckpoint> {
  const { rows } = await client.query(
    'INSERT INTO event_migrations (name, target, end_position) VALUES ($1, $2, $3) RETURNING *',
    [name, target, endPosition ?? null],
  );
  return toCheckpoint(rows[0]);
}

export async function deleteCheckpoint(client: PoolClient, name: string, target: string): Promise<void> {
  await client.query('DELETE FROM event_migrations WHERE name = $1 AND target = $2', [name, target]);
}

/**
 * Moves the checkpoint past a batch, in the batch's transaction. Guarded by the position
 * the batch started from, so two runs of one migration never both write a batch.
 * @throws Error when another run moved it meanwhile
 */
export async function advanceCheckpoint(
  client: PoolClient,
  from: MigrationCheckpoint,
  batch: { position: number; read: number; changed: number },
): Promise<MigrationCheckpoint> {
  const { rowCount } = await client.query(
    `UPDATE event_migrations
        SET last_position = $4, events_read = events_read + $5, events_changed = events_changed + $6, updated_at = now()
      WHERE name = $1 AND target = $2 AND last_position = $3`,
    [from.name, from.target, from.position, batch.position, batch.read, batch.changed],
  );
  if (rowCount !== 1) {
    throw new Error(`Another run of ${from.name} into ${from.target} moved its checkpoint past ${from.position}`);
  }
  return {
    ...from,
    position: batch.position,
    read: from.read + batch.read,
    changed: from.changed + batch.changed,
  };
}

export async function finishCheckpoint(client: PoolClient, checkpoint: MigrationCheckpoint): Promise<void> {
  await client.query(
    'UPDATE event_migrations SET finished_at = now(), updated_at = now() WHERE name = $1 AND target = $2',
    [checkpoint.name, checkpoint.target],
  );
}
