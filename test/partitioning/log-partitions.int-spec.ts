import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ConcurrencyError } from '#event-sourcing/domain';
import {
  AlreadyPartitionedError,
  createPartitionsAhead,
  detachPartition,
  DetachRefusedError,
  enablePartitioning,
  listPartitions,
  NotPartitionedError,
  PostgresEventStore,
} from '#event-sourcing/postgres';
import { EventIdTakenError, type NewEvent } from '#event-sourcing';
import { newEvent } from '../support/event-store-contract.js';
import { createMigratedDatabase } from '../support/test-database.js';
import { until } from '../support/until.js';

let pool: pg.Pool;
let store: PostgresEventStore;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ pool, drop } = await createMigratedDatabase());
  store = new PostgresEventStore(pool);
});
afterAll(() => drop());

const append = (streamId: string, expectedVersion: number | 'any', events: NewEvent[]) =>
  store.append({ streamId, streamType: 'Thing', expectedVersion, events });
const events = (n: number) => Array.from({ length: n }, (_, i) => newEvent('Counted', { i }));

async function withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await work(client);
  } finally {
    client.release();
  }
}

// Another test file's (or any) open transaction on the server holds the log back a moment.
const readWholeLog = (length: number) =>
  until(
    () => store.readLog(0, 1000),
    (log) => log.length >= length,
    `the log to serve ${length} events`,
  );

const bounds = async () => (await withClient(listPartitions)).partitions.map((p) => [p.name, p.from, p.to]);

// One log, converted once, that the tests below grow in order: each starts where the last left off.
describe('a log partitioned after it held events', () => {
  const old = `old-${randomUUID()}`;

  beforeAll(async () => {
    await append(old, 0, events(150));
    await withClient((client) => expect(createPartitionsAhead(client)).rejects.toBeInstanceOf(NotPartitionedError));
    await withClient((client) => enablePartitioning(client, { size: 100, ahead: 2 }));
  });

  it('keeps the old table as the first partition, up to the next multiple of the size, and two empty ones after it', async () => {
    expect(await bounds()).toEqual([
      ['events_from_1', 1, 200],
      ['events_from_200', 200, 300],
      ['events_from_300', 300, 400],
    ]);
    const { rows } = await pool.query(`SELECT relkind, pg_get_serial_sequence('events', 'position') AS sequence
                                         FROM pg_class WHERE relname = 'events'`);
    expect(rows[0]).toEqual({ relkind: 'p', sequence: 'public.events_position_seq' });
    const indexes = await pool.query(`SELECT indexrelid::regclass::text AS name FROM pg_index
                                       WHERE indrelid = 'events'::regclass ORDER BY 1`);
    expect(indexes.rows.map((r) => r.name)).toEqual(['events_pkey', 'events_stream_search']);
  });

  it('refuses to partition it twice', async () => {
    await withClient((client) =>
      expect(enablePartitioning(client, { size: 100 })).rejects.toBeInstanceOf(AlreadyPartitionedError),
    );
  });

  it('appends at the next position, across a partition bound, and reads the log in order with no gap', async () => {
    const id = `crossing-${randomUUID()}`;
    const first = await append(id, 0, events(30));
    expect(first.position).toBe(180);
    const second = await append(id, 30, events(30));
    expect(second.position).toBe(210);

    const stream = await store.readStream(id);
    expect(stream.map((e) => e.version)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(stream.map((e) => e.position)).toEqual(Array.from({ length: 60 }, (_, i) => 151 + i));
    const { rows } = await pool.query(
      `SELECT tableoid::regclass::text AS partition, count(*)::int AS n FROM events WHERE stream_id = $1 GROUP BY 1 ORDER BY 1`,
      [id],
    );
    expect(rows).toEqual([
      { partition: 'events_from_1', n: 49 },
      { partition: 'events_from_200', n: 11 },
    ]);

    const log = await readWholeLog(210);
    expect(log.map((e) => e.position)).toEqual(Array.from({ length: 210 }, (_, i) => i + 1));
    expect(await store.streamVersion(id)).toBe(60);
  });

  it('still refuses a stale expected version when the stream began in an older partition', async () => {
    await expect(append(old, 100, events(1))).rejects.toBeInstanceOf(ConcurrencyError);
    const raced = await Promise.allSettled(Array.from({ length: 10 }, () => append(old, 150, events(1))));
    expect(raced.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(raced.filter((r) => r.status === 'rejected' && r.reason instanceof ConcurrencyError)).toHaveLength(9);
    expect(await store.streamVersion(old)).toBe(151);
  });

  it('finds an event stored in an older partition when it is appended again', async () => {
    const [stored] = await store.readStream(old, { limit: 1 });
    const again = await append(old, 'any', [{ ...newEvent(), id: stored.id }]);
    expect(again).toMatchObject({ duplicate: true, version: 1, position: 1 });
    expect(await store.streamVersion(old)).toBe(151);
  });

  it('creates partitions ahead only where missing, also when several instances ask at once', async () => {
    // The head (211: the appends refused above took no position, their version check
    // runs before the critical section) is in events_from_200: events_from_300 is the one
    // partition ahead.
    await withClient((client) => expect(createPartitionsAhead(client, 1)).resolves.toEqual([]));
    const created = await Promise.all(
      Array.from({ length: 4 }, () => withClient((client) => createPartitionsAhead(client, 3))),
    );
    expect(created.flat().map((p) => p.name)).toEqual(['events_from_400', 'events_from_500']);
    expect((await bounds()).map(([name]) => name)).toEqual([
      'events_from_1',
      'events_from_200',
      'events_from_300',
      'events_from_400',
      'events_from_500',
    ]);
  });

  it('lists each partition with its bounds, rows and size, and the head', async () => {
    await pool.query('ANALYZE events');
    const log = await withClient(listPartitions);
    expect(log.head).toBe(211);
    expect(log.partitions[0]).toMatchObject({ name: 'events_from_1', from: 1, to: 200, rows: 199 });
    expect(log.partitions[1]).toMatchObject({ name: 'events_from_200', rows: 12 });
    expect(log.partitions[0].bytes).toBeGreaterThan(log.partitions[2].bytes);
  });

  it('detaches an old partition, never the one holding the head, a newer one, or one a follower has not passed', async () => {
    for (const name of ['events_from_200', 'events_from_300', 'events_log_not_a_partition']) {
      await withClient((client) => expect(detachPartition(client, name)).rejects.toBeInstanceOf(DetachRefusedError));
    }
    await pool.query(`INSERT INTO followers (name, position) VALUES ('slow-view', 198)`);
    await withClient((client) =>
      expect(detachPartition(client, 'events_from_1')).rejects.toThrow(
        /followers have not processed.*slow-view \(at 198\)/,
      ),
    );
    await pool.query(`UPDATE followers SET position = 199 WHERE name = 'slow-view'`);
    await withClient((client) => detachPartition(client, 'events_from_1'));

    expect((await bounds())[0]).toEqual(['events_from_200', 200, 300]);
    const kept = await pool.query('SELECT count(*)::int AS n FROM events_from_1');
    expect(kept.rows[0].n).toBe(199);
    expect((await readWholeLog(12)).map((e) => e.position)[0]).toBe(200);
    await expect(append(old, 151, events(1))).resolves.toMatchObject({ version: 152 });
    // event_ids keeps the detached ids: appended again, anywhere, they are still refused.
    const detached = await pool.query('SELECT event_id FROM events_from_1 LIMIT 1');
    const again = { ...newEvent(), id: detached.rows[0].event_id };
    await expect(append(`new-${randomUUID()}`, 0, [again])).rejects.toThrow(new EventIdTakenError(again.id));
  });
});
