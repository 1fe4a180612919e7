import { neverSkipContract } from '../support/log-reading-contract.js';
import { createMigratedDatabase } from '../support/test-database.js';
import { createPartitionedDatabase } from '../partitioning/partitioned-database.js';

// A smaller load than test/faults/never-skip.e2e-spec.ts (50,000 events from 32 writers),
// over a few partition bounds on the partitioned log.
const LOAD = { events: 2_000, writers: 8, readers: 2 };

describe('a plain log', () => {
  neverSkipContract(() => createMigratedDatabase(), LOAD);
});

describe('a partitioned log', () => {
  neverSkipContract(() => createPartitionedDatabase({ size: 1_000, ahead: 20 }), LOAD);
});
