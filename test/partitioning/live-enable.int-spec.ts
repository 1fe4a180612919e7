import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { enablePartitioning, PostgresEventStore } from '#event-sourcing/postgres';
import type { StoredEvent } from '#event-sourcing';
import { newEvent } from '../support/event-store-contract.js';
import { createMigratedDatabase } from '../support/test-database.js';
import { until } from '../support/until.js';

const WRITERS = 8;

let pool: pg.Pool;
let drop: () => Promise<void>;
beforeAll(async () => ({ pool, drop } = await createMigratedDatabase()));
afterAll(() => drop());

// Issue 16, item 5: an append that had taken its position when `enable` locked the log
// waited for the log while `enable` waited for the position's sequence (40P01).
it('partitions the log while 8 writers append: no append fails, every event is stored once', async () => {
  const store = new PostgresEventStore(pool);
  const acknowledged: string[] = [];
  const failures: unknown[] = [];
  let stop = false;
  const writer = async () => {
    const streams = Array.from({ length: 4 }, () => ({ id: `live-${randomUUID()}`, version: 0 }));
    for (let n = 0; !stop; n++) {
      const stream = streams[n % streams.length];
      const events = Array.from({ length: 1 + (n % 3) }, () => newEvent());
      try {
        const result = await store.append({
          streamId: stream.id,
          streamType: 'Thing',
          expectedVersion: stream.version,
          events,
        });
        stream.version = result.version;
        acknowledged.push(...events.map((e) => e.id));
      } catch (error) {
        failures.push(error);
        stream.version = await store.streamVersion(stream.id);
      }
    }
  };
  const writing = Array.from({ length: WRITERS }, writer);
  await until(
    async () => acknowledged.length,
    (n) => n >= 200,
    'appends before enable',
  );
  const client = await pool.connect();
  try {
    await enablePartitioning(client, { size: 500, ahead: 4 });
  } finally {
    client.release();
  }
  const at = acknowledged.length;
  await until(
    async () => acknowledged.length,
    (n) => n >= at + 200,
    'appends after enable',
  );
  stop = true;
  await Promise.all(writing);

  expect(failures).toEqual([]);
  const { rows } = await pool.query(`SELECT relkind FROM pg_class WHERE oid = 'events'::regclass`);
  expect(rows[0].relkind).toBe('p');
  const log = await until(
    () => readAll(store),
    (events) => events.length >= acknowledged.length,
    'every acknowledged event in the log',
  );
  expect(log.map((e) => e.id).sort()).toEqual([...acknowledged].sort());
});

async function readAll(store: PostgresEventStore): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for (
    let page = await store.readLog(0, 1000);
    page.length > 0;
    page = await store.readLog(page.at(-1)!.position, 1000)
  )
    events.push(...page);
  return events;
}
