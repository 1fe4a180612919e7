/**
 * `#event-sourcing/testing`: in-memory twins of the stores and checks of aggregate classes,
 * for specs that need no database.
 */

/** The event store's contract in memory. */
export { InMemoryEventStore } from '../store/in-memory-event-store.js';
/** The snapshot store's contract in memory. */
export { InMemorySnapshotStore } from '../store/in-memory-snapshot-store.js';
/** The checkpoint store's contract in memory, and its transactions. */
export { InMemoryCheckpointStore, InMemoryTransaction } from '../subscriptions/in-memory-checkpoint-store.js';
/**
 * The check `EventSourcingModule.forFeature` runs on each aggregate class at start (every
 * event of `static events` has one applier, every applier's event is listed, `toSnapshot` and
 * `restore` written together), for specs that build aggregates without the module.
 */
export { assertAggregateClass } from '../domain/aggregate-checks.js';
/**
 * Snapshots an aggregate built from events, restores a new one and compares every own state
 * field: a field missing from a hand-written snapshot fails the spec that calls it.
 */
export { assertSnapshotRoundTrip } from './snapshot-round-trip.js';
/** Given/when/then specs of a command and its handler, in memory: events, outcome, refusals, idempotency, If-Match. */
export { commandSpec, type CommandFactory, type SpecContext, type SpecHandler } from './command-spec.js';
