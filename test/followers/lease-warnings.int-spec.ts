import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { PostgresCheckpointStore } from '#event-sourcing/postgres';
import { FollowerLeases } from '../../src/event-sourcing/subscriptions/follower-leases.js';
import { createMigratedDatabase, createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { until } from '../support/until.js';

/**
 * Ctrl-C reaches an embedded PostgreSQL together with the app, so the server may end the
 * lease connection before the app closes it: once the app has begun to stop, that is no
 * news, and no warning. Any other loss of the connection still warns.
 */
let database: TestDatabase;
let dataSource: DataSource;
let dropDatabase: () => Promise<void>;
beforeAll(async () => {
  database = await createTestDatabase();
  ({ dataSource, drop: dropDatabase } = await createMigratedDatabase(database));
  await new PostgresCheckpointStore(dataSource).create(['lease-warnings']);
});
afterAll(() => dropDatabase());
afterEach(() => jest.restoreAllMocks());

/** Holds a lease, then has the server end that session, as its shutdown does. */
async function loseTheConnection(closingSoon: boolean): Promise<string[]> {
  const warnings: string[] = [];
  jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
  const leases = new FollowerLeases({
    connection: { connectionString: database.url },
    timeoutSeconds: 0,
    checkpoints: new PostgresCheckpointStore(dataSource),
    onNotification: () => undefined,
  });
  try {
    expect(await leases.hold('lease-warnings')).toEqual(expect.any(Number));
    if (closingSoon) leases.closingSoon();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'chronicle-followers'`,
    );
    await admin.end();
    await until(
      async () => leases.isHeld('lease-warnings'),
      (held) => !held,
      'the lease to be given up',
    );
    return warnings.filter((warning) => warning.includes('lease connection'));
  } finally {
    await leases.close();
  }
}

it('warns when the lease connection is lost while the app runs', async () => {
  expect(await loseTheConnection(false)).toEqual([expect.stringContaining('lease connection lost')]);
});

it('says nothing worse than debug once the app has begun to stop', async () => {
  expect(await loseTheConnection(true)).toEqual([]);
});
