/**
 * `#event-sourcing/testing`: in-memory twins of the stores, checks of aggregate classes, and
 * given/when/then specs of aggregates, projections and process managers that need no server.
 * Runner-agnostic: failures are `node:assert` errors, so jest, vitest and `node:test` all run them.
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
/**
 * Given/when/then for an aggregate: past events, a command method, then the events it decides
 * (or the refusal it throws) and the state after; `replayed` builds an aggregate from its history.
 */
export { given, replayed, AGGREGATE_UNDER_TEST } from './aggregate-spec.js';
/** The steps of an aggregate spec, and the aggregate class it takes. */
export type { Decided, Given, SpecAggregateClass, When } from './aggregate-spec.js';
/** Events of one stream for a follower spec's log, and the ids the log gives events by default. */
export { stream, specEventId } from './spec-log.js';
/** Events appended to one stream at once in a follower spec's log, with what their envelopes say. */
export type { SpecAppend } from './spec-log.js';
/** Given/when/then for a projection: its handlers' real SQL on PGlite, in memory, the tables from the app's migrations. */
export { ProjectionSpec } from './projection-spec.js';
/** A projection spec's options, and one case of it. */
export type { ProjectionScenario, ProjectionSpecOptions } from './projection-spec.js';
/** Given events, then the commands a process manager sends, on buses that answer or refuse as the case says. */
export { ProcessManagerSpec } from './process-manager-spec.js';
/** One case of a process-manager spec, and the buses it builds the process manager on. */
export type { ProcessManagerScenario, SpecBuses } from './process-manager-spec.js';
/** What a follower spec's `thenThrows` expects: an error class, or a pattern of the message. */
export type { ExpectedFailure } from './follower-under-test.js';
/** What a database for specs is made of: the app's migrations and the entities TypeORM must know. */
export type { SpecDatabaseOptions } from './pglite-data-source.js';
