import { PostgresCheckpointStore, PostgresEventStore } from '#event-sourcing/postgres';
import { checkpointStoreContract } from '../support/checkpoint-store-contract.js';
import { createMigratedDatabase } from '../support/test-database.js';

describe('PostgresCheckpointStore', () => {
  checkpointStoreContract(async () => {
    const { dataSource, pool, drop } = await createMigratedDatabase();
    return {
      checkpoints: new PostgresCheckpointStore(dataSource),
      log: new PostgresEventStore(pool),
      transaction: (work) => dataSource.transaction(work),
      close: drop,
    };
  });
});
