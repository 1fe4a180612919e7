import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { loadConfig } from '../../src/config/app-config.js';
import { databaseOptions } from '../../src/database/database-options.js';
import { pooledClient, withoutQueryTimeout } from '../../src/database/pooled-client.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { until } from '../support/until.js';

// A server that takes longer than DATABASE_QUERY_TIMEOUT_MS to answer: pg_sleep stands in
// for a stopped one (test/faults/database-freeze.e2e-spec.ts stops one for real).
const QUERY_TIMEOUT_MS = 200;
const SLOW = 'SELECT pg_sleep(1)';

let database: TestDatabase;
let dataSource: DataSource;
let observer: DataSource;

beforeAll(async () => {
  database = await createTestDatabase();
  const config = loadConfig({}).database;
  // No TypeORM log line for the statements cut on purpose.
  dataSource = await initialized({
    ...databaseOptions(database.url, { ...config, poolSize: 2, queryTimeoutMs: QUERY_TIMEOUT_MS }),
    logging: false,
  });
  observer = await new DataSource(databaseOptions(database.url, { ...config, poolSize: 1 })).initialize();
  await observer.query('CREATE TABLE written (id integer)');
});

afterAll(async () => {
  await dataSource?.destroy();
  await observer?.destroy();
  await database?.drop();
});

/**
 * Opening a DataSource asks the server its version, under the same 200 ms: on a loaded
 * machine that first answer can take longer (a fresh-clone run beside another suite timed
 * out there), so opening is tried again; the tests' own statements are what they time.
 */
async function initialized(options: DataSourceOptions): Promise<DataSource> {
  for (let attempt = 1; ; attempt++) {
    const source = new DataSource(options);
    try {
      return await source.initialize();
    } catch (error) {
      // The pool the failed attempt opened.
      await source.driver.disconnect().catch(() => undefined);
      if (attempt === 10) throw error;
    }
  }
}

/** The sessions of `dataSource`'s pool that the server still runs. */
async function sessions(): Promise<number> {
  const [{ n }] = await observer.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'chronicle' AND pid <> pg_backend_pid()`,
  );
  return n;
}

describe('DATABASE_QUERY_TIMEOUT_MS', () => {
  it('fails a statement not answered in time, and closes its connection, which ends its transaction', async () => {
    const write = dataSource.transaction(async (manager) => {
      await manager.query('INSERT INTO written VALUES (1)');
      await manager.query(SLOW);
    });
    await expect(write).rejects.toThrow(/Query read timeout: the database did not answer within 200 ms/);

    // The pool dropped the client; the server ends the session once the statement is over, and its insert with it.
    const pool = (dataSource.driver as unknown as { master: { totalCount: number } }).master;
    expect(pool.totalCount).toBe(0);
    await until(sessions, (n) => n === 0, 'the session to end');
    expect(await observer.query('SELECT count(*)::int AS n FROM written')).toEqual([{ n: 0 }]);
    // New connections serve as before.
    expect(await dataSource.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('does not cut the statements of work run withoutQueryTimeout (migrations, tools)', async () => {
    const slow = withoutQueryTimeout(() => dataSource.query('SELECT 1 AS one FROM pg_sleep(0.5)'));
    await expect(slow).resolves.toEqual([{ one: 1 }]);
  });

  it('cuts statements again after such work, and lets later work run unlimited too', async () => {
    const unlimited = () => withoutQueryTimeout(() => dataSource.query('SELECT 1 AS one FROM pg_sleep(0.5)'));
    // Side by side: the first to end must not lift the other's exemption.
    const [long, short] = [unlimited(), withoutQueryTimeout(() => dataSource.query('SELECT 1 AS one'))];
    await expect(short).resolves.toEqual([{ one: 1 }]);
    await expect(long).resolves.toEqual([{ one: 1 }]);
    await expect(dataSource.query(SLOW)).rejects.toThrow(/did not answer within 200 ms/);
    await expect(unlimited()).resolves.toEqual([{ one: 1 }]);
  });

  it('gives a new connection as long to be answered, however long DATABASE_POOL_WAIT_MS is', async () => {
    // A server that accepts connections and then says nothing, as a stopped one does.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const pool = new pg.Pool({
      connectionString: `postgres://nobody@127.0.0.1:${port}/none`,
      Client: pooledClient(QUERY_TIMEOUT_MS),
      connectionTimeoutMillis: 10 * QUERY_TIMEOUT_MS,
    });
    try {
      const error = await pool.query('SELECT 1').catch((failure: unknown) => failure);
      // pg's own connect timeout, not pg-pool's (which would say 'Connection terminated due to connection timeout').
      expect(error).toMatchObject({ message: 'timeout expired' });
    } finally {
      await pool.end();
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
