import type { PersonalFields } from '../domain/personal-fields.js';

/** An aggregate's state after one of its events, so loading need not replay the events before it. */
export interface Snapshot {
  streamId: string;
  streamType: string;
  /** The version of the event the state is after. */
  version: number;
  /** The version of the aggregate's snapshot shape ({@link SnapshotSettings.version}) the state was written in. */
  schemaVersion: number;
  /** What the aggregate's `toSnapshot()` returned. */
  state: Record<string, unknown>;
  /** When the stream's first event was recorded (the aggregate's `createdAt`). */
  firstRecordedAt: Date;
  /** When the event at `version` was recorded (the aggregate's `updatedAt`). */
  recordedAt: Date;
  /**
   * The history generation of the events the state was built from, where the event store
   * has one (PostgreSQL): a snapshot of another generation than the current one is ignored.
   */
  generation?: number;
}

/** Which snapshot of a stream {@link SnapshotStore.findLatest} may answer with. */
export interface SnapshotQuery {
  streamType: string;
  /** Only snapshots in this shape: one in another is ignored. */
  schemaVersion: number;
  /** Only snapshots at or below this version. */
  maxVersion?: number;
  /** Only snapshots whose event was recorded at or before this instant (to the millisecond, as in `readStream`). */
  recordedAtOrBefore?: Date;
  /** The state's personal fields ({@link SnapshotSettings.personal}), to decrypt. */
  personal?: PersonalFields;
}

/**
 * Where snapshots are kept. Snapshots are a cache: losing one only costs a longer
 * replay, so writing one is never part of a command's transaction.
 *
 * An abstract class rather than an interface so that Nest can inject it by type.
 */
export abstract class SnapshotStore {
  /** Stores a snapshot, replacing one of the same stream and version; `personal` fields are encrypted. */
  abstract save(snapshot: Snapshot, personal?: PersonalFields): Promise<void>;

  /** The snapshot with the highest version that the query allows, if any. */
  abstract findLatest(streamId: string, query: SnapshotQuery): Promise<Snapshot | undefined>;
}
