import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { IdempotencySweeper } from '#event-sourcing';
import { PostgresEventStore } from '#event-sourcing/postgres';
import { newEvent } from '../support/event-store-contract.js';
import { createMigratedDatabase } from '../support/test-database.js';

const TTL_MS = 60_000;
// The TTL spans this many appends of the load, and the sweeper runs once every SWEEP_EVERY.
const WINDOW = 30;
const SWEEP_EVERY = 10;
const APPENDS = 300;

describe('idempotency_keys under a steady keyed load', () => {
  let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
  beforeAll(async () => (database = await createMigratedDatabase()));
  afterAll(() => database.drop());

  it('holds one TTL of keys and one sweep interval more: the sweeper deletes the rest in bounded batches', async () => {
    // The app's clock, moved as if each append came TTL / WINDOW after the one before: a
    // TTL after the append WINDOW back (stamped by the database), plus a millisecond.
    let now = new Date();
    const store = new PostgresEventStore(database.pool, { idempotency: { ttlMs: TTL_MS, now: () => now } });
    const deletes = jest.spyOn(store, 'deleteExpiredIdempotencyRecords');
    const sweeper = new IdempotencySweeper(store, { everyMs: 60_000, batch: 4, maxBatches: 100 });
    const rows = async () =>
      Number((await database.pool.query('SELECT count(*) AS n FROM idempotency_keys')).rows[0].n);

    const stamped: Date[] = [];
    const counts: number[] = [];
    let swept = 0;
    for (let i = 0; i < APPENDS; i++) {
      const idempotency = { key: `load-${randomUUID()}`, fingerprint: 'f', result: {} };
      const streamId = `stream-${randomUUID()}`;
      const { recordedAt } = await store.append({
        streamId,
        streamType: 'Thing',
        expectedVersion: 0,
        events: [newEvent()],
        idempotency,
      });
      stamped.push(recordedAt);
      if (i >= WINDOW) now = new Date(stamped[i - WINDOW].getTime() + TTL_MS + 1);
      if (i % SWEEP_EVERY === 0) swept += await sweeper.sweep();
      counts.push(await rows());
    }

    expect(Math.max(...counts)).toBeLessThanOrEqual(WINDOW + SWEEP_EVERY - 1);
    expect(counts[APPENDS - 1]).toBeGreaterThanOrEqual(WINDOW - SWEEP_EVERY);
    expect(swept).toBe(APPENDS - (await rows()));
    // Ten records expire between sweeps: each sweep deletes them four at a time.
    expect(deletes.mock.calls.every(([limit]) => limit === 4)).toBe(true);
    expect(deletes.mock.calls.length).toBeGreaterThan(2 * (APPENDS / SWEEP_EVERY));
  });
});
