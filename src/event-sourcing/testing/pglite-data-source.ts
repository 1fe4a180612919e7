import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { DataSource, type DataSourceOptions } from 'typeorm';

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

/**
 * A new PGlite cluster. Making one runs initdb, seconds of WebAssembly (4.6 s here, against
 * 0.8 s to load a saved one); every new cluster of one PGlite version is the same, so the
 * first is saved in the `.cache` folder of the node_modules PGlite is installed in (the
 * user's own, not a shared temporary folder) and later ones are loaded from it.
 */
export async function freshCluster(cache = clusterCacheFile()): Promise<PGlite> {
  const saved = await readFile(cache).catch(() => undefined);
  if (saved) {
    try {
      return await PGlite.create({ loadDataDir: new Blob([saved]) });
    } catch {
      // Unreadable (written by another version in place): made again below, and saved over it.
    }
  }
  const pglite = await PGlite.create();
  const dump = await pglite.dumpDataDir('none');
  // Written aside and renamed: a spec starting meanwhile in another worker reads all of it or none.
  const partial = `${cache}.${randomUUID()}`;
  try {
    await mkdir(dirname(cache), { recursive: true });
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, cache);
  } catch {
    // A read-only install: every spec makes its own cluster, as it did without the cache.
  }
  return pglite;
}

/** Where the cluster of the installed PGlite version is kept: beside the package, named by its version. */
function clusterCacheFile(): string {
  const require = createRequire(import.meta.url);
  // .../node_modules/@electric-sql/pglite/dist/index.cjs
  const packageRoot = join(dirname(require.resolve('@electric-sql/pglite')), '..');
  const { version } = require(join(packageRoot, 'package.json')) as { version: string };
  return join(packageRoot, '..', '..', '.cache', 'chronicle', `pglite-${version}-cluster.tar`);
}
