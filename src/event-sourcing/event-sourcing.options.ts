import type { ReadReplicaSettings } from './store/read-replicas.js';
import type { PayloadCodecOptions } from './serialization/payload-codec.js';
import type { FollowersConfig } from './subscriptions/followers.service.js';

export interface EventSourcingOptions {
  /** How often a command is tried again on fresh state after a concurrency conflict. */
  commandRetries: number;
  followers: FollowersConfig;
  /** How long /notifications/stream stays silent before it sends a heartbeat comment. */
  sseHeartbeatMs: number;
  /** Open SSE streams (/notifications/stream and the live views) per client address (default {@link DEFAULT_SSE_MAX_STREAMS_PER_CLIENT}; 0: no cap). */
  sseMaxStreamsPerClient?: number;
  /**
   * Snapshot intervals by stream type, overriding the `every` of the class's static
   * `snapshots`; 0 turns snapshots of that type off (neither written nor read).
   */
  snapshotEvery?: Record<string, number | undefined>;
  /**
   * Per type with snapshots: how many aggregates keep their latest saved state in memory,
   * so that a load reads only the events after it (default {@link DEFAULT_AGGREGATE_CACHE_SIZE}; 0: off).
   */
  aggregateCacheSize?: number;
  /**
   * How long an idempotency record answers repeats of its request (default a day,
   * `DEFAULT_IDEMPOTENCY_KEY_TTL_MS`); after that a repeat is a new request, and the
   * `IdempotencySweeper` deletes the record.
   */
  idempotencyKeyTtlMs?: number;
  /** On a partitioned log, empty partitions the running app keeps beyond the one being written (default 2). */
  partitionsAhead?: number;
  /** Compression and encryption of event data and snapshot states; plain JSON when absent. */
  payloads?: PayloadCodecOptions;
  /** Streaming replicas that answer the reads of routes that read through `ReadReplicas`; absent or no URLs: the primary answers all. */
  readReplicas?: ReadReplicaSettings;
}

export const DEFAULT_AGGREGATE_CACHE_SIZE = 10_000;
export const DEFAULT_SSE_MAX_STREAMS_PER_CLIENT = 10;

export const EVENT_SOURCING_OPTIONS = Symbol('EventSourcingOptions');
