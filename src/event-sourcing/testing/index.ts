/**
 * `#event-sourcing/testing`: in-memory twins of the stores, for specs that need no database.
 */

/** The event store's contract in memory. */
export { InMemoryEventStore } from '../store/in-memory-event-store.js';
/** The snapshot store's contract in memory. */
export { InMemorySnapshotStore } from '../store/in-memory-snapshot-store.js';
/** Given/when/then specs of a command and its handler, in memory: events, outcome, refusals, idempotency, If-Match. */
export { commandSpec, type CommandFactory, type SpecContext, type SpecHandler } from './command-spec.js';
