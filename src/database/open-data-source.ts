import { DataSource, type DataSourceOptions } from 'typeorm';
import { withoutQueryTimeout } from './pooled-client.js';

// Any number that no other advisory lock of the app uses.
const MIGRATION_LOCK = 7262873648392818;

/**
 * Connects and brings the schema up to date. Instances starting together on one database
 * take turns (TypeORM has no migration lock of its own): the first applies the pending
 * migrations, the others then find none. A migration may rightly run for minutes (an index
 * on a long log), and so may the wait for the lock: neither is cut by DATABASE_QUERY_TIMEOUT_MS.
 */
export async function openDataSource(
  options: DataSourceOptions,
  log: (line: string) => void = () => undefined,
): Promise<DataSource> {
  const dataSource = new DataSource({ ...options, migrationsRun: false });
  await dataSource.initialize();
  try {
    const applied = await withoutQueryTimeout(() => migrate(dataSource));
    // Said at every start, so that what changed the schema, and when, is in the log.
    log(applied.length === 0 ? 'the schema is up to date' : `applied migrations: ${applied.join(', ')}`);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/** Applies the pending migrations; returns their names, oldest first. */
async function migrate(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    return (await dataSource.runMigrations({ transaction: 'each' })).map((migration) => migration.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
