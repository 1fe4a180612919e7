import { DataSource, type DataSourceOptions } from 'typeorm';

// Any number that no other advisory lock of the app uses.
const MIGRATION_LOCK = 7262873648392818;

/**
 * Connects and brings the schema up to date. Instances starting together on one database
 * take turns (TypeORM has no migration lock of its own): the first applies the pending
 * migrations, the others then find none.
 */
export async function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  const dataSource = new DataSource({ ...options, migrationsRun: false });
  await dataSource.initialize();
  try {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      await runner.release();
    }
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}
