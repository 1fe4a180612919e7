import type { Pool } from 'pg';
import type { SubjectKeys } from '../personal-data/personal-data-keys.js';
import { EventCodec, PlainEventCodec } from '../serialization/event-codec.js';
import { upcast } from '../serialization/upcast.js';
import { arrayRows, selectEvent, toStoredEvent, type EventRow } from './event-rows.js';
import { readFinal, readFinalHead } from './log-reads.js';
import { currentFence } from './append-fence.js';
import { appendGrouped } from './postgres-appends.js';
import {
  assertValidAppend,
  EventStore,
  idempotencyHorizon,
  type AppendRequest,
  type AppendResult,
  type IdempotencyRecord,
  type IdempotencyRetention,
  type ReadStreamOptions,
  type StoredEvent,
} from './event-store.js';
import { PostgresSnapshotStore } from './postgres-snapshot-store.js';
import type { SnapshotStore } from './snapshot-store.js';
import { PostgresStreamLoader } from './stream-loader.js';
import type { SnapshotKind, StreamLoader } from './stream-loading.js';

// Named statements are parsed and planned once per connection.
const READ_STREAM = arrayRows({
  name: 'chronicle_read_stream',
  text: `SELECT ${selectEvent()} FROM events
          WHERE stream_id = $1 AND version >= $2 AND version <= $3
            AND recorded_at < date_trunc('milliseconds', $4::timestamptz) + interval '1 millisecond'
          ORDER BY version LIMIT $5`,
});
const STREAM_VERSION = {
  name: 'chronicle_stream_version',
  text: 'SELECT coalesce(max(version), 0) AS version FROM events WHERE stream_id = $1',
};
const FIND_IDEMPOTENCY = {
  name: 'chronicle_find_idempotency',
  text: `SELECT key, fingerprint, stream_id, version, position, result, recorded_at < $2 AS expired
           FROM idempotency_keys WHERE key = $1`,
};
// Off the hot path: only for a record the lookup found expired, and only while it still is.
const DELETE_EXPIRED_KEY = {
  name: 'chronicle_delete_expired_key',
  text: 'DELETE FROM idempotency_keys WHERE key = $1 AND recorded_at < $2',
};
// SKIP LOCKED: sweepers in several instances take different rows instead of waiting on each other.
const DELETE_EXPIRED_IDEMPOTENCY = {
  name: 'chronicle_delete_expired_idempotency',
  text: `DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
           SELECT ctid FROM idempotency_keys WHERE recorded_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))`,
};

const MAX_VERSION = 2_147_483_647;

export interface PostgresEventStoreOptions {
  /** How `data` is stored; plain JSON unless given. */
  codec?: EventCodec;
  /** Called after every append (or group of appends sent together) that stored events, to wake followers of the log. */
  appended?: () => void;
  /**
   * How long idempotency records answer repeats (default a day), as of `now` (default the
   * system clock). Records are stamped with the database's clock: the two must agree to
   * well within the TTL.
   */
  idempotency?: IdempotencyRetention;
}

/** The event store on PostgreSQL, through the pool the app's TypeORM DataSource opened. */
export class PostgresEventStore extends EventStore {
  private readonly codec: EventCodec;
  private readonly appended: () => void;
  private readonly horizon: () => Date;

  constructor(
    private readonly pool: Pool,
    options: PostgresEventStoreOptions = {},
  ) {
    super();
    this.codec = options.codec ?? new PlainEventCodec();
    this.appended = options.appended ?? (() => undefined);
    this.horizon = idempotencyHorizon(options.idempotency ?? {});
  }

  /** Goes out at once, or, while others are in flight on the same pool, with the next group of them (see {@link appendGrouped}). */
  async append(request: AppendRequest): Promise<AppendResult> {
    assertValidAppend(request);
    const { events } = request;
    const data = await this.codec.encode(events.map((event) => ({ ...event, streamId: request.streamId })));
    return appendGrouped(this.pool, {
      request,
      data: data.map((d) => JSON.stringify(d)),
      appended: this.appended,
      fence: currentFence(),
    });
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query({
      ...READ_STREAM,
      values: [
        streamId,
        options.fromVersion ?? 1,
        options.toVersion ?? MAX_VERSION,
        options.recordedAtOrBefore ?? 'infinity',
        options.limit ?? null,
      ],
    });
    return this.toCurrentShape(rows);
  }

  async readLog(after: number, limit: number): Promise<StoredEvent[]> {
    return this.toCurrentShape(await readFinal(this.pool, after, limit));
  }

  async readHead(): Promise<number> {
    return readFinalHead(this.pool);
  }

  async streamVersion(streamId: string): Promise<number> {
    const { rows } = await this.pool.query({ ...STREAM_VERSION, values: [streamId] });
    return rows[0].version;
  }

  async findIdempotencyRecord(key: string): Promise<IdempotencyRecord | undefined> {
    const horizon = this.horizon();
    const { rows } = await this.pool.query({ ...FIND_IDEMPOTENCY, values: [key, horizon] });
    if (rows.length === 0) return undefined;
    const [row] = rows;
    if (row.expired) {
      // So that the append after this can store the key again.
      await this.pool.query({ ...DELETE_EXPIRED_KEY, values: [key, horizon] });
      return undefined;
    }
    return {
      key: row.key,
      fingerprint: row.fingerprint,
      streamId: row.stream_id,
      version: row.version,
      position: Number(row.position),
      result: row.result,
    };
  }

  async deleteExpiredIdempotencyRecords(limit: number): Promise<number> {
    const { rowCount } = await this.pool.query({ ...DELETE_EXPIRED_IDEMPOTENCY, values: [this.horizon(), limit] });
    return rowCount ?? 0;
  }

  /** Rows decoded (with `keys` when read with them), then upcast to the current shape of their types (see {@link upcast}). */
  private async toCurrentShape(rows: EventRow[], keys?: SubjectKeys): Promise<StoredEvent[]> {
    const events = rows.map(toStoredEvent);
    const data = await this.codec.decode(events, keys);
    return events.map((event, i) => upcast(data[i] === event.data ? event : { ...event, data: data[i] }));
  }

  /** Snapshot and events in one statement, when the snapshots are on this store's pool (or there are none). */
  override streamLoader(snapshots?: SnapshotStore, kind?: SnapshotKind): StreamLoader | undefined {
    if (snapshots && !(snapshots instanceof PostgresSnapshotStore && snapshots.isOn(this.pool))) return undefined;
    const wanted = snapshots && kind && { store: snapshots, kind };
    return new PostgresStreamLoader(this.pool, wanted, (rows, keys) => this.toCurrentShape(rows, keys));
  }
}
