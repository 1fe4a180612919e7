import { PostgresEventStore } from '../../src/event-sourcing/store/postgres-event-store.js';
import { eventStoreContract } from '../support/event-store-contract.js';
import { createMigratedDatabase } from '../support/test-database.js';
import { createPartitionedDatabase } from '../partitioning/partitioned-database.js';

describe('PostgresEventStore', () => {
  eventStoreContract(async () => {
    const database = await createMigratedDatabase();
    return { store: new PostgresEventStore(database.pool), close: database.drop };
  });
});

// Partitions of 10 positions: the contract's streams and log reads cross their bounds.
describe('PostgresEventStore on a partitioned log', () => {
  eventStoreContract(async () => {
    const database = await createPartitionedDatabase({ size: 10, ahead: 30 });
    return { store: new PostgresEventStore(database.pool), close: database.drop };
  });
});
