import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { type EventMigration, PlainEventCodec, type StoredEvent } from '#event-sourcing';
import { runEventMigration, type EventMigrationOptions, PostgresEventStore } from '#event-sourcing/postgres';
import { createMigratedDatabase } from '../support/test-database.js';
import { accountOpenedV2, restoreLog, rowsOf, saveLog, seedLog } from './event-migrations-harness.js';

const EVENTS = 1_000;
const BATCH = 64;
const COPY = 'events_v2';
const RETIRED = 'events_before_account_opened_v2';

let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
let pool: pg.Pool;
const migrate = (migration: EventMigration, options: EventMigrationOptions = {}) =>
  runEventMigration(pool, new PlainEventCodec(), migration, { batchSize: BATCH, log: () => undefined, ...options });

/** The log as account-opened-v2 in place leaves it: what a copy must hold. */
let expected: Record<string, unknown>[];

beforeAll(async () => {
  database = await createMigratedDatabase();
  pool = database.pool;
  await seedLog(pool, EVENTS);
  await saveLog(pool, 'seeded');
  await migrate(accountOpenedV2);
  expected = await rowsOf(pool);
});
beforeEach(async () => {
  await restoreLog(pool, 'seeded');
  await pool.query(`DROP TABLE IF EXISTS ${COPY}, ${RETIRED}`);
});
afterAll(() => database?.drop());

function deposit(store: PostgresEventStore, streamId: string) {
  const id = randomUUID();
  return store
    .append({
      streamId,
      streamType: 'Account',
      expectedVersion: 'any',
      events: [
        {
          id,
          type: 'MoneyDeposited',
          schemaVersion: 1,
          data: { amount: 1 },
          metadata: { correlationId: id, causationId: id },
        },
      ],
    })
    .then(({ position }) => ({ id, position, streamId }));
}

/** The log as readers see it once every transaction before `position` has ended (others may hold it back a moment). */
async function logThrough(store: PostgresEventStore, position: number): Promise<StoredEvent[]> {
  for (let tries = 0; ; tries++) {
    const log = await store.readLog(0, 10 * EVENTS);
    if (log.at(-1)?.position === position || tries > 400) return log;
    await sleep(50);
  }
}

describe('copy-and-transform into a new table', () => {
  it('copies every event, migrated and at its position, and leaves the log as it was', async () => {
    const report = await migrate(accountOpenedV2, { into: COPY });
    expect(report).toMatchObject({ status: 'copied', read: EVENTS, changed: EVENTS / 10, position: EVENTS });
    expect(await rowsOf(pool, COPY)).toEqual(expected);
    expect(await rowsOf(pool)).toEqual(await rowsOf(pool, 'seeded'));
  });

  it('gives the same copy when stopped after a batch and run again, or started over', async () => {
    const stop = new AbortController();
    const stopping: EventMigration = {
      ...accountOpenedV2,
      transform: (event) => {
        if (event.position === 300) stop.abort();
        return accountOpenedV2.transform(event);
      },
    };
    expect(await migrate(stopping, { into: COPY, signal: stop.signal })).toMatchObject({
      status: 'stopped',
      position: 5 * BATCH,
    });
    expect(await rowsOf(pool, COPY)).toEqual(expected.slice(0, 5 * BATCH));
    expect(await migrate(accountOpenedV2, { into: COPY })).toMatchObject({ status: 'copied', read: EVENTS });
    expect(await rowsOf(pool, COPY)).toEqual(expected);
    expect(await migrate(accountOpenedV2, { into: COPY, restart: true })).toMatchObject({
      status: 'copied',
      read: EVENTS,
    });
    expect(await rowsOf(pool, COPY)).toEqual(expected);
  });

  it('refuses a table it did not fill, a bad name, and the log itself', async () => {
    await pool.query('CREATE TABLE occupied (x integer); INSERT INTO occupied VALUES (1)');
    await expect(migrate(accountOpenedV2, { into: 'occupied' })).rejects.toThrow(
      'Table occupied already holds 1 rows that no run of account-opened-v2 copied',
    );
    await expect(migrate(accountOpenedV2, { into: 'x"; DROP TABLE events; --' })).rejects.toThrow(RangeError);
    await expect(migrate(accountOpenedV2, { into: 'events' })).rejects.toThrow(RangeError);
    await expect(migrate(accountOpenedV2, { swap: true })).rejects.toThrow(RangeError);
    expect((await pool.query('SELECT count(*)::int AS n FROM event_migrations')).rows[0].n).toBe(0);
  });
});

describe('a swap', () => {
  it('puts the copy in place of the log while writers append: nothing acknowledged is lost, positions go on', async () => {
    // One connection that appends and reads before, during and after the swap: its cached
    // plans of chronicle_append and its prepared reads must move to the new table.
    const single = new pg.Pool({ ...(pool.options as pg.PoolConfig), max: 1 });
    const early = new PostgresEventStore(single);
    const store = new PostgresEventStore(pool);
    try {
      const acknowledged = [await deposit(early, 'early')];
      expect(await early.readStream('early')).toHaveLength(1);
      await logThrough(early, acknowledged[0].position);

      expect(await migrate(accountOpenedV2, { into: COPY })).toMatchObject({ status: 'copied' });
      acknowledged.push(await deposit(early, 'early'));

      let swapping = true;
      const writers = ['a', 'b', 'c', 'd'].map(async (stream) => {
        for (let i = 0; swapping || i < 5; i++) acknowledged.push(await deposit(i % 2 ? store : early, stream));
      });
      const report = await migrate(accountOpenedV2, { into: COPY, swap: true });
      swapping = false;
      await Promise.all(writers);
      expect(report).toMatchObject({ status: 'swapped', retired: RETIRED, changed: EVENTS / 10 });

      const [{ last }] = (await pool.query('SELECT max(position)::int AS last FROM events')).rows;
      const after = await deposit(early, 'early');
      expect(after.position).toBe(last + 1);
      acknowledged.push(after);

      const stored = (
        await pool.query('SELECT event_id FROM events WHERE event_id = ANY($1)', [acknowledged.map((a) => a.id)])
      ).rows;
      expect(stored).toHaveLength(acknowledged.length);
      const lost = await pool.query(
        `SELECT position FROM ${RETIRED} r WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.position = r.position)`,
      );
      expect(lost.rows).toEqual([]);
      const rows = await rowsOf(pool);
      expect(rows.slice(0, EVENTS)).toEqual(expected);
      expect(new Set(rows.map((r) => r.event_id)).size).toBe(rows.length);

      const earlyPositions = acknowledged.filter((a) => a.streamId === 'early').map((a) => a.position);
      expect((await early.readStream('early')).map((e) => e.position)).toEqual(earlyPositions.sort((x, y) => x - y));
      const log = await logThrough(early, after.position);
      expect(log.map((e) => e.position)).toEqual(rows.map((r) => Number(r.position)));
      expect(log.filter((e) => e.type === 'AccountOpened').every((e) => e.schemaVersion === 2)).toBe(true);

      const indexes = await pool.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'events' ORDER BY 1`);
      expect(indexes.rows.map((r) => r.indexname)).toEqual([
        'events_event_id_key',
        'events_pkey',
        'events_stream_search',
        'events_stream_version_key',
      ]);
      expect(await migrate(accountOpenedV2, { into: COPY, swap: true })).toMatchObject({ status: 'already-finished' });
    } finally {
      await single.end();
    }
  });
});
