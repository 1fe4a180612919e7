import type { ClientBase } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { CheckpointMovedError, CheckpointStore, type CheckpointStatus } from './checkpoint-store.js';
import type { FollowerError } from './follower-retry.js';

// The next event stored after each checkpoint, committed whether or not a follower may read
// it yet: it may not while an append that took a position before it is still in flight
// (docs/ARCHITECTURE.md, "The log"), and the follower is held back by that append.
const STATUSES = `
  WITH in_flight AS MATERIALIZED (SELECT first_position FROM chronicle_appends_in_flight())
  SELECT f.name, f.position, f.last_error, f.updated_at,
         (SELECT coalesce(max(position), 0) FROM events) AS head,
         next.recorded_at AS next_recorded_at,
         EXISTS (SELECT FROM in_flight i WHERE i.first_position > f.position AND i.first_position < next.position)
           AS held_back
    FROM followers f
    LEFT JOIN LATERAL (
      SELECT e.recorded_at, e.position FROM events e WHERE e.position > f.position ORDER BY e.position LIMIT 1
    ) next ON true
   ORDER BY f.name`;

interface StatusRow {
  name: string;
  position: string;
  last_error: FollowerError | null;
  updated_at: Date;
  head: string;
  next_recorded_at: Date | null;
  held_back: boolean | null;
}

/**
 * The checkpoints in the `followers` table (migrations/1795680000001-followers.ts), one
 * row per follower. A transaction is a TypeORM `EntityManager`, the one the follower's
 * handlers write through; the store's other statements run on the DataSource's pool.
 */
export class PostgresCheckpointStore extends CheckpointStore<EntityManager> {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async create(names: readonly string[]): Promise<void> {
    await this.dataSource.query('INSERT INTO followers (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [
      names,
    ]);
  }

  async position(name: string): Promise<number | undefined> {
    const rows: { position: string }[] = await this.dataSource.query('SELECT position FROM followers WHERE name = $1', [
      name,
    ]);
    return rows.length === 0 ? undefined : Number(rows[0].position);
  }

  async move(
    name: string,
    from: number,
    to: number,
    transaction = this.dataSource.manager,
    lease?: number,
  ): Promise<void> {
    // A claim waits for this row's lock, or this waits for the claim's and then sees its token.
    const [, updated] = await transaction.query(
      `UPDATE followers SET position = $3, updated_at = now(), last_error = NULL
        WHERE name = $1 AND position = $2 AND ($4::bigint IS NULL OR lease_token <= $4)`,
      [name, from, to, lease ?? null],
    );
    if (updated !== 1) throw new CheckpointMovedError(name, from);
  }

  async claim(name: string): Promise<number> {
    const [rows]: [{ lease_token: string }[]] = await this.dataSource.query(
      `UPDATE followers SET lease_token = nextval('follower_lease_tokens') WHERE name = $1 RETURNING lease_token`,
      [name],
    );
    if (rows.length !== 1) throw new Error(`${name} has no checkpoint`);
    return Number(rows[0].lease_token);
  }

  async hold(name: string, transaction: EntityManager): Promise<void> {
    await transaction.query('SELECT 1 FROM followers WHERE name = $1 FOR UPDATE', [name]);
  }

  async reset(name: string, position: number, transaction = this.dataSource.manager): Promise<void> {
    await transaction.query(
      'UPDATE followers SET position = $2, last_error = NULL, updated_at = now() WHERE name = $1',
      [name, position],
    );
  }

  async recordFailure(name: string, failure: FollowerError): Promise<void> {
    await this.dataSource.query('UPDATE followers SET last_error = $2 WHERE name = $1', [name, failure]);
  }

  async statuses(): Promise<CheckpointStatus[]> {
    const rows: StatusRow[] = await this.dataSource.query(STATUSES);
    return rows.map((row) => ({
      name: row.name,
      position: Number(row.position),
      lastError: row.last_error,
      updatedAt: row.updated_at,
      head: Number(row.head),
      nextRecordedAt: row.next_recorded_at,
      heldBack: row.held_back === true,
    }));
  }
}

/**
 * The followers whose checkpoint is before `position`, as "name (at position)": read on the
 * caller's own pg client, inside its transaction, by the partition tool, which must refuse
 * to detach events a follower has yet to read (and runs without TypeORM).
 */
export async function followersBefore(client: Pick<ClientBase, 'query'>, position: number): Promise<string[]> {
  const { rows } = await client.query<{ name: string; position: string }>(
    'SELECT name, position FROM followers WHERE position < $1 ORDER BY name',
    [position],
  );
  return rows.map((f) => `${f.name} (at ${f.position})`);
}
