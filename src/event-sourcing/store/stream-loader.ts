import type { Pool } from 'pg';
import type { SubjectKeys } from '../personal-data/personal-data-keys.js';
import { BatchedReads } from './batched-reads.js';
import { arrayRows, COLUMN, EVENT_COLUMN_COUNT, EVENT_COLUMNS, type EventRow } from './event-rows.js';
import type { Snapshot } from './snapshot-store.js';
import type { StoredEvent } from './stored-event.js';
import type { LoadedStream, SnapshotKind, StreamLoader, StreamRange } from './stream-loading.js';
import type { PostgresSnapshotStore } from './postgres-snapshot-store.js';

/** Turns event rows into events in their current shape, decoded with the keys read with them. */
export type DecodeEvents = (rows: EventRow[], keys: SubjectKeys) => Promise<StoredEvent[]>;

// Per stream: the snapshot as in PostgresSnapshotStore.findLatest, the events as in readStream
// from the version after it, and the stream's personal-data key (its data subject's), which
// both need to decode. A stream with a known version (its state cached by the caller, 0: none)
// gets no snapshot, only the events after that version, and its key all the same, so that a
// forgotten subject is noticed. Every row has the event columns first, so an event row is
// decoded as readStream's are; then the row's kind, the snapshot's first_recorded_at, the key,
// and the known version it was loaded for. UNION ALL keeps no order: the events are sorted
// by version after the read.
const LOAD = arrayRows({
  name: 'chronicle_load_streams',
  text: `SELECT loaded.*, wanted.known FROM unnest($1::text[], $6::int[]) AS wanted(stream_id, known) CROSS JOIN LATERAL (
           WITH snapshot AS (
             SELECT stream_id, version, stream_type, schema_version, state, first_recorded_at, recorded_at
               FROM snapshots
              WHERE wanted.known = 0 AND stream_id = wanted.stream_id AND stream_type = $2 AND schema_version = $3
                AND version <= $4
                AND recorded_at < date_trunc('milliseconds', $5::timestamptz) + interval '1 millisecond'
              ORDER BY version DESC LIMIT 1)
           SELECT NULL::bigint AS position, NULL::uuid AS event_id, stream_id, stream_type, version, NULL::text AS type,
                  schema_version, state AS data, NULL::jsonb AS metadata, recorded_at,
                  'snapshot' AS kind, first_recorded_at, NULL::bytea AS key
             FROM snapshot
           UNION ALL
           SELECT NULL, NULL, subject_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'key', NULL, key
             FROM personal_data_keys WHERE subject_id = wanted.stream_id
           UNION ALL
           SELECT ${EVENT_COLUMNS}, 'event', NULL, NULL
             FROM events
            WHERE stream_id = wanted.stream_id AND version > coalesce((SELECT version FROM snapshot), wanted.known)
              AND version <= $4
              AND recorded_at < date_trunc('milliseconds', $5::timestamptz) + interval '1 millisecond'
         ) AS loaded`,
});

// Where the columns after the event's sit in a row of LOAD.
const KIND = EVENT_COLUMN_COUNT;
const FIRST_RECORDED_AT = KIND + 1;
const KEY = KIND + 2;
const KNOWN = KIND + 3;

const MAX_VERSION = 2_147_483_647;

/** Rows by load: a stream id and the version known of it. */
type RowsByLoad = Map<string, EventRow[]>;

const loadKey = (streamId: string, knownVersion: number): string => `${knownVersion}:${streamId}`;

/**
 * {@link StreamLoader} on PostgreSQL: one prepared statement over `snapshots`, `events` and
 * `personal_data_keys`. Loads of the latest state (what commands ask for) made while one is
 * in flight share the next statement.
 */
export class PostgresStreamLoader implements StreamLoader {
  private readonly handedOut = new WeakSet<EventRow[]>();
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
  private own(rows: EventRow[]): EventRow[] {
    if (!this.handedOut.has(rows)) {
      this.handedOut.add(rows);
      return rows;
    }
    return rows.map((row) => row.with(COLUMN.data, structuredClone(row[COLUMN.data])));
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
    // A load's rows come one after another (they are not promised to): look its list up when the load changes.
    let current: EventRow[] = [];
    let previous: EventRow | undefined;
    for (const row of rows) {
      if (row[COLUMN.streamId] !== previous?.[COLUMN.streamId] || row[KNOWN] !== previous?.[KNOWN]) {
        const key = loadKey(row[COLUMN.streamId] as string, row[KNOWN] as number);
        current = byLoad.get(key) ?? [];
        byLoad.set(key, current);
      }
      current.push(row);
      previous = row;
    }
    return byLoad;
  }

  /** One stream's rows; a stream that does not decode fails its own load only. */
  private async decode(streamId: string, rows: EventRow[]): Promise<LoadedStream> {
    const keys: SubjectKeys = new Map();
    let snapshotRow: EventRow | undefined;
    const eventRows: EventRow[] = [];
    for (const row of rows) {
      if (row[KIND] === 'event') eventRows.push(row);
      else if (row[KIND] === 'snapshot') snapshotRow = row;
      else keys.set(streamId, row[KEY] as Buffer | null);
    }
    eventRows.sort((a, b) => (a[COLUMN.version] as number) - (b[COLUMN.version] as number));
    const events = await this.decodeEvents(eventRows, keys);
    // An erased subject's key row stays, its key null.
    const keyFound = Boolean(keys.get(streamId));
    if (!snapshotRow) return { events, keyFound };
    const { store, kind } = this.snapshots!;
    const stored: Snapshot = {
      streamId,
      streamType: snapshotRow[COLUMN.streamType] as string,
      version: snapshotRow[COLUMN.version] as number,
      schemaVersion: snapshotRow[COLUMN.schemaVersion] as number,
      state: snapshotRow[COLUMN.data] as Snapshot['state'],
      firstRecordedAt: snapshotRow[FIRST_RECORDED_AT] as Date,
      recordedAt: snapshotRow[COLUMN.recordedAt] as Date,
    };
    return { snapshot: await store.decode(stored, kind.personal, keys), events, keyFound };
  }
}
