import { ConcurrencyError } from '../domain/errors.js';
import { upcast } from '../serialization/upcast.js';
import {
  assertValidAppend,
  EventStore,
  idempotencyHorizon,
  EventIdTakenError,
  IdempotencyKeyTakenError,
  type AppendRequest,
  type AppendResult,
  type IdempotencyRecord,
  type ReadStreamOptions,
  type StoredEvent,
} from './event-store.js';

// Copies keep callers from changing what is stored, as a database would; reads are
// upcast to the current shape of each type, as PostgresEventStore's are.
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const copyEvent = (event: StoredEvent): StoredEvent =>
  upcast({ ...copy(event), recordedAt: new Date(event.recordedAt) });

/**
 * The event store's contract in memory, for unit tests of aggregates and handlers.
 * Appends are synchronous, so they are atomic and the log is always settled.
 */
export class InMemoryEventStore extends EventStore {
  private readonly log: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly byId = new Map<string, StoredEvent>();
  private readonly idempotency = new Map<string, IdempotencyRecord & { recordedAt: Date }>();
  private readonly horizon: () => Date;

  /**
   * @param now the time of each append, and of idempotency records' expiry
   * @param idempotencyKeyTtlMs how long an idempotency record answers repeats (default a day)
   */
  constructor(
    private readonly now: () => Date = () => new Date(),
    idempotencyKeyTtlMs?: number,
  ) {
    super();
    this.horizon = idempotencyHorizon({ ttlMs: idempotencyKeyTtlMs, now });
  }

  async append(request: AppendRequest): Promise<AppendResult> {
    assertValidAppend(request);
    const { streamId, events } = request;
    const stream = this.streams.get(streamId) ?? [];
    // Only this stream's events answer a retry: an id stored in another stream is refused.
    const duplicate = events
      .map((e) => this.byId.get(e.id))
      .filter((e): e is StoredEvent => e !== undefined && e.streamId === streamId)
      .sort((a, b) => b.position - a.position)[0];
    if (duplicate) {
      return {
        version: duplicate.version,
        position: duplicate.position,
        recordedAt: duplicate.recordedAt,
        duplicate: true,
      };
    }
    if (request.expectedVersion !== 'any' && request.expectedVersion !== stream.length) {
      throw new ConcurrencyError(streamId, request.expectedVersion, stream.length);
    }
    if (request.idempotency && this.idempotency.has(request.idempotency.key)) {
      throw new IdempotencyKeyTakenError(request.idempotency.key);
    }
    // As PostgreSQL's unique index on event_id: one copy of an id in the whole log.
    const taken = events.find((e) => this.byId.has(e.id));
    if (taken) throw new EventIdTakenError(taken.id);
    const repeated = events.find((e, i) => events.findIndex((other) => other.id === e.id) !== i);
    if (repeated) throw new EventIdTakenError(repeated.id);
    const recordedAt = new Date(this.now().getTime());
    for (const event of events) {
      const stored: StoredEvent = {
        ...copy(event),
        position: this.log.length + 1,
        streamId,
        streamType: request.streamType,
        version: stream.length + 1,
        recordedAt,
      };
      stream.push(stored);
      this.log.push(stored);
      this.byId.set(stored.id, stored);
    }
    this.streams.set(streamId, stream);
    const last = stream[stream.length - 1];
    if (request.idempotency) {
      this.idempotency.set(request.idempotency.key, {
        ...copy(request.idempotency),
        streamId,
        version: last.version,
        position: last.position,
        recordedAt,
      });
    }
    return { version: last.version, position: last.position, recordedAt, duplicate: false };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    const { fromVersion = 1, toVersion = Infinity, recordedAtOrBefore, limit = Infinity } = options;
    return (this.streams.get(streamId) ?? [])
      .filter(
        (e) =>
          e.version >= fromVersion &&
          e.version <= toVersion &&
          (!recordedAtOrBefore || e.recordedAt.getTime() <= recordedAtOrBefore.getTime()),
      )
      .slice(0, limit)
      .map(copyEvent);
  }

  async readLog(after: number, limit: number): Promise<StoredEvent[]> {
    return this.log.slice(Math.max(after, 0), Math.max(after, 0) + limit).map(copyEvent);
  }

  async readHead(): Promise<number> {
    return this.log.length;
  }

  async streamVersion(streamId: string): Promise<number> {
    return this.streams.get(streamId)?.length ?? 0;
  }

  async findIdempotencyRecord(key: string): Promise<IdempotencyRecord | undefined> {
    const stored = this.idempotency.get(key);
    if (!stored) return undefined;
    if (stored.recordedAt < this.horizon()) {
      this.idempotency.delete(key);
      return undefined;
    }
    const { recordedAt: _recordedAt, ...record } = stored;
    return copy(record);
  }

  async deleteExpiredIdempotencyRecords(limit: number): Promise<number> {
    const horizon = this.horizon();
    let deleted = 0;
    for (const [key, { recordedAt }] of this.idempotency) {
      if (deleted === limit) break;
      if (recordedAt >= horizon) continue;
      this.idempotency.delete(key);
      deleted++;
    }
    return deleted;
  }
}
