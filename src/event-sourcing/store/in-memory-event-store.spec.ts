import { eventStoreContract } from '../../../test/support/event-store-contract.js';
import { InMemoryEventStore } from './in-memory-event-store.js';

describe('InMemoryEventStore', () => {
  eventStoreContract(async () => ({ store: new InMemoryEventStore(), close: async () => undefined }));
});
