import { randomBytes } from 'node:crypto';
import { PayloadCodec, PersonalDataKeys } from '#event-sourcing';
import { PostgresSnapshotStore } from '#event-sourcing/postgres';
import { snapshotStoreContract } from '../support/snapshot-store-contract.js';
import { createMigratedDatabase } from '../support/test-database.js';

describe('PostgresSnapshotStore', () => {
  snapshotStoreContract(async () => {
    const database = await createMigratedDatabase();
    return { store: new PostgresSnapshotStore(database.pool), close: database.drop };
  });
});

// States through the codec the app gives it: personal fields sealed with their subject's
// key, then the whole state deflated and sealed with AES-256-GCM.
describe('PostgresSnapshotStore with a payload codec', () => {
  snapshotStoreContract(async () => {
    const database = await createMigratedDatabase();
    const codec = new PayloadCodec(new PersonalDataKeys(database.pool), {
      encryptionKeys: [{ id: 'k1', key: randomBytes(32) }],
      compressAbove: 1,
    });
    return { store: new PostgresSnapshotStore(database.pool, codec), close: database.drop };
  });
});
