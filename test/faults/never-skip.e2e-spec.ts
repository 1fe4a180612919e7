import { neverSkipContract } from '../support/log-reading-contract.js';
import { createMigratedDatabase } from '../support/test-database.js';
import { createPartitionedDatabase } from '../partitioning/partitioned-database.js';

// Issue 17's full load: at least 50,000 events from 32 writers, 5% of appends held before
// COMMIT and 5% rolled back, readers following throughout (a smaller load runs in
// test/event-store/never-skip.int-spec.ts).
const LOAD = { events: 50_000, writers: 32, readers: 3, timeoutMs: 30 * 60_000 };

describe('a plain log', () => {
  neverSkipContract(() => createMigratedDatabase(), LOAD);
});

describe('a partitioned log', () => {
  neverSkipContract(() => createPartitionedDatabase({ size: 20_000, ahead: 30 }), LOAD);
});
