import type pg from 'pg';
import { runEventMigration, enablePartitioning } from '#event-sourcing/postgres';
import { PlainEventCodec } from '#event-sourcing';
import { accountOpenedV2, rowsOf, seedLog } from '../event-migrations/event-migrations-harness.js';
import { createMigratedDatabase } from '../support/test-database.js';

let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
let pool: pg.Pool;
const migrate = (into?: string) =>
  runEventMigration(pool, new PlainEventCodec(), accountOpenedV2, { into, batchSize: 64, log: () => undefined });

beforeAll(async () => {
  database = await createMigratedDatabase();
  pool = database.pool;
  const client = await pool.connect();
  await enablePartitioning(client, { size: 100, ahead: 5 }).finally(() => client.release());
  await seedLog(pool, 500);
});
afterAll(() => database?.drop());

describe('event migrations on a partitioned log', () => {
  it('refuse to copy and swap, and name the way that works', async () => {
    await expect(migrate('events_v2')).rejects.toThrow(/events is partitioned.*Migrate in place instead/);
    const { rows } = await pool.query(`SELECT to_regclass('events_v2') AS copy`);
    expect(rows[0].copy).toBeNull();
  });

  it('rewrite events in place, in every partition', async () => {
    const before = await rowsOf(pool);
    expect(await migrate()).toMatchObject({ status: 'finished', read: 500, changed: 50 });

    const after = await rowsOf(pool);
    expect(after.map((r) => r.position)).toEqual(before.map((r) => r.position));
    after.forEach((row, i) => {
      const old = before[i];
      if (old.type === 'AccountOpened' && old.schema_version === 1) {
        expect(row).toEqual({ ...old, schema_version: 2, data: { ...(old.data as object), currency: 'EUR' } });
      } else {
        expect(row).toEqual(old);
      }
    });
    const { rows } = await pool.query(
      `SELECT count(DISTINCT tableoid)::int AS holding, count(DISTINCT tableoid) FILTER (WHERE type = 'AccountOpened' AND schema_version = 2)::int AS migrated
         FROM events`,
    );
    // The sixth partition holds one event, position 500, which is no AccountOpened.
    expect(rows[0]).toEqual({ holding: 6, migrated: 5 });
  });
});
