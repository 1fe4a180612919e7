import { enablePartitioning, type EnablePartitioningOptions } from '#event-sourcing/postgres';
import { createMigratedDatabase } from '../support/test-database.js';

/** A migrated test database whose log is partitioned (tiny partitions, so tests cross their bounds). */
export async function createPartitionedDatabase(options: EnablePartitioningOptions) {
  const database = await createMigratedDatabase();
  const client = await database.pool.connect();
  try {
    await enablePartitioning(client, options);
  } finally {
    client.release();
  }
  return database;
}
