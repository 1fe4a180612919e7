import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { loadConfig } from '../src/config/app-config.js';
import { databaseOptions } from '../src/database/database-options.js';
import { openDataSource } from '../src/database/open-data-source.js';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';

/** The raw contenders' table: the columns, keys and identity of `events`, without the append function. */
export const RAW_TABLE = 'bench_raw_events';

/** The lean baseline's table (issue 21): what a hand-written event store keeps per event, and no more. */
export const LEAN_TABLE = 'bench_lean_events';

/**
 * A lean event table: a global position, the stream's id and version (their primary key is
 * the expected-version check), the type, the payload and the time. Chronicle's `events`
 * adds the event id, stream type, schema version, metadata and transaction id, and indexes.
 */
export const leanTable = (name: string) => `
  CREATE TABLE ${name} (
    position    bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    stream_id   text        NOT NULL,
    version     integer     NOT NULL,
    type        text        NOT NULL,
    data        jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream_id, version)
  )`;

/** Copies `events` (those of `where`) into a lean table, positions included, and moves its identity past them. */
export async function copyToLean(client: pg.ClientBase, name: string, where = 'true', values: unknown[] = []) {
  await client.query(
    `INSERT INTO ${name} (position, stream_id, version, type, data, created_at) OVERRIDING SYSTEM VALUE
     SELECT position, stream_id, version, type, data, recorded_at FROM events WHERE ${where}`,
    values,
  );
  await client.query(
    `SELECT setval(pg_get_serial_sequence('${name}', 'position'), coalesce((SELECT max(position) FROM ${name}), 0) + 1, false)`,
  );
}

const SETTINGS = [
  'fsync',
  'synchronous_commit',
  'shared_buffers',
  'wal_buffers',
  'wal_level',
  'commit_delay',
  'max_wal_size',
  'max_connections',
];

export interface ServerInfo {
  source: 'embedded' | 'DATABASE_URL';
  version: string;
  settings: Record<string, string>;
}

/** Another fresh, migrated database on the same server, for a workload that needs a log of its own. */
export interface FreshDatabase {
  name: string;
  /** Initialised (it ran the migrations) with the app's options and these entities. */
  dataSource: DataSource;
  /** A connection outside the measured pools, for checks and wait sampling. */
  control: pg.Client;
  /** A pool with the app's session settings. */
  pool(max: number): pg.Pool;
  /** Destroys the DataSource and drops the database. */
  close(): Promise<void>;
}

/** Another empty database on the same server, for a peer that creates its own schema. */
export interface EmptyDatabase {
  name: string;
  url: string;
  /** A connection outside the measured pools, for wait sampling. */
  control: pg.Client;
  /** Drops the database. */
  close(): Promise<void>;
}

export interface BenchDatabase {
  server: ServerInfo;
  /** A connection outside the measured pools, for resets and wait sampling. */
  control: pg.Client;
  /** A pool with the app's session settings (statement and idle-in-transaction timeouts). */
  pool(max: number): pg.Pool;
  /** Copies the seeded log into the raw and lean tables, then vacuums and analyses all three, so all start alike. */
  mirrorLog(): Promise<void>;
  /** Run before each cell, so that no cell gets a checkpoint (and the full-page writes after it) of its own. */
  checkpoint(): Promise<void>;
  /** Creates and migrates another database on the same server; close() drops it too if still there. */
  freshDatabase(entities: NonNullable<DataSourceOptions['entities']>): Promise<FreshDatabase>;
  /** Creates another database on the same server, and leaves it empty; close() drops it too if still there. */
  emptyDatabase(): Promise<EmptyDatabase>;
  close(): Promise<void>;
}

/** A TCP port nothing listens on now, for a server the benchmark starts. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function asAdmin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function serverInfo(control: pg.Client, source: ServerInfo['source']): Promise<ServerInfo> {
  const { rows } = await control.query<{ name: string; value: string }>(
    'SELECT name, current_setting(name) AS value FROM unnest($1::text[]) AS name',
    [SETTINGS],
  );
  const version = await control.query<{ server_version: string }>('SHOW server_version');
  return {
    source,
    version: version.rows[0].server_version,
    settings: Object.fromEntries(rows.map((row) => [row.name, row.value])),
  };
}

/**
 * A fresh database, migrated as the app migrates it, on DATABASE_URL's server or else on a
 * throwaway embedded PostgreSQL. A database of its own so that a run never touches app data.
 */
export async function openBenchDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  const config = loadConfig();
  let adminUrl = config.databaseUrl;
  let stopServer = async (): Promise<void> => undefined;
  if (!adminUrl) {
    const dataDir = await mkdtemp(join(tmpdir(), 'chronicle-bench-postgres-'));
    log(`DATABASE_URL is not set: starting a throwaway embedded PostgreSQL in ${dataDir}`);
    const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: false });
    adminUrl = server.url;
    stopServer = server.stop;
  }
  const admin = adminUrl;
  const urlOf = (database: string) => {
    const url = new URL(admin);
    url.pathname = `/${database}`;
    return url.toString();
  };
  const newName = () => `chronicle_bench_${randomBytes(6).toString('hex')}`;
  const name = newName();
  const url = urlOf(name);
  const siblings = new Set<string>();
  const dropDatabase = async (database: string) => {
    await asAdmin(admin, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    siblings.delete(database);
  };
  const createSibling = async () => {
    const sibling = newName();
    siblings.add(sibling);
    await asAdmin(admin, `CREATE DATABASE ${sibling}`);
    return { name: sibling, url: urlOf(sibling) };
  };
  const drop = async () => {
    for (const sibling of [...siblings]) await dropDatabase(sibling);
    await dropDatabase(name);
    await stopServer();
  };

  let control: pg.Client | undefined;
  try {
    await asAdmin(admin, `CREATE DATABASE ${name}`);
    const options = databaseOptions(url, config.database);
    const dataSource = await openDataSource(options); // migrates, as at app start
    await dataSource.destroy();

    control = new pg.Client({ connectionString: url });
    await control.connect();
    await control.query(`CREATE TABLE ${RAW_TABLE} (LIKE events INCLUDING ALL)`);
    await control.query(leanTable(LEAN_TABLE));
    const server = await serverInfo(control, config.databaseUrl ? 'DATABASE_URL' : 'embedded');
    const poolConfig = (connectionString: string): pg.PoolConfig => ({
      connectionString,
      ...(options as { extra?: pg.PoolConfig }).extra,
    });
    const newPool = (connectionString: string, max: number) => {
      const pool = new pg.Pool({ ...poolConfig(connectionString), max });
      pool.on('error', (error) => log(`idle pooled connection failed: ${error.message}`));
      return pool;
    };
    const connection = control;
    let checkpoints = true;

    return {
      server,
      control,
      pool: (max) => newPool(url, max),
      async mirrorLog() {
        await connection.query(`INSERT INTO ${RAW_TABLE} OVERRIDING SYSTEM VALUE SELECT * FROM events`);
        await connection.query(
          `SELECT setval(pg_get_serial_sequence('${RAW_TABLE}', 'position'), (SELECT max(position) FROM ${RAW_TABLE}))`,
        );
        await copyToLean(connection, LEAN_TABLE);
        // Hint bits set now rather than by whichever reader comes first; statistics that know
        // the log is large, so that no plan is made for an empty table.
        await connection.query(`VACUUM (ANALYZE) events, ${RAW_TABLE}, ${LEAN_TABLE}`);
      },
      async checkpoint() {
        if (!checkpoints) return;
        await connection.query('CHECKPOINT').catch((error: Error) => {
          checkpoints = false;
          log(`CHECKPOINT refused (${error.message}): cells run without one before them`);
        });
      },
      async freshDatabase(entities) {
        const { name: sibling, url: siblingUrl } = await createSibling();
        const dataSource = await openDataSource({ ...databaseOptions(siblingUrl, config.database), entities });
        const siblingControl = new pg.Client({ connectionString: siblingUrl });
        await siblingControl.connect().catch(async (error: Error) => {
          await dataSource.destroy();
          throw error;
        });
        return {
          name: sibling,
          dataSource,
          control: siblingControl,
          pool: (max) => newPool(siblingUrl, max),
          async close() {
            await siblingControl.end();
            if (dataSource.isInitialized) await dataSource.destroy();
            await dropDatabase(sibling);
          },
        };
      },
      async emptyDatabase() {
        const { name: sibling, url: siblingUrl } = await createSibling();
        const siblingControl = new pg.Client({ connectionString: siblingUrl });
        await siblingControl.connect();
        return {
          name: sibling,
          url: siblingUrl,
          control: siblingControl,
          async close() {
            await siblingControl.end();
            await dropDatabase(sibling);
          },
        };
      },
      async close() {
        await connection.end();
        await drop();
      },
    };
  } catch (error) {
    await control?.end();
    await drop();
    throw error;
  }
}
