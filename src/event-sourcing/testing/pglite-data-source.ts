import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { freshCluster } from './pglite-cluster.js';

/** What a database for specs is made of: the app's migrations, and the entities TypeORM must know. */
export interface SpecDatabaseOptions {
  /** Run in order on the new database, as the app runs them at start (`migrationsTransactionMode: 'each'`). */
  migrations: NonNullable<DataSourceOptions['migrations']>;
  entities?: DataSourceOptions['entities'];
}

/** A DataSource on a database of its own, and how to close both. */
export interface SpecDatabase {
  dataSource: DataSource;
  close(): Promise<void>;
}

/**
 * A TypeORM DataSource on PGlite (PostgreSQL compiled to WebAssembly, in this process, in
 * memory) through the real `pg` driver: PGlite's own node-postgres connection stands in for
 * the socket, so TypeORM and pg parse results as they do against a server. PGlite serves one
 * connection, so the pool holds exactly one, kept for the DataSource's life.
 */
export async function openPGliteDataSource({ migrations, entities }: SpecDatabaseOptions): Promise<SpecDatabase> {
  const pglite = await freshCluster();
  const dataSource = new DataSource({
    type: 'postgres',
    migrations,
    migrationsTransactionMode: 'each',
    entities,
    synchronize: false,
    logging: false,
    extra: { ...createPgConfig(pglite), max: 1, idleTimeoutMillis: 0 },
  });
  try {
    await dataSource.initialize();
    await dataSource.runMigrations();
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await pglite.close();
    throw error;
  }
  return {
    dataSource,
    async close() {
      await dataSource.destroy();
      // Ending pg's connection leaves PGlite open: whoever created it closes it.
      await pglite.close();
    },
  };
}
