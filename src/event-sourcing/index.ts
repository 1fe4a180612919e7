/**
 * `#event-sourcing`: the machinery a bounded context's application and infrastructure layers
 * use: the Nest module and its repositories, commands, the event store contract, followers
 * and event migrations. The domain layer uses `#event-sourcing/domain`, controllers
 * `#event-sourcing/http`, PostgreSQL-specific tools `#event-sourcing/postgres`, and specs
 * `#event-sourcing/testing`. Nothing outside `src/event-sourcing/` imports past these entry points.
 */

/** The Nest module (`forRoot` once, `forFeature(...aggregateClasses)` per context) and the repository injector. */
export { EventSourcingModule, InjectAggregateRepository } from './event-sourcing.module.js';
/** The options of `EventSourcingModule.forRoot`. */
export type { EventSourcingOptions } from './event-sourcing.options.js';
/** Loads and saves one aggregate type; commands go through `create` and `update`. */
export { AggregateRepository } from './application/aggregate-repository.js';
/** An aggregate class as a repository needs it. */
export type { AggregateClass } from './application/aggregate-class.js';
/** A point in a stream's history for time travel: a version or an instant. */
export type { PointInTime } from './application/aggregate-loader.js';
/** Every registered aggregate class, by stream type. */
export { AggregateTypes } from './application/aggregate-types.js';
/** The clock and the id generator: injected, so specs can pin time and ids. */
export { Clock, IdGenerator } from './application/clock.js';
/** The base class of commands, typed by their result; what every command carries (idempotency key, If-Match, correlation) and answers. */
export {
  Command,
  type CommandContext,
  type CommandOutcome,
  type CommandResult,
} from './application/command-context.js';
/** A command that decides on one existing aggregate by itself: no handler class, no registration. */
export { AggregateCommand } from './application/command-on-aggregate.js';
/** Who created each stream (the actor of its first event): what owner-scoped routes check. */
export { StreamOwners, type StreamOwner } from './application/stream-owners.js';
/** Runs work one at a time per key. */
export { KeyedMutex } from './application/keyed-mutex.js';
/** The registry of event types: stable names, schema versions, upcasters. */
export { EventRegistry } from './domain/event-registry.js';
/** The event store contract: append with an expected version, read a stream, read the log. */
export { EventIdTakenError, EventStore, IdempotencyKeyTakenError } from './store/event-store.js';
/** Deletes expired idempotency records in bounded batches, every minute, in every instance. */
export { IdempotencySweeper } from './store/idempotency-sweeper.js';
/** An event on its way in, as stored, and what an append is asked and answers. */
export type {
  AppendRequest,
  AppendResult,
  EventMetadata,
  IdempotencyRecord,
  NewEvent,
  ReadStreamOptions,
  StoredEvent,
} from './store/event-store.js';
/** Reads on PostgreSQL streaming replicas (DATABASE_REPLICA_URLS): which server a read runs on, and each replica's lag. */
export { ReadReplicas, type ReadReplicaSettings, type ReplicaStatus } from './store/read-replicas.js';
/** Where snapshots are kept (a cache of aggregate state): save one, find the newest usable one. */
export { SnapshotStore } from './store/snapshot-store.js';
/** A snapshot as stored, and which one `SnapshotStore.findLatest` may answer with. */
export type { Snapshot, SnapshotQuery } from './store/snapshot-store.js';
/**
 * Spans through the OpenTelemetry API (no-ops until an SDK is registered), and the trace
 * context an event carries from the append that stored it.
 */
export { eventTraceContext, inSpan } from './observability/tracing.js';
/** Followers: a class that reads the log from its checkpoint, and the decorators of its handlers. */
export { Follower, Handles, HandlesBatches } from './subscriptions/follower.decorator.js';
/** What a follower's handlers are given. */
export type {
  BatchEvent,
  FollowerBatchContext,
  FollowerContext,
  FollowerOptions,
} from './subscriptions/follower.decorator.js';
/** Where each follower stands in the log, moved only by compare-and-set; the refusal of a stale move. */
export { CheckpointMovedError, CheckpointStore } from './subscriptions/checkpoint-store.js';
/** A follower's checkpoint, with the log after it. */
export type { Checkpoint, CheckpointStatus } from './subscriptions/checkpoint-store.js';
/** The event a follower's handler failed at, as its checkpoint records it. */
export type { FollowerError } from './subscriptions/follower-retry.js';
/** Every follower of this process: status, checkpoints, rebuilds. */
export { FollowersService } from './subscriptions/followers.service.js';
/** A follower's position, lag and health as `FollowersService.status()` reports them. */
export type { FollowerStatus } from './subscriptions/followers.service.js';
/** A change to stored events, run by `npm run events:migrate`. */
export type { EventMigration } from './migration/event-migration.js';
/** The event migration that re-encodes every payload (after a change of compression or keys). */
export { reencode } from './migration/reencode.migration.js';
/** A key per data subject: erasing it forgets the subject's personal fields (crypto-shredding). */
export { PersonalDataKeys } from './personal-data/personal-data-keys.js';
/** Encodes event data on its way into and out of the store. */
export { EventCodec, PayloadEventCodec, PlainEventCodec } from './serialization/event-codec.js';
/** Compresses and encrypts payloads, personal fields with their subject's key. */
export { PayloadCodec, type PayloadCodecOptions } from './serialization/payload-codec.js';
/** Log fields that follow the work done for one request or event (correlation id, follower). */
export { logContext, withLogContext } from './observability/log-context.js';
/** Counters of the write path (appends, retries, groups) for the metrics endpoint. */
export { WriteStats } from './observability/write-stats.js';
