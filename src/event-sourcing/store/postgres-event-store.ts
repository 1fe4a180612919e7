import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { ConcurrencyError } from '../domain/errors.js';
import { EventCodec, PlainEventCodec } from '../serialization/event-codec.js';
import { upcast } from '../serialization/upcast.js';
import {
  assertValidAppend,
  EventStore,
  IdempotencyKeyTakenError,
  type AppendRequest,
  type AppendResult,
  type IdempotencyRecord,
  type ReadStreamOptions,
  type StoredEvent,
} from './event-store.js';

export const EVENT_COLUMNS =
  'position, event_id, stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at';

// Named statements are parsed and planned once per connection.
const APPEND = {
  name: 'chronicle_append',
  text: 'SELECT version, position, recorded_at, duplicate FROM chronicle_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
};
const READ_STREAM = {
  name: 'chronicle_read_stream',
  text: `SELECT ${EVENT_COLUMNS} FROM events
          WHERE stream_id = $1 AND version >= $2 AND version <= $3
            AND recorded_at < date_trunc('milliseconds', $4::timestamptz) + interval '1 millisecond'
          ORDER BY version LIMIT $5`,
};
// Only rows of transactions older than every transaction still running: those can no
// longer be joined by a row with a smaller position (docs/ARCHITECTURE.md, "The log").
const READ_LOG = {
  name: 'chronicle_read_log',
  text: `SELECT ${EVENT_COLUMNS} FROM events
          WHERE position > $1 AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY position LIMIT $2`,
};
const STREAM_VERSION = {
  name: 'chronicle_stream_version',
  text: 'SELECT coalesce(max(version), 0) AS version FROM events WHERE stream_id = $1',
};
const FIND_IDEMPOTENCY = {
  name: 'chronicle_find_idempotency',
  text: 'SELECT key, fingerprint, stream_id, version, position, result FROM idempotency_keys WHERE key = $1',
};

const MAX_VERSION = 2_147_483_647;

export function toStoredEvent(row: QueryResultRow): StoredEvent {
  return {
    id: row.event_id,
    position: Number(row.position),
    streamId: row.stream_id,
    streamType: row.stream_type,
    version: row.version,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
  };
}

export interface PostgresEventStoreOptions {
  /** How `data` is stored; plain JSON unless given. */
  codec?: EventCodec;
  /** Called after every append that stored events, to wake followers of the log. */
  appended?: () => void;
}

/** The event store on PostgreSQL, through the pool the app's TypeORM DataSource opened. */
export class PostgresEventStore extends EventStore {
  private readonly codec: EventCodec;
  private readonly appended: () => void;

  constructor(
    private readonly pool: Pool,
    options: PostgresEventStoreOptions = {},
  ) {
    super();
    this.codec = options.codec ?? new PlainEventCodec();
    this.appended = options.appended ?? (() => undefined);
  }

  async append(request: AppendRequest): Promise<AppendResult> {
    assertValidAppend(request);
    const { events, idempotency } = request;
    const data = await this.codec.encode(events.map((event) => ({ ...event, streamId: request.streamId })));
    const values = [
      request.streamId,
      request.streamType,
      request.expectedVersion === 'any' ? null : request.expectedVersion,
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => e.schemaVersion),
      data.map((d) => JSON.stringify(d)),
      events.map((e) => JSON.stringify(e.metadata)),
      idempotency?.key ?? null,
      idempotency?.fingerprint ?? null,
      idempotency ? JSON.stringify(idempotency.result) : null,
    ];
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const { rows } = await client.query({ ...APPEND, values });
      const row = rows[0];
      if (!row.duplicate) this.appended();
      return {
        version: row.version,
        position: Number(row.position),
        recordedAt: row.recorded_at,
        duplicate: row.duplicate,
      };
    } catch (error) {
      broken = await this.releaseCriticalSection(client, error);
      throw this.translate(error, request);
    } finally {
      client.release(broken);
    }
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
    const { rows } = await this.pool.query({ ...READ_LOG, values: [after, limit] });
    return this.toCurrentShape(rows);
  }

  async streamVersion(streamId: string): Promise<number> {
    const { rows } = await this.pool.query({ ...STREAM_VERSION, values: [streamId] });
    return rows[0].version;
  }

  async findIdempotencyRecord(key: string): Promise<IdempotencyRecord | undefined> {
    const { rows } = await this.pool.query({ ...FIND_IDEMPOTENCY, values: [key] });
    if (rows.length === 0) return undefined;
    const [row] = rows;
    return {
      key: row.key,
      fingerprint: row.fingerprint,
      streamId: row.stream_id,
      version: row.version,
      position: Number(row.position),
      result: row.result,
    };
  }

  /** Rows decoded, then upcast to the current shape of their types (see {@link upcast}). */
  private async toCurrentShape(rows: QueryResultRow[]): Promise<StoredEvent[]> {
    const events = rows.map(toStoredEvent);
    const data = await this.codec.decode(events);
    return events.map((event, i) => upcast(data[i] === event.data ? event : { ...event, data: data[i] }));
  }

  /**
   * The append function holds a session-level lock while it takes its transaction id and
   * positions; an error in between (a statement timeout, say) would leave it held on this
   * pooled connection. Returns the error to discard the connection with when the unlock
   * itself fails.
   */
  private async releaseCriticalSection(client: PoolClient, cause: unknown): Promise<Error | undefined> {
    try {
      await client.query('SELECT pg_advisory_unlock_all()');
      return undefined;
    } catch {
      return cause instanceof Error ? cause : new Error(String(cause));
    }
  }

  private translate(error: unknown, request: AppendRequest): unknown {
    const pgError = error as { code?: string; detail?: string; constraint?: string };
    if (pgError.code === 'CH409') {
      return new ConcurrencyError(request.streamId, request.expectedVersion as number, Number(pgError.detail));
    }
    if (pgError.code === '23505' && pgError.constraint === 'idempotency_keys_pkey' && request.idempotency) {
      return new IdempotencyKeyTakenError(request.idempotency.key);
    }
    return error;
  }
}
