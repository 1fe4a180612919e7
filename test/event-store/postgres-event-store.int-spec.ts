import { randomUUID } from 'node:crypto';
import { ConcurrencyError } from '#event-sourcing/domain';
import { EventIdTakenError, type NewEvent } from '#event-sourcing';
import { PostgresEventStore } from '#event-sourcing/postgres';
import { eventStoreContract, newEvent } from '../support/event-store-contract.js';
import { createMigratedDatabase } from '../support/test-database.js';
import { createPartitionedDatabase } from '../partitioning/partitioned-database.js';

describe('PostgresEventStore', () => {
  eventStoreContract(async (now) => {
    const database = await createMigratedDatabase();
    return { store: new PostgresEventStore(database.pool, { idempotency: { now } }), close: database.drop };
  });
});

// Partitions of 10 positions: the contract's streams and log reads cross their bounds.
describe('PostgresEventStore on a partitioned log', () => {
  eventStoreContract(async (now) => {
    const database = await createPartitionedDatabase({ size: 10, ahead: 30 });
    return { store: new PostgresEventStore(database.pool, { idempotency: { now } }), close: database.drop };
  });
});

// The append function looks stored event ids up only off its happy path (migration
// 1795680000009): when the version check stops its INSERT, or with 'any'.
describe('PostgresEventStore retries', () => {
  let store: PostgresEventStore;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const database = await createMigratedDatabase();
    store = new PostgresEventStore(database.pool);
    drop = database.drop;
  });
  afterAll(() => drop());

  const stream = () => `stream-${randomUUID()}`;
  const append = (streamId: string, expectedVersion: number | 'any', ...events: NewEvent[]) =>
    store.append({ streamId, streamType: 'Thing', expectedVersion, events });

  it('answers a retry with the stored result after other appends moved the stream on', async () => {
    const id = stream();
    const events = [newEvent('A'), newEvent('B')];
    const first = await append(id, 0, ...events);
    await append(id, 2, newEvent('C'));

    expect(await append(id, 0, ...events)).toEqual({ ...first, duplicate: true });
    expect((await store.readStream(id)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
  });

  it("answers a retry with 'any' with the stored result", async () => {
    const id = stream();
    const event = newEvent();
    const first = await append(id, 'any', event);

    expect(await append(id, 'any', event)).toEqual({ ...first, duplicate: true });
    expect(await store.streamVersion(id)).toBe(1);
  });

  it('still refuses a stale expected version when none of the event ids is stored', async () => {
    const id = stream();
    await append(id, 0, newEvent(), newEvent());
    const refused = append(id, 1, newEvent());
    await expect(refused).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(refused).rejects.toMatchObject({ expectedVersion: 1, actualVersion: 2 });
  });

  it('refuses an event id already stored in another stream, and stores nothing', async () => {
    const taken = newEvent();
    await append(stream(), 0, taken);
    const other = stream();

    await expect(append(other, 0, newEvent(), taken)).rejects.toThrow(new EventIdTakenError(taken.id));
    expect(await store.streamVersion(other)).toBe(0);
  });

  it('numbers single events and batches alike: versions from the expected one, positions in version order', async () => {
    const id = stream();
    const one = await append(id, 0, newEvent());
    const batch = await append(id, 1, newEvent(), newEvent(), newEvent());
    const stored = await store.readStream(id);

    expect(stored.map((e) => e.version)).toEqual([1, 2, 3, 4]);
    expect(stored.map((e) => e.position)).toEqual([...stored.map((e) => e.position)].sort((a, b) => a - b));
    expect([one.position, batch.position]).toEqual([stored[0].position, stored[3].position]);
    expect(batch.recordedAt).toEqual(stored[3].recordedAt);
  });
});
