/**
 * `#event-sourcing/postgres`: the PostgreSQL side of the machinery, for the command-line
 * tools, health checks and metrics of the app, and for tests and benchmarks that drive the
 * store directly. A context needs none of it: `EventSourcingModule` wires it.
 */

/** The event store on PostgreSQL: one statement per append (grouped under load), a never-skip log. */
export { PostgresEventStore, type PostgresEventStoreOptions } from './store/postgres-event-store.js';
/** Snapshots on PostgreSQL. */
export { PostgresSnapshotStore } from './store/postgres-snapshot-store.js';
/** The followers' checkpoints on PostgreSQL (the `followers` table), in the transactions of a TypeORM DataSource. */
export { PostgresCheckpointStore } from './subscriptions/postgres-checkpoint-store.js';
/** The pg pool under TypeORM's DataSource, which the store shares. */
export { poolOf } from './event-sourcing.module.js';
/** Runs an event migration in place or by copy-and-swap, resumable; its options and report. */
export {
  runEventMigration,
  type EventChange,
  type EventMigrationOptions,
  type EventMigrationReport,
} from './migration/run-event-migration.js';
/** The partitioned log: enable, partitions ahead, list, detach (`npm run events:partitions`). */
export {
  AlreadyPartitionedError,
  createPartitionsAhead,
  currentPartition,
  DEFAULT_PARTITION_SIZE,
  detachPartition,
  DetachRefusedError,
  enablePartitioning,
  isPartitioned,
  listPartitions,
  NotPartitionedError,
  type EnablePartitioningOptions,
  type LogPartition,
  type PartitionedLog,
} from './partitioning/log-partitions.js';
/** Keeps partitions ahead of the log's head while the app runs. */
export { PartitionKeeper } from './partitioning/partition-keeper.js';
/** The age of the oldest open writing transaction on the server (it no longer holds the log's readers back). */
export { oldestTransactionSeconds } from './observability/transaction-horizon.js';
/** The age of the oldest append still in flight, which holds the log's readers back from the positions after its own. */
export { oldestAppendSeconds } from './observability/appends-in-flight.js';
