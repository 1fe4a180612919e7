import type { Pool } from 'pg';
import type { SubjectKeys } from '../personal-data/personal-data-keys.js';
import { BatchedReads } from './batched-reads.js';
import { arrayRows, COLUMN, epochMilliseconds, EVENT_COLUMN_COUNT, selectEvent, type EventRow } from './event-rows.js';
import type { Snapshot } from './snapshot-store.js';
import type { StoredEvent } from './stored-event.js';
import type { KnownState, LoadedStream, SnapshotKind, StreamLoader, StreamRange } from './stream-loading.js';
import type { PostgresSnapshotStore } from './postgres-snapshot-store.js';

/** Turns event rows into events in their current shape, decoded with the keys read with them. */
export type DecodeEvents = (rows: EventRow[], keys: SubjectKeys) => Promise<StoredEvent[]>;

// Per stream: the snapshot as in PostgresSnapshotStore.findLatest, the events as in readStream
// from the version after it, and a head row with the history generation and the stream's
// personal-data key (its data subject's), which both need to decode. A stream whose state
// the caller holds (cached, at a known version and generation) gets no snapshot, only the
// events after that version, and its head all the same, so that a forgotten subject is
// noticed; unless the history was rewritten since that state was read (another generation):
// then it gets what a load without it gets. Snapshots of another generation than the
// current one were built from events since rewritten, and are never used. Every row has the
// event columns first, so an event row is decoded as readStream's are (its metadata NULL:
// rebuilding an aggregate does not read it, and it was a quarter of a row's bytes; its stream
// id NULL too, set from the load's own after the read); then the row's kind,
// the snapshot's first_recorded_at, the key, the generation, and the number of the load it
// is for. The head row's stream_id is the key row's (NULL when the stream has none). UNION
// ALL keeps no order: the events are sorted by version after the read. The generation is
// read as a value, not joined as a table: the planner's guess of an unanalysed table's rows
// (thousands) multiplied the statement's cost past jit_above_cost, and JIT compiling took
// 50 ms a load (W3).
const LOAD = arrayRows({
  name: 'chronicle_load_streams',
  text: `SELECT loaded.*, wanted.n::int
           FROM (VALUES ((SELECT generation FROM history_generation))) AS history(generation)
          CROSS JOIN unnest($1::text[], $6::int[], $7::bigint[]) WITH ORDINALITY AS wanted(stream_id, known, generation, n)
          CROSS JOIN LATERAL (
            SELECT CASE WHEN wanted.generation = history.generation THEN wanted.known ELSE 0 END AS version) AS known
          CROSS JOIN LATERAL (
           WITH snapshot AS (
             SELECT stream_id, version, stream_type, schema_version, state, first_recorded_at, recorded_at
               FROM snapshots
              WHERE known.version = 0 AND stream_id = wanted.stream_id AND stream_type = $2 AND schema_version = $3
                AND snapshots.generation = history.generation
                AND version <= $4
                AND recorded_at < date_trunc('milliseconds', $5::timestamptz) + interval '1 millisecond'
              ORDER BY version DESC LIMIT 1)
           SELECT NULL::bigint AS position, NULL::uuid AS event_id, stream_id, stream_type, version, NULL::text AS type,
                  schema_version, state AS data, NULL::jsonb AS metadata, ${epochMilliseconds('recorded_at')},
                  'snapshot' AS kind, ${epochMilliseconds('first_recorded_at')}, NULL::bytea AS key,
                  NULL::bigint AS generation
             FROM snapshot
           UNION ALL
           SELECT NULL, NULL, k.subject_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'head', NULL, k.key,
                  history.generation
             FROM (VALUES (wanted.stream_id)) AS head(stream_id)
             LEFT JOIN personal_data_keys k ON k.subject_id = head.stream_id
           UNION ALL
           SELECT ${selectEvent({ streamId: 'NULL', metadata: 'NULL::jsonb' })}, 'event', NULL, NULL, NULL
             FROM events
            WHERE stream_id = wanted.stream_id AND version > coalesce((SELECT version FROM snapshot), known.version)
              AND version <= $4
              AND recorded_at < date_trunc('milliseconds', $5::timestamptz) + interval '1 millisecond'
         ) AS loaded`,
});

// Where the columns after the event's sit in a row of LOAD.
const KIND = EVENT_COLUMN_COUNT;
const FIRST_RECORDED_AT = KIND + 1;
const KEY = KIND + 2;
const GENERATION = KIND + 3;
const LOAD_NUMBER = KIND + 4;

const MAX_VERSION = 2_147_483_647;

/** A load of a stream, as the statement takes it. */
interface WantedLoad {
  streamId: string;
  known?: KnownState;
}

/** Loads of the latest state by key, so that equal ones made at once share one: the stream and the state known of it. */
const loadKey = ({ streamId, known }: WantedLoad): string =>
  known ? `${known.version}:${known.generation}:${streamId}` : `0::${streamId}`;

function wantedOf(key: string): WantedLoad {
  const [version, generation] = key.split(':', 2);
  const streamId = key.slice(version.length + generation.length + 2);
  return generation === ''
    ? { streamId }
    : { streamId, known: { version: Number(version), generation: Number(generation) } };
}

/**
 * {@link StreamLoader} on PostgreSQL: one prepared statement over `snapshots`, `events` and
 * `personal_data_keys`. Loads of the latest state (what commands ask for) made while one is
 * in flight share the next statement.
 */
export class PostgresStreamLoader implements StreamLoader {
  private readonly handedOut = new WeakSet<EventRow[]>();
  private readonly latest = new BatchedReads(async (keys) => {
    const rows = await this.read(keys.map(wantedOf), {});
    return new Map(keys.map((key, i) => [key, rows[i]]));
  });

  /**
   * @param snapshots the store whose codec decodes snapshot states, on the same pool, and the snapshots to use
   * @param decodeEvents the event store's own decoding (its codec and upcasters)
   */
  constructor(
    private readonly pool: Pool,
    private readonly snapshots: { store: PostgresSnapshotStore; kind: SnapshotKind } | undefined,
    private readonly decodeEvents: DecodeEvents,
  ) {}

  async load(streamId: string, range: StreamRange = {}, known?: KnownState): Promise<LoadedStream> {
    const atPoint = range.toVersion !== undefined || range.recordedAtOrBefore !== undefined;
    const rows = atPoint
      ? (await this.read([{ streamId }], range))[0]
      : (await this.latest.of([loadKey({ streamId, known })])).get(loadKey({ streamId, known }))!;
    return this.decode(streamId, this.own(rows));
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

  /** The rows of each load, in the order of `loads`. */
  private async read(loads: WantedLoad[], range: StreamRange): Promise<EventRow[][]> {
    const kind = this.snapshots?.kind;
    const { rows } = await this.pool.query({
      ...LOAD,
      values: [
        loads.map((load) => load.streamId),
        kind?.streamType ?? null,
        kind?.schemaVersion ?? null,
        range.toVersion ?? MAX_VERSION,
        range.recordedAtOrBefore ?? 'infinity',
        loads.map((load) => load.known?.version ?? 0),
        loads.map((load) => load.known?.generation ?? null),
      ],
    });
    const byLoad: EventRow[][] = loads.map(() => []);
    for (const row of rows) byLoad[Number(row[LOAD_NUMBER]) - 1].push(row);
    return byLoad;
  }

  /** One stream's rows; a stream that does not decode fails its own load only. */
  private async decode(streamId: string, rows: EventRow[]): Promise<LoadedStream> {
    const keys: SubjectKeys = new Map();
    let snapshotRow: EventRow | undefined;
    let generation = 0;
    const eventRows: EventRow[] = [];
    for (const row of rows) {
      if (row[KIND] === 'event') {
        row[COLUMN.streamId] = streamId;
        eventRows.push(row);
      } else if (row[KIND] === 'snapshot') snapshotRow = row;
      else {
        generation = Number(row[GENERATION]);
        if (row[COLUMN.streamId] !== null) keys.set(streamId, row[KEY] as Buffer | null);
      }
    }
    eventRows.sort((a, b) => (a[COLUMN.version] as number) - (b[COLUMN.version] as number));
    const events = await this.decodeEvents(eventRows, keys);
    // An erased subject's key row stays, its key null.
    const keyFound = Boolean(keys.get(streamId));
    if (!snapshotRow) return { events, keyFound, generation };
    const { store, kind } = this.snapshots!;
    const stored: Snapshot = {
      streamId,
      streamType: snapshotRow[COLUMN.streamType] as string,
      version: snapshotRow[COLUMN.version] as number,
      schemaVersion: snapshotRow[COLUMN.schemaVersion] as number,
      state: snapshotRow[COLUMN.data] as Snapshot['state'],
      firstRecordedAt: new Date(snapshotRow[FIRST_RECORDED_AT] as number),
      recordedAt: new Date(snapshotRow[COLUMN.recordedAt] as number),
    };
    return { snapshot: await store.decode(stored, kind.personal, keys), events, keyFound, generation };
  }
}
