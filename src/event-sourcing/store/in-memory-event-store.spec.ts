import { eventStoreContract } from '../../../test/support/event-store-contract.js';
import { InMemoryEventStore } from './in-memory-event-store.js';

describe('InMemoryEventStore', () => {
  eventStoreContract(async (now) => ({ store: new InMemoryEventStore(now), close: async () => undefined }));
});
