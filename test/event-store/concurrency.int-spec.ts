import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ConcurrencyError } from '#event-sourcing/domain';
import { EventIdTakenError, IdempotencyKeyTakenError, type NewEvent, PersonalDataKeys } from '#event-sourcing';
import { PostgresEventStore } from '#event-sourcing/postgres';
import { newEvent } from '../support/event-store-contract.js';
import { until } from '../support/until.js';
import { createMigratedDatabase } from '../support/test-database.js';
import { createPartitionedDatabase } from '../partitioning/partitioned-database.js';

let pool: pg.Pool;
let store: PostgresEventStore;
let drop: () => Promise<void>;

// The same tests on a plain log and on one partitioned in partitions of 5,000 positions,
// which the follower test's writers cross many times.
describe.each([
  ['a plain log', createMigratedDatabase],
  ['a partitioned log', () => createPartitionedDatabase({ size: 5000, ahead: 5 })],
])('on %s', (_, createDatabase) => {
  beforeAll(async () => {
    ({ pool, drop } = await createDatabase());
    store = new PostgresEventStore(pool);
  });
  afterAll(() => drop());

  const append = (streamId: string, expectedVersion: number | 'any', events: NewEvent[] = [newEvent()]) =>
    store.append({ streamId, streamType: 'Thing', expectedVersion, events });

  /** Calls the append function in a transaction that stays open until `commit()`: it takes its position first and commits last. */
  async function openAppend(streamId: string): Promise<{ position: number; commit(): Promise<void> }> {
    const client = await pool.connect();
    await client.query('BEGIN');
    const event = newEvent('Slow');
    const { rows } = await client.query(
      `SELECT position FROM chronicle_append($1, 'Thing', NULL, $2, $3, $4, $5, $6, NULL, NULL, NULL)`,
      [streamId, [event.id], [event.type], [1], [JSON.stringify(event.data)], [JSON.stringify(event.metadata)]],
    );
    return {
      position: Number(rows[0].position),
      commit: async () => {
        await client.query('COMMIT');
        client.release();
      },
    };
  }

  async function storedPositions(): Promise<number[]> {
    const { rows } = await pool.query('SELECT position FROM events ORDER BY position');
    return rows.map((row) => Number(row.position));
  }

  describe('optimistic concurrency', () => {
    it('lets exactly one of 20 appenders at the same expected version win, leaving no gap or duplicate', async () => {
      const id = `race-${randomUUID()}`;
      await append(id, 0);
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => append(id, 1)));

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused).toHaveLength(19);
      for (const { reason } of refused) expect(reason).toBeInstanceOf(ConcurrencyError);
      expect((await store.readStream(id)).map((e) => e.version)).toEqual([1, 2]);
    });

    it('loses no update when 20 writers retry on fresh state until each has appended 5 events', async () => {
      const id = `counter-${randomUUID()}`;
      const writer = async (name: string) => {
        for (let done = 0; done < 5;) {
          try {
            await append(id, await store.streamVersion(id), [newEvent('Counted', { name })]);
            done++;
          } catch (error) {
            if (!(error instanceof ConcurrencyError)) throw error;
          }
        }
      };
      await Promise.all(Array.from({ length: 20 }, (_, i) => writer(`w${i}`)));

      const events = await store.readStream(id);
      expect(events.map((e) => e.version)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      const perWriter = new Map<unknown, number>();
      for (const e of events) perWriter.set(e.data.name, (perWriter.get(e.data.name) ?? 0) + 1);
      expect([...perWriter.values()]).toEqual(Array(20).fill(5));
    });
  });

  // Appends that arrive while others are in flight go out together, in one call of
  // chronicle_append_group and one transaction (migration 1795680000010): each must still
  // get the outcome it would get alone.
  describe('appends sent together', () => {
    const fresh = () => `group-${randomUUID()}`;

    /** How many transactions stored these streams' events: fewer than appends means groups formed. */
    async function transactionsOf(streamIds: string[]): Promise<number> {
      const { rows } = await pool.query(
        'SELECT count(DISTINCT transaction_id)::int AS n FROM events WHERE stream_id = ANY ($1)',
        [streamIds],
      );
      return rows[0].n;
    }

    /**
     * Appends to fresh streams sent at once around `odd`, so that it lands in a group with
     * most of them; all of them must commit. Returns its outcome and how many transactions
     * the others took (as many as appends when the group raised and each went alone).
     */
    async function amongOthers<T>(odd: () => Promise<T>) {
      const others = Array.from({ length: 11 }, fresh);
      const before = others.slice(0, 6).map((id) => append(id, 0));
      const sent = odd();
      const after = others.slice(6).map((id) => append(id, 0));
      const [outcome] = await Promise.allSettled([sent]);
      for (const result of await Promise.all([...before, ...after])) {
        expect(result).toMatchObject({ version: 1, duplicate: false });
      }
      return { outcome, transactions: await transactionsOf(others), appends: others.length };
    }

    it('stores many concurrent appends to distinct streams with their versions and positions, fewer commits than appends', async () => {
      const streams = Array.from({ length: 64 }, fresh);
      const batches = streams.map((_, i) => Array.from({ length: 1 + (i % 3) }, () => newEvent('Grouped', { i })));
      const results = await Promise.all(streams.map((id, i) => append(id, 0, batches[i])));

      const positions: number[] = [];
      for (const [i, id] of streams.entries()) {
        const stored = await store.readStream(id);
        expect(stored.map((e) => e.id)).toEqual(batches[i].map((e) => e.id));
        expect(stored.map((e) => e.version)).toEqual(batches[i].map((_, v) => v + 1));
        expect(results[i]).toEqual({
          version: batches[i].length,
          position: stored.at(-1)!.position,
          recordedAt: stored.at(-1)!.recordedAt,
          duplicate: false,
          generation: 0, // no rewrite of history on this database
        });
        positions.push(...stored.map((e) => e.position));
      }
      expect(new Set(positions).size).toBe(positions.length);
      expect(await transactionsOf(streams)).toBeLessThan(streams.length);
    });

    it('lets exactly one append per stream win when several streams each get five appends at the same version', async () => {
      const streams = Array.from({ length: 10 }, fresh);
      await Promise.all(streams.map((id) => append(id, 0, [newEvent(), newEvent()])));
      const sent = streams.flatMap((id) => Array.from({ length: 5 }, () => ({ id, result: append(id, 2) })));
      const outcomes = await Promise.allSettled(sent.map((s) => s.result));

      for (const id of streams) {
        const mine = outcomes.filter((_, i) => sent[i].id === id);
        expect(mine.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const o of mine.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
          expect(o.reason).toBeInstanceOf(ConcurrencyError);
          expect(o.reason).toMatchObject({ streamId: id, expectedVersion: 2, actualVersion: 3 });
        }
        expect((await store.readStream(id)).map((e) => e.version)).toEqual([1, 2, 3]);
      }
    });

    it('refuses a stale append inside a group and commits the others', async () => {
      const id = fresh();
      await append(id, 0);
      const { outcome, transactions, appends } = await amongOthers(() => append(id, 0));
      expect(outcome).toMatchObject({ status: 'rejected', reason: { expectedVersion: 0, actualVersion: 1 } });
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
      expect(await store.streamVersion(id)).toBe(1);
      expect(transactions).toBeLessThan(appends);
    });

    it('refuses an append while its subject has no key, alone and inside a group, and commits the others', async () => {
      const keys = new PersonalDataKeys(pool);
      const [live, erased, keyless] = [fresh(), fresh(), fresh()];
      await keys.obtain([live, erased]);
      await keys.erase(erased);
      const whileKeyed = (id: string) =>
        store.append({ streamId: id, streamType: 'Thing', expectedVersion: 0, events: [newEvent()], whileKeyOf: id });

      await expect(whileKeyed(live)).resolves.toMatchObject({ version: 1 });
      for (const id of [erased, keyless]) {
        await expect(whileKeyed(id)).rejects.toMatchObject({ expectedVersion: 0, actualVersion: 0 });
        const { outcome, transactions, appends } = await amongOthers(() => whileKeyed(id));
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
        expect(transactions).toBeLessThan(appends);
        expect(await store.streamVersion(id)).toBe(0);
      }
    });

    it('answers a retry inside a group with the stored result, and one with any', async () => {
      const [id, other] = [fresh(), fresh()];
      const events = [newEvent('A'), newEvent('B')];
      const first = await append(id, 0, events);
      const anyEvent = newEvent();
      const firstAny = await append(other, 'any', [anyEvent]);

      const retried = await amongOthers(() => append(id, 0, events));
      expect(retried.outcome).toEqual({ status: 'fulfilled', value: { ...first, duplicate: true } });
      expect(retried.transactions).toBeLessThan(retried.appends);
      const retriedAny = await amongOthers(() => append(other, 'any', [anyEvent]));
      expect(retriedAny.outcome).toEqual({ status: 'fulfilled', value: { ...firstAny, duplicate: true } });
      expect(retriedAny.transactions).toBeLessThan(retriedAny.appends);
      expect(await store.streamVersion(id)).toBe(2);
      expect(await store.streamVersion(other)).toBe(1);
    });

    it('fails an append whose event id another stream holds as it would alone, and commits the others', async () => {
      const taken = newEvent();
      await append(fresh(), 0, [taken]);
      const id = fresh();
      const { outcome, transactions, appends } = await amongOthers(() => append(id, 0, [newEvent(), taken]));
      expect(outcome).toMatchObject({ status: 'rejected', reason: new EventIdTakenError(taken.id) });
      expect(await store.streamVersion(id)).toBe(0);
      // The group rolled back, and each of its appends went again alone.
      expect(transactions).toBe(appends);
    });

    it('refuses an idempotency key taken inside a group, and commits the others', async () => {
      const key = `key-${randomUUID()}`;
      const idempotency = { key, fingerprint: 'f', result: {} };
      await store.append({
        streamId: fresh(),
        streamType: 'Thing',
        expectedVersion: 0,
        events: [newEvent()],
        idempotency,
      });
      const id = fresh();
      const { outcome, transactions, appends } = await amongOthers(() =>
        store.append({ streamId: id, streamType: 'Thing', expectedVersion: 0, events: [newEvent()], idempotency }),
      );
      expect(outcome).toMatchObject({ status: 'rejected' });
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(IdempotencyKeyTakenError);
      expect(await store.streamVersion(id)).toBe(0);
      expect(transactions).toBe(appends);
    });

    it('stores the idempotency records of a group with each append', async () => {
      const streams = Array.from({ length: 12 }, fresh);
      const keys = streams.map(() => `key-${randomUUID()}`);
      const results = await Promise.all(
        streams.map((streamId, i) =>
          store.append({
            streamId,
            streamType: 'Thing',
            expectedVersion: 0,
            events: [newEvent(), newEvent()],
            idempotency: { key: keys[i], fingerprint: `f${i}`, result: { i } },
          }),
        ),
      );
      expect(await transactionsOf(streams)).toBeLessThan(streams.length);
      for (const [i, key] of keys.entries()) {
        expect(await store.findIdempotencyRecord(key)).toEqual({
          key,
          fingerprint: `f${i}`,
          result: { i },
          streamId: streams[i],
          version: 2,
          position: results[i].position,
        });
      }
    });

    it('wakes followers once per transaction that stored events', async () => {
      let wakeups = 0;
      const counted = new PostgresEventStore(pool, { appended: () => wakeups++ });
      const streams = Array.from({ length: 24 }, fresh);
      await Promise.all(
        streams.map((streamId) =>
          counted.append({ streamId, streamType: 'Thing', expectedVersion: 0, events: [newEvent()] }),
        ),
      );
      expect(wakeups).toBe(await transactionsOf(streams));
      expect(wakeups).toBeLessThan(streams.length);
    });
  });

  describe('the log', () => {
    it('holds back events committed after one that took an earlier position, until that one commits', async () => {
      const slow = await openAppend(`slow-${randomUUID()}`);
      const fast = await append(`fast-${randomUUID()}`, 0);
      expect(fast.position).toBeGreaterThan(slow.position);

      // A reader that only compares positions would see the later event now and move past the earlier one for good.
      const naive = await pool.query('SELECT position FROM events WHERE position > $1 ORDER BY position', [
        slow.position - 1,
      ]);
      expect(naive.rows.map((r) => Number(r.position))).toEqual([fast.position]);
      expect(await store.readLog(slow.position - 1, 10)).toEqual([]);

      await slow.commit();
      // Other test files' transactions on the same server may hold the horizon a moment longer.
      const released = await until(
        () => store.readLog(slow.position - 1, 10),
        (events) => events.length > 0,
        'the log to serve the committed events',
      );
      expect(released.map((e) => e.position)).toEqual([slow.position, fast.position]);
    });

    it('puts the head below an append still open, so that a reader starting there skips nothing', async () => {
      const slow = await openAppend(`slow-${randomUUID()}`);
      const fast = await append(`fast-${randomUUID()}`, 0);
      // Where a new live stream would start: not at the later event, committed already, which would skip the earlier one.
      const head = await store.readHead();
      expect(head).toBeLessThan(slow.position);

      await slow.commit();
      const released = await until(
        () => store.readLog(head, 10),
        (events) => events.some((e) => e.position === fast.position),
        'the log to serve the committed events',
      );
      expect(released.map((e) => e.position)).toEqual([slow.position, fast.position]);
      await until(
        () => store.readHead(),
        (position) => position === fast.position,
        'the head to reach the last event',
      );
    });

    it('gives a follower every event exactly once, in order, while 16 writers append and some commit late', async () => {
      const start = (await storedPositions()).at(-1) ?? 0;
      let writing = true;
      // Grouped appends outrun 4 s on a quiet machine: stop well inside the partitions made ahead (6 x 5,000).
      let highest = start;
      const room = () => writing && highest < start + 15_000;
      const writers = Array.from({ length: 16 }, async (_, w) => {
        const streams = Array.from({ length: 4 }, () => ({ id: `w${w}-${randomUUID()}`, version: 0 }));
        let appended = 0;
        while (room()) {
          if (w < 2) {
            // Two writers hold their transaction open after taking their positions.
            const slow = await openAppend(`slow-${randomUUID()}`);
            highest = Math.max(highest, slow.position);
            await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 40));
            await slow.commit();
          } else {
            const stream = streams[appended % streams.length];
            const batch = Array.from({ length: 1 + (appended % 3) }, () => newEvent('Written', { w }));
            const appendedTo = await append(stream.id, stream.version, batch);
            stream.version = appendedTo.version;
            highest = Math.max(highest, appendedTo.position);
          }
          appended++;
        }
      });

      const seen: number[] = [];
      let after = start;
      const follow = async () => {
        for (const event of await store.readLog(after, 100)) {
          seen.push(event.position);
          after = event.position;
        }
      };
      const deadline = Date.now() + 4_000;
      while (Date.now() < deadline && room()) await follow();
      writing = false;
      await Promise.all(writers);
      const stored = (await storedPositions()).filter((p) => p > start);
      // Not "until a read comes back empty": another test file's open transaction can hold the log back.
      await until(
        async () => (await follow(), seen.at(-1)),
        (last) => last === stored.at(-1),
        'the follower to reach the last stored event',
      );

      expect(stored.length).toBeGreaterThan(500);
      expect(seen).toEqual(stored);
    });

    const advisoryLocksHeld = async () => {
      const { rows } = await pool.query(`SELECT count(*)::int AS held FROM pg_locks
        WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
      return rows[0].held;
    };

    it('releases the critical section when an append fails inside it', async () => {
      // nextval fails while the section's lock is held: the position sequence is used up.
      const { rows } = await pool.query(`SELECT last_value FROM events_position_seq`);
      await pool.query(`ALTER SEQUENCE events_position_seq MAXVALUE ${rows[0].last_value}`);
      try {
        await expect(append(`full-${randomUUID()}`, 0)).rejects.toMatchObject({ code: '2200H' });
      } finally {
        await pool.query('ALTER SEQUENCE events_position_seq NO MAXVALUE');
      }

      expect(await advisoryLocksHeld()).toBe(0);
      await expect(append(`after-${randomUUID()}`, 0)).resolves.toMatchObject({ version: 1 });
    });

    it('holds no lock after an append fails at its INSERT, after the critical section', async () => {
      const broken = { ...newEvent(), data: undefined as unknown as Record<string, unknown> };
      await expect(append(`broken-${randomUUID()}`, 0, [broken])).rejects.toMatchObject({ code: '23502' });

      expect(await advisoryLocksHeld()).toBe(0);
      await expect(append(`after-${randomUUID()}`, 0)).resolves.toMatchObject({ version: 1 });
    });
  });
});
