import type { Pool, QueryResultRow } from 'pg';
import type { SubjectKeys } from '../personal-data/personal-data-keys.js';
import { BatchedReads } from './batched-reads.js';
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
  /** Whether the stream's personal-data key was read with it (none: never needed, or its subject forgotten). */
  keyFound?: boolean;
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
   * @param knownVersion the version of a state the caller already holds (latest-state loads
   *   only): then no snapshot is read, only the events after it
   */
  load(streamId: string, range?: StreamRange, knownVersion?: number): Promise<LoadedStream>;
}

/** Turns event rows into events in their current shape, decoded with the keys read with them. */
export type DecodeEvents = (rows: QueryResultRow[], keys: SubjectKeys) => Promise<StoredEvent[]>;

// Per stream: the snapshot as in PostgresSnapshotStore.findLatest, the events as in readStream
// from the version after it, and the stream's personal-data key (its data subject's), which
// both need to decode. A stream with a known version (its state cached by the caller, 0: none)
// gets no snapshot, only the events after that version, and its key all the same, so that a
// forgotten subject is noticed. UNION ALL keeps no order: the events are sorted by version after the read.
const LOAD = {
  name: 'chronicle_load_streams',
  text: `SELECT wanted.known, loaded.* FROM unnest($1::text[], $6::int[]) AS wanted(stream_id, known) CROSS JOIN LATERAL (
           WITH snapshot AS (
             SELECT stream_id, version, stream_type, schema_version, state, first_recorded_at, recorded_at
               FROM snapshots
              WHERE wanted.known = 0 AND stream_id = wanted.stream_id AND stream_type = $2 AND schema_version = $3
                AND version <= $4
                AND recorded_at < date_trunc('milliseconds', $5::timestamptz) + interval '1 millisecond'
              ORDER BY version DESC LIMIT 1)
           SELECT 'snapshot' AS kind, NULL::bigint AS position, NULL::uuid AS event_id, stream_id, stream_type,
                  version, NULL::text AS type, schema_version, state AS data, NULL::jsonb AS metadata, recorded_at,
                  first_recorded_at, NULL::bytea AS key
             FROM snapshot
           UNION ALL
           SELECT 'key', NULL, NULL, subject_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, key
             FROM personal_data_keys WHERE subject_id = wanted.stream_id
           UNION ALL
           SELECT 'event', position, event_id, stream_id, stream_type, version, type, schema_version, data, metadata,
                  recorded_at, NULL, NULL
             FROM events
            WHERE stream_id = wanted.stream_id AND version > coalesce((SELECT version FROM snapshot), wanted.known)
              AND version <= $4
              AND recorded_at < date_trunc('milliseconds', $5::timestamptz) + interval '1 millisecond'
         ) AS loaded`,
};

const MAX_VERSION = 2_147_483_647;

/** Rows by load: a stream id and the version known of it. */
type RowsByLoad = Map<string, QueryResultRow[]>;

const loadKey = (streamId: string, knownVersion: number): string => `${knownVersion}:${streamId}`;

/**
 * {@link StreamLoader} on PostgreSQL: one prepared statement over `snapshots`, `events` and
 * `personal_data_keys`. Loads of the latest state (what commands ask for) made while one is
 * in flight share the next statement.
 */
export class PostgresStreamLoader implements StreamLoader {
  private readonly handedOut = new WeakSet<QueryResultRow[]>();
  private readonly latest = new BatchedReads((keys) =>
    this.read(
      keys.map((key) => {
        const colon = key.indexOf(':');
        return { streamId: key.slice(colon + 1), knownVersion: Number(key.slice(0, colon)) };
      }),
      {},
    ),
  );

  /**
   * @param snapshots the store whose codec decodes snapshot states, on the same pool, and the snapshots to use
   * @param decodeEvents the event store's own decoding (its codec and upcasters)
   */
  constructor(
    private readonly pool: Pool,
    private readonly snapshots: { store: PostgresSnapshotStore; kind: SnapshotKind } | undefined,
    private readonly decodeEvents: DecodeEvents,
  ) {}

  async load(streamId: string, range: StreamRange = {}, knownVersion = 0): Promise<LoadedStream> {
    const atPoint = range.toVersion !== undefined || range.recordedAtOrBefore !== undefined;
    const wanted = { streamId, knownVersion: atPoint ? 0 : knownVersion };
    const rows = atPoint ? await this.read([wanted], range) : await this.latest.of([loadKey(streamId, knownVersion)]);
    return this.decode(streamId, this.own(rows.get(loadKey(streamId, wanted.knownVersion)) ?? []));
  }

  /**
   * Loads of one stream that shared a statement get the same rows: the first takes them,
   * every other one copies of their payloads, since restoring a snapshot and replaying
   * events may keep (and later change) what they are given.
   */
  private own(rows: QueryResultRow[]): QueryResultRow[] {
    if (!this.handedOut.has(rows)) {
      this.handedOut.add(rows);
      return rows;
    }
    return rows.map((row) => ({ ...row, data: structuredClone(row.data) }));
  }

  private async read(loads: { streamId: string; knownVersion: number }[], range: StreamRange): Promise<RowsByLoad> {
    const kind = this.snapshots?.kind;
    const { rows } = await this.pool.query({
      ...LOAD,
      values: [
        loads.map((load) => load.streamId),
        kind?.streamType ?? null,
        kind?.schemaVersion ?? null,
        range.toVersion ?? MAX_VERSION,
        range.recordedAtOrBefore ?? 'infinity',
        loads.map((load) => load.knownVersion),
      ],
    });
    const byLoad: RowsByLoad = new Map();
    for (const row of rows) {
      const key = loadKey(row.stream_id, row.known);
      const own = byLoad.get(key);
      if (own) own.push(row);
      else byLoad.set(key, [row]);
    }
    return byLoad;
  }

  /** One stream's rows; a stream that does not decode fails its own load only. */
  private async decode(streamId: string, rows: QueryResultRow[]): Promise<LoadedStream> {
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
    // An erased subject's key row stays, its key null.
    const keyFound = Boolean(keys.get(streamId));
    if (!snapshotRow) return { events, keyFound };
    const { store, kind } = this.snapshots!;
    return { snapshot: await store.fromRow(snapshotRow, kind.personal, keys), events, keyFound };
  }
}
