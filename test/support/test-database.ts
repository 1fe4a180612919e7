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

/** This jest worker's test server (global-setup.mjs starts one per worker unless DATABASE_URL is set). */
function adminUrl(): string {
  const urls = process.env.CHRONICLE_TEST_ADMIN_URLS?.split(' ');
  if (!urls) throw new Error('No test database server: jest must run with test/support/global-setup.mjs');
  return urls[(Number(process.env.JEST_WORKER_ID ?? 1) - 1) % urls.length];
}

async function asAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function urlOf(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The run's migrated template (named by global-setup.mjs), made by the first test file
 * that asks for it: the others wait on an advisory lock, then find it whole. Migrating
 * once and cloning is several times faster than migrating every test file's database.
 */
async function migratedTemplate(): Promise<string> {
  const template = process.env.CHRONICLE_TEST_TEMPLATE;
  if (!template) throw new Error('No template database name: jest must run with test/support/global-setup.mjs');
  await asAdmin(async (admin) => {
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [template]);
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (rowCount) return;
    await admin.query(`CREATE DATABASE ${template}`);
    try {
      const dataSource = await openDataSource(databaseOptions(urlOf(template), loadConfig({}).database));
      await dataSource.destroy();
    } catch (error) {
      await admin.query(`DROP DATABASE ${template} WITH (FORCE)`);
      throw error;
    }
    // The advisory lock goes with the session.
  });
  return template;
}

/**
 * A database of the test file's own on the test server, so test files can run in parallel
 * and leave nothing behind: empty, or `migrated` (every migration applied, as the app
 * leaves it at start).
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `chronicle_test_${randomBytes(6).toString('hex')}`;
  const template = options.migrated ? ` TEMPLATE ${await migratedTemplate()}` : '';
  await asAdmin((admin) => admin.query(`CREATE DATABASE ${name}${template}`));
  return {
    url: urlOf(name),
    drop: () => asAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** A migrated database (a fresh one on the test server unless given) and a TypeORM DataSource on it, as the app opens it. */
export async function createMigratedDatabase(database?: TestDatabase): Promise<{
  dataSource: DataSource;
  pool: pg.Pool;
  drop(): Promise<void>;
}> {
  database ??= await createTestDatabase({ migrated: true });
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
