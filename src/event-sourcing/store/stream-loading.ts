import type { Snapshot, SnapshotQuery } from './snapshot-store.js';
import type { StoredEvent } from './stored-event.js';

/** Which part of a stream to load: up to a version, or up to an instant (to the millisecond, as in `readStream`). */
export interface StreamRange {
  toVersion?: number;
  recordedAtOrBefore?: Date;
}

/** An event as a load gives it: all but its metadata, which rebuilding an aggregate does not read. */
export type LoadedEvent = Omit<StoredEvent, 'metadata'>;

/** A stream as a repository rebuilds an aggregate from it. */
export interface LoadedStream {
  /** The newest usable snapshot in the range, if one was asked for and there is one. */
  snapshot?: Snapshot;
  /** The events after the snapshot (all of them without one) in the range, in version order. */
  events: LoadedEvent[];
  /** Whether the stream's personal-data key was read with it (none: never needed, or its subject forgotten). */
  keyFound?: boolean;
  /**
   * The history generation it was read in (stores that rewrite history only). When it is
   * not the known state's, that state was built from events since rewritten, and this is
   * what a load without it reads: the snapshot and the events after it, or every event.
   */
  generation?: number;
}

/** A state of a stream the caller holds: its version, and the history generation its events were read in. */
export interface KnownState {
  version: number;
  generation: number;
}

/** Which snapshots a load may start from; the range limits them as it limits the events. */
export type SnapshotKind = Pick<SnapshotQuery, 'streamType' | 'schemaVersion' | 'personal'>;

/**
 * Reads a stream's newest usable snapshot and the events after it in one round trip,
 * where an event store can ({@link EventStore.streamLoader}): the rules are those of
 * `SnapshotStore.findLatest` followed by `EventStore.readStream` from the version after it.
 */
export interface StreamLoader {
  /**
   * @param known a state the caller already holds (latest-state loads only): then no
   *   snapshot is read, only the events after it, while the history is of its generation
   */
  load(streamId: string, range?: StreamRange, known?: KnownState): Promise<LoadedStream>;
}
