import type { Pool, QueryResultRow } from 'pg';
import type { SubjectKeys } from '../personal-data/personal-data-keys.js';
import type { StoredEvent } from './event-store.js';
import type { PostgresSnapshotStore } from './postgres-snapshot-store.js';
import type { Snapshot, SnapshotQuery } from './snapshot-store.js';

/** Which part of a stream to load: up to a version, or up to an instant (to the millisecond, as in `readStream`). */
export interface StreamRange {
  toVersion?: number;
  recordedAtOrBefore?: Date;
}

/** A stream as a repository rebuilds an aggregate from it. */
export interface LoadedStream {
  /** The newest usable snapshot in the range, if one was asked for and there is one. */
  snapshot?: Snapshot;
  /** The events after the snapshot (all of them without one) in the range, in version order. */
  events: StoredEvent[];
}

/** Which snapshots a load may start from; the range limits them as it limits the events. */
export type SnapshotKind = Pick<SnapshotQuery, 'streamType' | 'schemaVersion' | 'personal'>;

/**
 * Reads a stream's newest usable snapshot and the events after it in one round trip,
 * where an event store can ({@link EventStore.streamLoader}): the rules are those of
 * `SnapshotStore.findLatest` followed by `EventStore.readStream` from the version after it.
 */
export interface StreamLoader {
  /** @param snapshot which snapshots may be used; none is read without it */
  load(streamId: string, range: StreamRange, snapshot?: SnapshotKind): Promise<LoadedStream>;
}

/** Turns event rows into events in their current shape, decoded with the keys read with them. */
export type DecodeEvents = (rows: QueryResultRow[], keys: SubjectKeys) => Promise<StoredEvent[]>;

// The snapshot as in PostgresSnapshotStore.findLatest, the events as in readStream from the version
// after it, and the personal-data key of the stream (its data subject), which both need to decode.
// UNION ALL keeps no order: the events are sorted by version after the read.
const LOAD = {
  name: 'chronicle_load_stream',
  text: `WITH snapshot AS (
           SELECT stream_id, version, stream_type, schema_version, state, first_recorded_at, recorded_at
             FROM snapshots
            WHERE stream_id = $1 AND stream_type = $2 AND schema_version = $3 AND version <= $4
              AND recorded_at < date_trunc('milliseconds', $5::timestamptz) + interval '1 millisecond'
            ORDER BY version DESC LIMIT 1)
         SELECT 'snapshot' AS kind, NULL::bigint AS position, NULL::uuid AS event_id, stream_id, stream_type, version,
                NULL::text AS type, schema_version, state AS data, NULL::jsonb AS metadata, recorded_at,
                first_recorded_at, NULL::bytea AS key
           FROM snapshot
         UNION ALL
         SELECT 'key', NULL, NULL, subject_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, key
           FROM personal_data_keys WHERE subject_id = $1
         UNION ALL
         SELECT 'event', position, event_id, stream_id, stream_type, version, type, schema_version, data, metadata,
                recorded_at, NULL, NULL
           FROM events
          WHERE stream_id = $1 AND version > coalesce((SELECT version FROM snapshot), 0) AND version <= $4
            AND recorded_at < date_trunc('milliseconds', $5::timestamptz) + interval '1 millisecond'`,
};

const MAX_VERSION = 2_147_483_647;

/** {@link StreamLoader} on PostgreSQL: one prepared statement over `snapshots`, `events` and `personal_data_keys`. */
export class PostgresStreamLoader implements StreamLoader {
  /**
   * @param snapshots the store whose codec decodes snapshot states; on the same pool
   * @param decodeEvents the event store's own decoding (its codec and upcasters)
   */
  constructor(
    private readonly pool: Pool,
    private readonly snapshots: PostgresSnapshotStore | undefined,
    private readonly decodeEvents: DecodeEvents,
  ) {}

  async load(streamId: string, range: StreamRange, snapshot?: SnapshotKind): Promise<LoadedStream> {
    const wanted = this.snapshots && snapshot;
    const { rows } = await this.pool.query({
      ...LOAD,
      values: [
        streamId,
        wanted?.streamType ?? null,
        wanted?.schemaVersion ?? null,
        range.toVersion ?? MAX_VERSION,
        range.recordedAtOrBefore ?? 'infinity',
      ],
    });
    const keys: SubjectKeys = new Map();
    let snapshotRow: QueryResultRow | undefined;
    const eventRows: QueryResultRow[] = [];
    for (const row of rows) {
      if (row.kind === 'event') eventRows.push(row);
      else if (row.kind === 'snapshot') snapshotRow = { ...row, state: row.data };
      else keys.set(streamId, row.key);
    }
    eventRows.sort((a, b) => a.version - b.version);
    const events = await this.decodeEvents(eventRows, keys);
    if (!snapshotRow) return { events };
    return { snapshot: await this.snapshots!.fromRow(snapshotRow, wanted!.personal, keys), events };
  }
}
