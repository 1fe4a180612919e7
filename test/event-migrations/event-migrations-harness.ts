import type pg from 'pg';
import type { EventMigration } from '#event-sourcing';

/**
 * The kind of rewrite a context ships, for the rows seedLog writes: AccountOpened of schema
 * version 1 (no currency) stored as version 2 with currency EUR. The runner's fixture, so
 * that these tests need no bounded context.
 */
export const accountOpenedV2: EventMigration = {
  name: 'account-opened-v2',
  description: 'AccountOpened schema version 1 (no currency) rewritten as version 2 (currency EUR)',
  transform: (event) =>
    event.type === 'AccountOpened' && event.schemaVersion === 1
      ? { ...event, schemaVersion: 2, data: { ...event.data, currency: event.data.currency ?? 'EUR' } }
      : event,
};

/**
 * Appends `count` events straight into the log, as code of several ages would have stored
 * them: per account stream an AccountOpened (every other one at schema version 1, with no
 * currency) and four MoneyDeposited. One transaction, so every row is visible at once.
 */
export async function seedLog(pool: pg.Pool, count: number): Promise<void> {
  await pool.query(
    `INSERT INTO events (event_id, stream_id, stream_type, version, type, schema_version, data, metadata,
                         recorded_at, transaction_id)
     SELECT gen_random_uuid(), 'account-' || n / 5, 'Account', n % 5 + 1,
            CASE WHEN n % 5 = 0 THEN 'AccountOpened' ELSE 'MoneyDeposited' END,
            CASE WHEN n % 10 = 5 THEN 2 ELSE 1 END,
            CASE WHEN n % 10 = 0 THEN jsonb_build_object('owner', 'Owner ' || n, 'overdraftLimit', n % 7)
                 WHEN n % 10 = 5 THEN jsonb_build_object('owner', 'Owner ' || n, 'currency', 'USD', 'overdraftLimit', 0)
                 ELSE jsonb_build_object('amount', n) END,
            jsonb_build_object('correlationId', 'c' || n, 'causationId', 'c' || n),
            now(), pg_current_xact_id()
       FROM generate_series(0, $1 - 1) AS n`,
    [count],
  );
}

/** Every row of a table shaped like the log, in position order. */
export async function rowsOf(pool: pg.Pool, table = 'events'): Promise<Record<string, unknown>[]> {
  return (await pool.query(`SELECT * FROM ${table} ORDER BY position`)).rows;
}

/** Keeps the log as it is now, to start a scenario again from the same rows. */
export async function saveLog(pool: pg.Pool, table: string): Promise<void> {
  await pool.query(`CREATE TABLE ${table} AS SELECT * FROM events`);
}

/** Puts back a saved log, and forgets every migration run. */
export async function restoreLog(pool: pg.Pool, table: string): Promise<void> {
  await pool.query('TRUNCATE events, event_migrations');
  await pool.query(`INSERT INTO events OVERRIDING SYSTEM VALUE SELECT * FROM ${table}`);
}
