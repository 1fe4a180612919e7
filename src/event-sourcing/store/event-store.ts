import type { SnapshotStore } from './snapshot-store.js';
import type { NewEvent, StoredEvent } from './stored-event.js';
import type { SnapshotKind, StreamLoader } from './stream-loading.js';

export type { EventMetadata, NewEvent, StoredEvent } from './stored-event.js';

/**
 * How long an idempotency record answers repeats by default: a day, long enough for a
 * client's retries across an outage, short enough to keep the table small. The IETF draft
 * leaves the policy to the server, to be published (draft-ietf-httpapi-idempotency-key-header, 2.3).
 */
export const DEFAULT_IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60_000;

/** How a store keeps idempotency records: for `ttlMs` after they were stored, as of `now()`. */
export interface IdempotencyRetention {
  ttlMs?: number;
  now?: () => Date;
}

/** Stored with the events of a command, in the same transaction, so a repeat can be answered. */
export interface IdempotencyRecord {
  /** As the command pipeline stores it: the caller's key within its scope (see `CommandContext.idempotencyScope`). */
  key: string;
  /** Tells a repeat of the same request from another request with the same key. */
  fingerprint: string;
  streamId: string;
  version: number;
  position: number;
  result: Record<string, unknown>;
}

export interface AppendRequest {
  streamId: string;
  streamType: string;
  /** The version the writer read (0 for a new stream); `'any'` appends wherever the stream is. */
  expectedVersion: number | 'any';
  events: NewEvent[];
  idempotency?: Omit<IdempotencyRecord, 'streamId' | 'version' | 'position'>;
  /**
   * Store the events only while this data subject's personal-data key exists; once it is
   * erased the append is refused as a {@link ConcurrencyError}. For a decision made on a
   * state read while the key existed and not read again since (the aggregate cache's), so
   * that none is stored after an erasure. Stores without personal-data keys (the in-memory
   * ones) have no erasure to check.
   */
  whileKeyOf?: string;
  /**
   * Store the events only while the history generation is this one (the one the decision's
   * state was read in); once a rewrite of stored events moved it, the append is refused as a
   * {@link ConcurrencyError} at the version the stream is at. Stores that never rewrite
   * history (the in-memory ones) have no generation to check.
   */
  generation?: number;
}

export interface AppendResult {
  /** The stream's version after the append. */
  version: number;
  /** The position of the last event appended. */
  position: number;
  recordedAt: Date;
  /** True when the event ids were already stored: nothing was appended and the result describes the stored events. */
  duplicate: boolean;
  /** The history generation the append committed in, where the store has one (see {@link AppendRequest.generation}). */
  generation?: number;
}

export interface ReadStreamOptions {
  fromVersion?: number;
  toVersion?: number;
  /** Only events recorded at or before this instant (to the millisecond). */
  recordedAtOrBefore?: Date;
  limit?: number;
}

/**
 * The event store. `append` is atomic and checks the expected version; `readLog`
 * never skips a committed event, whatever order transactions commit in.
 *
 * An abstract class rather than an interface so that Nest can inject it by type.
 */
export abstract class EventStore {
  /**
   * Appends events to one stream atomically.
   * @throws ConcurrencyError when the stream is not at `expectedVersion`
   * @throws EventIdTakenError when an event id is stored in another stream
   * @throws IdempotencyKeyTakenError when `idempotency.key` was stored by a concurrent append
   */
  abstract append(request: AppendRequest): Promise<AppendResult>;

  /** A stream's events in version order; empty when the stream does not exist. */
  abstract readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;

  /** Up to `limit` events with a position after `after`, in position order. */
  abstract readLog(after: number, limit: number): Promise<StoredEvent[]>;

  /**
   * Where a reader that wants only what is committed from now on starts: every event at or
   * below it is visible to `readLog` now or never will be, so `readLog(head)` skips nothing
   * later. 0 for an empty log.
   */
  abstract readHead(): Promise<number>;

  /** The stream's current version, 0 when it has no events. */
  abstract streamVersion(streamId: string): Promise<number>;

  /**
   * The record stored under `key`, unless it expired: one older than the store's TTL is
   * deleted here, so that the key can be stored again (after expiry a repeat is a new request).
   */
  abstract findIdempotencyRecord(key: string): Promise<IdempotencyRecord | undefined>;

  /**
   * Deletes up to `limit` expired idempotency records, and answers how many it deleted:
   * one bounded batch, for a sweeper to call until fewer come back. Safe to run in many
   * processes at once.
   */
  abstract deleteExpiredIdempotencyRecords(limit: number): Promise<number>;

  /**
   * A reader of a snapshot of this `kind` from `snapshots` and the events after it in one
   * round trip, if this store can read both together (no snapshot without them); undefined
   * (this default) if not, and callers then ask `snapshots` and `readStream` in turn.
   */
  streamLoader(_snapshots?: SnapshotStore, _kind?: SnapshotKind): StreamLoader | undefined {
    return undefined;
  }
}

/** A concurrent append stored the same idempotency key first; read its record and answer with it. */
export class IdempotencyKeyTakenError extends Error {
  constructor(readonly key: string) {
    super(`Idempotency-Key "${key}" was stored by a concurrent request`);
  }
}

/**
 * An event id of this append is stored already, in another stream (or twice in this
 * append): ids are unique in the whole log, and an append of the same ids to the same
 * stream answers `duplicate` instead. A caller that reuses ids across streams has a bug;
 * retrying cannot help.
 */
export class EventIdTakenError extends Error {
  constructor(readonly eventId: string) {
    super(`Event id ${eventId} is stored already, in another stream`);
  }
}

/** The moment before which idempotency records have expired, for a store's retention. */
export function idempotencyHorizon(retention: IdempotencyRetention): () => Date {
  const ttlMs = retention.ttlMs ?? DEFAULT_IDEMPOTENCY_KEY_TTL_MS;
  const now = retention.now ?? (() => new Date());
  return () => new Date(now().getTime() - ttlMs);
}

/** The checks both stores make before an append reaches storage. */
export function assertValidAppend(request: AppendRequest): void {
  if (request.events.length === 0) throw new RangeError(`An append to ${request.streamId} needs at least one event`);
  const { expectedVersion } = request;
  if (expectedVersion !== 'any' && !(Number.isInteger(expectedVersion) && expectedVersion >= 0)) {
    throw new RangeError(`Expected version ${expectedVersion} is not a whole number >= 0`);
  }
}
