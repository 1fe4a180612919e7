/**
 * `#event-sourcing/testing`: in-memory twins of the stores, for specs that need no database.
 */

/** The event store's contract in memory. */
export { InMemoryEventStore } from '../store/in-memory-event-store.js';
/** The snapshot store's contract in memory. */
export { InMemorySnapshotStore } from '../store/in-memory-snapshot-store.js';
/** The checkpoint store's contract in memory, and its transactions. */
export { InMemoryCheckpointStore, InMemoryTransaction } from '../subscriptions/in-memory-checkpoint-store.js';
