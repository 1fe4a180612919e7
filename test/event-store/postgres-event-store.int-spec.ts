import { PostgresEventStore } from '../../src/event-sourcing/store/postgres-event-store.js';
import { eventStoreContract } from '../support/event-store-contract.js';
import { createMigratedDatabase } from '../support/test-database.js';

describe('PostgresEventStore', () => {
  eventStoreContract(async () => {
    const database = await createMigratedDatabase();
    return { store: new PostgresEventStore(database.pool), close: database.drop };
  });
});
