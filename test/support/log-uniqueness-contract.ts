import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ConcurrencyError } from '#event-sourcing/domain';
import { EventIdTakenError, type NewEvent } from '#event-sourcing';
import { PostgresEventStore } from '#event-sourcing/postgres';
import { newEvent } from './event-store-contract.js';
import { until } from './until.js';

/** Positions per partition of the partitioned log this contract runs on: the cases below place appends at its bounds. */
export const BOUND_EVERY = 10;

/**
 * What the log answers when an append would store an event id, or a (stream, version),
 * twice (issue 16, item 3): the same on the plain `events` table, whose unique indexes
 * decide, and on a partitioned one, whose unique indexes hold per partition only. `open`
 * makes a migrated database with either log; a partitioned one has partitions of
 * {@link BOUND_EVERY} positions, so that "across a bound" means positions 9 and 10, 19
 * and 20, ... (on the plain table the same positions, with no bound between them).
 */
export function logUniquenessContract(open: () => Promise<{ pool: pg.Pool; drop(): Promise<void> }>): void {
  let pool: pg.Pool;
  let drop: () => Promise<void>;
  let store: PostgresEventStore;
  beforeAll(async () => {
    ({ pool, drop } = await open());
    store = new PostgresEventStore(pool);
  });
  afterAll(() => drop());

  const stream = () => `stream-${randomUUID()}`;
  const append = (streamId: string, expectedVersion: number | 'any', ...events: NewEvent[]) =>
    store.append({ streamId, streamType: 'Thing', expectedVersion, events });
  const copies = async (id: string) =>
    (await pool.query('SELECT count(*)::int AS n FROM events WHERE event_id = $1', [id])).rows[0].n;
  const versionsOf = async (streamId: string) =>
    (await pool.query('SELECT version FROM events WHERE stream_id = $1 ORDER BY 1', [streamId])).rows.map(
      (r) => r.version,
    );

  /** Appends filler events, one at a time, until the next position handed out is `offset` past a bound. */
  async function nextPositionAt(offset: number): Promise<void> {
    const filler = stream();
    for (;;) {
      const { rows } = await pool.query(
        'SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS next FROM events_position_seq',
      );
      if (Number(rows[0].next) % BOUND_EVERY === offset) return;
      await append(filler, 'any', newEvent());
    }
  }

  it('refuses an event id stored in an older partition when another stream appends it', async () => {
    const first = stream();
    const taken = newEvent();
    const stored = await append(first, 0, taken);
    await nextPositionAt(0);

    for (const expected of [0, 'any'] as const) {
      await expect(append(stream(), expected, taken)).rejects.toThrow(new EventIdTakenError(taken.id));
    }
    await expect(append(stream(), 0, newEvent(), taken)).rejects.toThrow(new EventIdTakenError(taken.id));
    expect(await copies(taken.id)).toBe(1);
    // A retry of the append that stored it still answers with its own result.
    expect(await append(first, 0, taken)).toEqual({ ...stored, duplicate: true });
  });

  it("never answers an append with another stream's event as its duplicate", async () => {
    const taken = newEvent();
    await append(stream(), 0, taken);
    const other = stream();
    await append(other, 0, newEvent());

    const stale = append(other, 0, taken);
    await expect(stale).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(stale).rejects.toMatchObject({ actualVersion: 1 });
    await expect(append(other, 'any', taken)).rejects.toThrow(new EventIdTakenError(taken.id));
    expect(await versionsOf(other)).toEqual([1]);
  });

  describe('in one group (chronicle_append_group)', () => {
    const group = (appends: { streamId: string; events: NewEvent[] }[]) => {
      const events = appends.flatMap((a) => a.events);
      return pool.query(`SELECT * FROM chronicle_append_group($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, [
        appends.map((a) => a.streamId),
        appends.map(() => 'Thing'),
        appends.map(() => 0),
        appends.map((a) => a.events.length),
        appends.map(() => null),
        appends.map(() => null),
        appends.map(() => null),
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => e.schemaVersion),
        events.map((e) => JSON.stringify(e.data)),
        events.map((e) => JSON.stringify(e.metadata)),
      ]);
    };

    it('refuses two appends sharing an event id across a bound, and stores neither', async () => {
      const shared = newEvent();
      const [a, b] = [stream(), stream()];
      await nextPositionAt(BOUND_EVERY - 1);

      await expect(
        group([
          { streamId: a, events: [shared] },
          { streamId: b, events: [{ ...shared }] },
        ]),
      ).rejects.toMatchObject({
        code: '23505',
      });
      expect(await copies(shared.id)).toBe(0);
    });

    it('refuses an append of an event id stored in an older partition', async () => {
      const taken = newEvent();
      await append(stream(), 0, taken);
      await nextPositionAt(0);

      await expect(
        group([
          { streamId: stream(), events: [newEvent()] },
          { streamId: stream(), events: [taken] },
        ]),
      ).rejects.toMatchObject({
        code: '23505',
      });
      expect(await copies(taken.id)).toBe(1);
    });

    it("answers a retry with its own stream's event only", async () => {
      const taken = newEvent();
      const first = stream();
      const stored = await append(first, 0, taken);
      await append(stream(), 0, newEvent());
      const { rows } = await group([
        { streamId: first, events: [taken] },
        { streamId: stream(), events: [newEvent()] },
      ]);
      expect(rows[0]).toMatchObject({ duplicate: true, version: 1, position: String(stored.position) });
      expect(rows[1]).toMatchObject({ duplicate: false, version: 1 });
    });
  });

  it('stores one version 1 for one stream id appended under two stream types at once, across a bound', async () => {
    const id = stream();
    await nextPositionAt(BOUND_EVERY - 1);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const event = newEvent();
      await client.query(`SELECT * FROM chronicle_append($1, 'Thing', 0, $2, $3, $4, $5, $6, NULL, NULL, NULL)`, [
        id,
        [event.id],
        [event.type],
        [1],
        [JSON.stringify(event.data)],
        [JSON.stringify(event.metadata)],
      ]);
      const other = store
        .append({ streamId: id, streamType: 'OtherThing', expectedVersion: 0, events: [newEvent()] })
        .then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
      // The other append either finished (the stream's lock did not hold it) or waits on a lock.
      let settled = false;
      void other.then(() => (settled = true));
      await until(
        async () =>
          settled ||
          (
            await pool.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          ).rows[0].n > 0,
        Boolean,
        'the other append to finish or wait',
      );
      await client.query('COMMIT');
      const outcome = await other;
      expect(outcome).toMatchObject({ error: expect.any(ConcurrencyError) });
      expect(outcome).toMatchObject({ error: { actualVersion: 1 } });
    } finally {
      client.release();
    }
    expect(await versionsOf(id)).toEqual([1]);
  });
}
