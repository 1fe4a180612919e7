import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config.js';
import { databaseOptions } from '../../src/database/database-options.js';
import { openDataSource } from '../../src/database/open-data-source.js';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.CHRONICLE_TEST_ADMIN_URL;
  if (!url) throw new Error('No test database server: jest must run with test/support/global-setup.mjs');
  return url;
}

async function asAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on the test server, so test files can run in parallel and leave nothing behind. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `chronicle_test_${randomBytes(6).toString('hex')}`;
  await asAdmin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => asAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** A migrated database (a fresh one on the test server unless given) and a TypeORM DataSource on it, as the app opens it. */
export async function createMigratedDatabase(database?: TestDatabase): Promise<{
  dataSource: DataSource;
  pool: pg.Pool;
  drop(): Promise<void>;
}> {
  database ??= await createTestDatabase();
  const dataSource = await openDataSource(databaseOptions(database.url, { ...loadConfig({}).database, poolSize: 40 }));
  return {
    dataSource,
    pool: (dataSource.driver as unknown as { master: pg.Pool }).master,
    drop: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
}
