import pg from 'pg';
import type { QueryRunner } from 'typeorm';
import { AccountOwners1795680000011 } from '../../migrations/1795680000011-account-owners.js';
import { migrations } from '../../migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let database: TestDatabase;
let client: pg.Client;
beforeAll(async () => {
  database = await createTestDatabase();
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await database?.drop();
});

const runner = () =>
  ({ query: (sql: string, values?: unknown[]) => client.query(sql, values) }) as unknown as QueryRunner;

describe('the migration that adds account_summaries.opened_by', () => {
  it("fills it for accounts opened before, from their first event's actor", async () => {
    for (const Migration of migrations.slice(0, migrations.indexOf(AccountOwners1795680000011))) {
      await new Migration().up(runner());
    }
    const alices = '0196a4c2-0000-7000-8000-00000000000a';
    const anonymous = '0196a4c2-0000-7000-8000-00000000000b';
    for (const [id, metadata] of [
      [alices, { correlationId: 'c', causationId: 'c', actorId: 'alice' }],
      [anonymous, { correlationId: 'c', causationId: 'c' }],
    ] as const) {
      await client.query(
        `INSERT INTO events (event_id, stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at, transaction_id)
         VALUES (gen_random_uuid(), $1, 'Account', 1, 'AccountOpened', 2, '{}', $2, now(), pg_current_xact_id())`,
        [id, metadata],
      );
      await client.query(
        `INSERT INTO account_summaries (id, owner, currency, balance, overdraft_limit, status, version, opened_at, updated_at)
         VALUES ($1, 'Someone', 'EUR', 0, 0, 'open', 1, now(), now())`,
        [id],
      );
    }
    await new AccountOwners1795680000011().up(runner());
    const { rows } = await client.query('SELECT id, opened_by FROM account_summaries ORDER BY id');
    expect(rows).toEqual([
      { id: alices, opened_by: 'alice' },
      { id: anonymous, opened_by: null },
    ]);
  });
});
