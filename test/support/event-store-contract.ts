import { randomUUID } from 'node:crypto';
import { ConcurrencyError } from '#event-sourcing/domain';
import {
  EventIdTakenError,
  IdempotencyKeyTakenError,
  type EventStore,
  type NewEvent,
  type StoredEvent,
} from '#event-sourcing';
import { until } from './until.js';

export function newEvent(type = 'Happened', data: Record<string, unknown> = {}): NewEvent {
  return { id: randomUUID(), type, schemaVersion: 1, data, metadata: { correlationId: 'c-1', causationId: 'k-1' } };
}

const DAY_MS = 24 * 60 * 60_000;

/**
 * The promises every event store keeps, run against each implementation (the in-memory
 * one in unit tests, PostgreSQL in integration tests). `open` makes a store whose
 * idempotency records expire after the default TTL (a day) as of `now`, a clock the tests
 * set (the system clock until they do).
 */
export function eventStoreContract(
  open: (now: () => Date) => Promise<{ store: EventStore; close(): Promise<void> }>,
): void {
  let store: EventStore;
  let close: () => Promise<void>;
  let setTime: Date | undefined;
  const at = (time: Date | number | undefined) => (setTime = time === undefined ? undefined : new Date(time));
  beforeAll(async () => ({ store, close } = await open(() => setTime ?? new Date())));
  afterEach(() => at(undefined));
  afterAll(() => close());

  const stream = () => `stream-${randomUUID()}`;
  const append = (streamId: string, expectedVersion: number | 'any', ...events: NewEvent[]) =>
    store.append({ streamId, streamType: 'Thing', expectedVersion, events });

  it('appends several events atomically and reads them back in version order', async () => {
    const id = stream();
    const events = [newEvent('A', { n: 1 }), newEvent('B', { n: 2 }), newEvent('C', { text: 'é "quoted" \\ {x}' })];
    const result = await append(id, 0, ...events);
    expect(result).toMatchObject({ version: 3, duplicate: false });

    const stored = await store.readStream(id);
    expect(stored.map((e) => [e.version, e.type, e.data])).toEqual([
      [1, 'A', { n: 1 }],
      [2, 'B', { n: 2 }],
      [3, 'C', { text: 'é "quoted" \\ {x}' }],
    ]);
    expect(stored.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(stored[0]).toMatchObject({ streamId: id, streamType: 'Thing', schemaVersion: 1 });
    expect(stored[0].metadata).toEqual({ correlationId: 'c-1', causationId: 'k-1' });
    expect(stored[0].recordedAt).toBeInstanceOf(Date);
    const positions = stored.map((e) => e.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(3);
    expect(result.position).toBe(positions[2]);
  });

  it('refuses an append at a stale or future expected version with a ConcurrencyError', async () => {
    const id = stream();
    await append(id, 0, newEvent(), newEvent());
    await expect(append(id, 1, newEvent())).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(append(id, 3, newEvent())).rejects.toMatchObject({
      streamId: id,
      expectedVersion: 3,
      actualVersion: 2,
    });
    await expect(append(id, 0, newEvent())).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await store.streamVersion(id)).toBe(2);
  });

  it('refuses an append without events or with a negative expected version', async () => {
    await expect(append(stream(), 0)).rejects.toBeInstanceOf(RangeError);
    await expect(append(stream(), -1, newEvent())).rejects.toBeInstanceOf(RangeError);
  });

  it("appends wherever the stream is with 'any'", async () => {
    const id = stream();
    await append(id, 'any', newEvent());
    expect(await append(id, 'any', newEvent())).toMatchObject({ version: 2 });
  });

  it('appends nothing for event ids it already stored, and answers with the stored result', async () => {
    const id = stream();
    const event = newEvent();
    const first = await append(id, 0, event);
    const again = await append(id, 0, event);
    expect(again).toEqual({ ...first, duplicate: true });
    expect(await store.readStream(id)).toHaveLength(1);
  });

  it('refuses an event id stored in another stream: never its duplicate, whatever the expected version', async () => {
    const taken = newEvent();
    await append(stream(), 0, taken);
    const other = stream();
    await append(other, 0, newEvent());

    await expect(append(other, 0, taken)).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(append(other, 1, taken)).rejects.toThrow(new EventIdTakenError(taken.id));
    await expect(append(other, 'any', newEvent(), taken)).rejects.toBeInstanceOf(EventIdTakenError);
    expect((await store.readStream(other)).map((e) => e.version)).toEqual([1]);
  });

  it('reads a slice of a stream by version and by time', async () => {
    const id = stream();
    await append(id, 0, newEvent('A'), newEvent('B'), newEvent('C'), newEvent('D'));
    expect((await store.readStream(id, { fromVersion: 2, toVersion: 3 })).map((e) => e.type)).toEqual(['B', 'C']);
    expect((await store.readStream(id, { fromVersion: 2, limit: 1 })).map((e) => e.type)).toEqual(['B']);
    const [first] = await store.readStream(id);
    expect(await store.readStream(id, { recordedAtOrBefore: first.recordedAt })).toHaveLength(4);
    expect(await store.readStream(id, { recordedAtOrBefore: new Date(first.recordedAt.getTime() - 1) })).toEqual([]);
    expect(await store.readStream(stream())).toEqual([]);
  });

  it('reads the log after a position, in position order, across streams', async () => {
    const before = await store.readLog(0, 1_000_000);
    const after = before.length > 0 ? before[before.length - 1].position : 0;
    const [a, b] = [stream(), stream()];
    await append(a, 0, newEvent('A1'));
    await append(b, 0, newEvent('B1'), newEvent('B2'));
    await append(a, 1, newEvent('A2'));
    // A reader sees an append once every transaction older than it has ended: on a shared
    // server another client's transaction can hold the newest ones (and older ones it had
    // hidden from `before`) back for a moment.
    const ours = (events: StoredEvent[]) => events.filter((e) => e.streamId === a || e.streamId === b);
    const log = ours(
      await until(
        () => store.readLog(after, 1_000),
        (events) => ours(events).length === 4,
        'the four appends in the log',
      ),
    );
    expect(log.map((e) => e.type)).toEqual(['A1', 'B1', 'B2', 'A2']);
    expect((await store.readLog(log[1].position, 2)).map((e) => e.type)).toEqual(['B2', 'A2']);
    expect(await store.readLog(log[3].position, 10)).toEqual([]);
  });

  it('reads the head of the log: the last position readLog serves, after which it serves only later appends', async () => {
    const id = stream();
    const { position } = await append(id, 0, newEvent('H1'));
    const head = await until(
      () => store.readHead(),
      (at) => at >= position,
      'the append at the head',
    );
    expect(head).toBe(position);
    expect(await store.readLog(head, 10)).toEqual([]);
    const { position: next } = await append(id, 1, newEvent('H2'));
    const later = await until(
      () => store.readLog(head, 10),
      (events) => events.length > 0,
      'the next append',
    );
    expect(later.map((e) => e.position)).toEqual([next]);
  });

  it('stores an idempotency record with the events, once per key', async () => {
    const id = stream();
    const key = `key-${randomUUID()}`;
    const idempotency = { key, fingerprint: 'f', result: { balance: 5 } };
    const result = await store.append({
      streamId: id,
      streamType: 'Thing',
      expectedVersion: 0,
      events: [newEvent()],
      idempotency,
    });
    expect(await store.findIdempotencyRecord(key)).toEqual({
      ...idempotency,
      streamId: id,
      version: 1,
      position: result.position,
    });

    const second = store.append({
      streamId: id,
      streamType: 'Thing',
      expectedVersion: 1,
      events: [newEvent()],
      idempotency,
    });
    await expect(second).rejects.toBeInstanceOf(IdempotencyKeyTakenError);
    expect(await store.streamVersion(id)).toBe(1);
    expect(await store.findIdempotencyRecord(`key-${randomUUID()}`)).toBeUndefined();
  });

  it('forgets an idempotency record a day after it was stored: the key can then be stored again', async () => {
    const id = stream();
    const key = `key-${randomUUID()}`;
    const keyed = (expectedVersion: number, fingerprint: string) =>
      store.append({
        streamId: id,
        streamType: 'Thing',
        expectedVersion,
        events: [newEvent()],
        idempotency: { key, fingerprint, result: {} },
      });
    const first = await keyed(0, 'first');

    at(first.recordedAt.getTime() + DAY_MS);
    expect(await store.findIdempotencyRecord(key)).toMatchObject({ fingerprint: 'first', version: 1 });
    at(first.recordedAt.getTime() + DAY_MS + 1);
    expect(await store.findIdempotencyRecord(key)).toBeUndefined();

    const second = await keyed(1, 'second');
    at(second.recordedAt.getTime() + DAY_MS);
    expect(await store.findIdempotencyRecord(key)).toMatchObject({ fingerprint: 'second', version: 2 });
  });

  it('deletes expired idempotency records at most `limit` at a time, and none that has not expired', async () => {
    const keys = [1, 2, 3].map(() => `key-${randomUUID()}`);
    for (const key of keys) {
      const idempotency = { key, fingerprint: 'f', result: {} };
      await store.append({
        streamId: stream(),
        streamType: 'Thing',
        expectedVersion: 0,
        events: [newEvent()],
        idempotency,
      });
    }
    expect(await store.deleteExpiredIdempotencyRecords(100)).toBe(0);

    // Two days on, these and every earlier test's records have expired.
    at(Date.now() + 2 * DAY_MS);
    const batches: number[] = [];
    for (let deleted = -1; deleted !== 0;) batches.push((deleted = await store.deleteExpiredIdempotencyRecords(2)));
    expect(batches.every((n) => n <= 2)).toBe(true);
    expect(batches.slice(0, -2).every((n) => n === 2)).toBe(true);
    expect(batches.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(keys.length);
    at(undefined);
    for (const key of keys) expect(await store.findIdempotencyRecord(key)).toBeUndefined();
  });
}
