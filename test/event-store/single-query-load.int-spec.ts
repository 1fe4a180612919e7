import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AggregateRepository, IdGenerator, PersonalDataKeys, PayloadEventCodec, PayloadCodec } from '#event-sourcing';
import { UnreadableEventError } from '#event-sourcing/domain';
import { PostgresEventStore, PostgresSnapshotStore } from '#event-sourcing/postgres';
import { newEvent } from '../support/event-store-contract.js';
import { command, ERASED, eventBus, join, Member, Paid } from '../support/club-member.js';
import { createMigratedDatabase } from '../support/test-database.js';

let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
beforeAll(async () => (database = await createMigratedDatabase()));
afterAll(() => database.drop());
beforeEach(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
afterEach(() => jest.restoreAllMocks());

/** The real pool, recording the name (or text) of every statement sent through it. */
function recordingPool() {
  const sent: string[] = [];
  const pool = new Proxy(database.pool, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
      return (config: string | { name?: string; text: string }, ...rest: unknown[]) => {
        sent.push(typeof config === 'string' ? config : (config.name ?? config.text));
        return (target.query as (...args: unknown[]) => unknown)(config, ...rest);
      };
    },
  });
  return { pool, sent };
}

/** Stores and repositories on one pool, as the app wires them; `inTurn` reads snapshot and events one by one. */
function setUp() {
  const { pool, sent } = recordingPool();
  const keys = new PersonalDataKeys(pool);
  const payloads = new PayloadCodec(keys);
  const store = new PostgresEventStore(pool, { codec: new PayloadEventCodec(payloads) });
  const inTurnStore = new (class extends PostgresEventStore {
    override streamLoader(): undefined {
      return undefined;
    }
  })(pool, { codec: new PayloadEventCodec(payloads) });
  const snapshots = new PostgresSnapshotStore(pool, payloads);
  const repository = (on = store, every = 5) =>
    new AggregateRepository(Member, on, eventBus, new IdGenerator(), 3, { store: snapshots, every });
  return { pool, sent, keys, store, snapshots, repository, together: repository(), inTurn: repository(inTurnStore) };
}

/** A member who joined and then paid `payments` times (1, 2, 3, …), snapshots written. */
async function member(repository: AggregateRepository<Member>, payments: number, name = 'Ada Lovelace') {
  const id = await join(repository, name);
  for (let n = 1; n <= payments; n++) await repository.update(command, id, (m) => m.apply(new Paid(n)) ?? {});
  await repository.snapshotsWritten();
  return id;
}

const stateOf = (m: Member | undefined) =>
  m && { version: m.version, name: m.name, total: m.total, createdAt: m.createdAt, updatedAt: m.updatedAt };

describe('loading an aggregate in one statement (PostgresEventStore with PostgresSnapshotStore)', () => {
  it('reads the newest snapshot, the events after it and the personal-data key in one query', async () => {
    const { sent, together, inTurn } = setUp();
    const id = await member(together, 16);
    sent.length = 0;

    const loaded = await together.get(id);

    expect(sent).toEqual(['chronicle_load_streams']);
    expect(loaded.restored).toBe(true);
    expect(loaded).toMatchObject({ version: 17, name: 'Ada Lovelace', total: (16 * 17) / 2 });
    expect(stateOf(loaded)).toEqual(stateOf(await inTurn.get(id)));
  });

  it('replays every event in one query when there is no snapshot yet', async () => {
    const { sent, together } = setUp();
    const id = await member(together, 3);
    sent.length = 0;

    const loaded = await together.get(id);

    expect(sent).toEqual(['chronicle_load_streams']);
    expect(loaded.restored).toBe(false);
    expect(loaded).toMatchObject({ version: 4, name: 'Ada Lovelace', total: 6 });
  });

  it('gives the state the two-query load gives at every version and every instant', async () => {
    const { together, inTurn, store } = setUp();
    const id = await member(together, 12);
    const events = await store.readStream(id);
    for (const { version, recordedAt } of events) {
      expect(stateOf(await together.load(id, { version }))).toEqual(stateOf(await inTurn.load(id, { version })));
      expect(stateOf(await together.load(id, { asOf: recordedAt }))).toEqual(
        stateOf(await inTurn.load(id, { asOf: recordedAt })),
      );
    }
    expect(await together.load(id, { asOf: new Date(events[0].recordedAt.getTime() - 1) })).toBeUndefined();
    expect(await together.load(id, { version: 0 })).toBeUndefined();
  });

  it('reads recorded times to the millisecond, the microseconds dropped, as pg reads a timestamptz', async () => {
    const { pool, store, together, repository } = setUp();
    const id = await member(together, 6);
    // PostgreSQL keeps microseconds: times just below a millisecond, one before 1970, one at another offset.
    const early = '1969-12-31 23:59:59.9995+00';
    const offset = '2026-03-29 03:30:00.000999+02';
    const late = '2026-12-07 12:00:00.999999+00';
    const at = {
      [early]: Date.UTC(1969, 11, 31, 23, 59, 59, 999),
      [offset]: Date.UTC(2026, 2, 29, 1, 30),
      [late]: Date.UTC(2026, 11, 7, 12, 0, 0, 999),
    };
    const sql = (text: string, values: unknown[]) => (pool as pg.Pool).query(text, values);
    const setTime = (version: number, time: string) =>
      sql('UPDATE events SET recorded_at = $3 WHERE stream_id = $1 AND version = $2', [id, version, time]);
    await setTime(1, early);
    await setTime(4, offset);
    await setTime(7, late);
    await sql('UPDATE snapshots SET first_recorded_at = $2, recorded_at = $3 WHERE stream_id = $1', [id, offset, late]);

    const read = await store.readStream(id);
    expect([1, 4, 7].map((v) => read[v - 1].recordedAt.getTime())).toEqual([at[early], at[offset], at[late]]);
    const logged = await store.readLog(read[0].position - 1, 7);
    expect(logged.map((e) => e.recordedAt)).toEqual(read.map((e) => e.recordedAt));
    // From every event (createdAt is the first one's, updatedAt the last one's), then from the
    // newest snapshot; a repository of its own, whose cache holds none of the times before.
    const fresh = repository();
    const times = (m: Member | undefined) => m && [m.restored, m.createdAt?.getTime(), m.updatedAt?.getTime()];
    expect(times(await fresh.load(id, { version: 4 }))).toEqual([false, at[early], at[offset]]);
    expect(times(await fresh.get(id))).toEqual([true, at[offset], at[late]]);
  });

  it('starts from a snapshot at exactly the version asked for', async () => {
    const { sent, together } = setUp();
    const id = await member(together, 12);
    sent.length = 0;
    const loaded = await together.load(id, { version: 10 });
    expect(sent).toEqual(['chronicle_load_streams']);
    expect(loaded).toMatchObject({ restored: true, version: 10, total: (9 * 10) / 2 });
  });

  it('is undefined for a stream of another type, whose snapshots it ignores', async () => {
    const { store, snapshots, together } = setUp();
    const id = `other-${randomUUID()}`;
    await store.append({ streamId: id, streamType: 'Other', expectedVersion: 0, events: [newEvent()] });
    const at = new Date();
    const snapshot = { version: 1, state: { name: 'x', payments: [1] }, firstRecordedAt: at, recordedAt: at };
    await snapshots.save({ streamId: id, streamType: 'Other', schemaVersion: 1, ...snapshot });
    expect(await together.load(id)).toBeUndefined();
    expect(await together.load(`missing-${randomUUID()}`)).toBeUndefined();
  });

  it('ignores snapshots of another schema version', async () => {
    const { pool, together } = setUp();
    const id = await member(together, 12);
    await (pool as pg.Pool).query('UPDATE snapshots SET schema_version = 0 WHERE stream_id = $1', [id]);
    const loaded = await together.get(id);
    expect(loaded).toMatchObject({ restored: false, version: 13, name: 'Ada Lovelace', total: (12 * 13) / 2 });
  });

  it('replays every event when the snapshot does not decode, and logs why', async () => {
    const { pool, together } = setUp();
    const id = await member(together, 12);
    await (pool as pg.Pool).query(
      `UPDATE snapshots SET state = jsonb_set(state, '{name}', '{"$personal": "AAAA"}') WHERE stream_id = $1`,
      [id],
    );
    const loaded = await together.get(id);
    expect(loaded).toMatchObject({ restored: false, version: 13, name: 'Ada Lovelace', total: (12 * 13) / 2 });
    expect(Logger.prototype.error).toHaveBeenCalledWith(
      expect.stringContaining(`Reading a snapshot of ${id} failed`),
      expect.stringContaining('does not decrypt'),
    );
  });

  it('sends latest-state loads asked for while one is in flight together, each with its own state', async () => {
    const { sent, together, inTurn } = setUp();
    const ids = [
      await member(together, 7, 'Ada'),
      await member(together, 2, 'Grace'),
      await member(together, 11, 'Edsger'),
    ];
    sent.length = 0;

    const loaded = await Promise.all([...ids, ...ids].map((id) => together.get(id)));

    expect(sent.length).toBeLessThan(loaded.length);
    expect(sent.every((name) => name === 'chronicle_load_streams')).toBe(true);
    expect(loaded.map((m) => m.name)).toEqual(['Ada', 'Grace', 'Edsger', 'Ada', 'Grace', 'Edsger']);
    for (const [i, id] of ids.entries()) expect(stateOf(loaded[i])).toEqual(stateOf(await inTurn.get(id)));
  });

  it('fails only the load of a stream that does not decode when loads share a statement', async () => {
    const { pool, together } = setUp();
    const [fine, broken] = [await member(together, 2), await member(together, 2)];
    await (pool as pg.Pool).query(
      `UPDATE events SET data = jsonb_set(data, '{name}', '{"$personal": "AAAA"}') WHERE stream_id = $1 AND version = 1`,
      [broken],
    );
    const [first, second] = await Promise.allSettled([together.get(fine), together.get(broken)]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { name: 'Ada Lovelace' } });
    expect(second).toMatchObject({ status: 'rejected', reason: expect.any(UnreadableEventError) });
  });

  it('reads the key with the events on every load: once forgotten, the name is erased in events and snapshots alike', async () => {
    const { sent, keys, together } = setUp();
    const withSnapshot = await member(together, 6);
    const eventsOnly = await member(together, 2);
    expect((await together.get(withSnapshot)).name).toBe('Ada Lovelace');
    expect((await together.get(eventsOnly)).name).toBe('Ada Lovelace');

    await keys.erase(withSnapshot);
    await keys.erase(eventsOnly);
    sent.length = 0;

    expect(await together.get(withSnapshot)).toMatchObject({ restored: true, name: ERASED, total: 21 });
    expect(await together.get(eventsOnly)).toMatchObject({ restored: false, name: ERASED, total: 3 });
    expect(sent).toEqual(['chronicle_load_streams', 'chronicle_load_streams']);
  });
});
