import { snapshotStoreContract } from '../../../test/support/snapshot-store-contract.js';
import { InMemorySnapshotStore } from './in-memory-snapshot-store.js';

describe('InMemorySnapshotStore', () => {
  snapshotStoreContract(async () => ({ store: new InMemorySnapshotStore(), close: async () => undefined }));
});
