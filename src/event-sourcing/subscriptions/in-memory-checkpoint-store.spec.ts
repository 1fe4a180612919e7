import { checkpointStoreContract } from '../../../test/support/checkpoint-store-contract.js';
import { InMemoryEventStore } from '../store/in-memory-event-store.js';
import { InMemoryCheckpointStore } from './in-memory-checkpoint-store.js';

describe('InMemoryCheckpointStore', () => {
  checkpointStoreContract(async () => {
    const log = new InMemoryEventStore();
    const checkpoints = new InMemoryCheckpointStore(log);
    return {
      checkpoints,
      log,
      transaction: (work) => checkpoints.transaction(work),
      close: async () => undefined,
    };
  });
});
