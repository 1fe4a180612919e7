import { jest } from '@jest/globals';
import { AggregateRepository, IdGenerator, PersonalDataKeys, PayloadEventCodec, PayloadCodec } from '#event-sourcing';
import { ConcurrencyError } from '#event-sourcing/domain';
import { PostgresEventStore, PostgresSnapshotStore } from '#event-sourcing/postgres';
import { command, ERASED, eventBus, join, Member, Paid } from '../support/club-member.js';
import { createMigratedDatabase } from '../support/test-database.js';

let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
beforeAll(async () => (database = await createMigratedDatabase()));
afterAll(() => database.drop());
afterEach(() => jest.restoreAllMocks());

/** Two instances' worth of stores on one database; `repository(n)` caches up to n aggregates (0: none). */
function setUp() {
  const keys = new PersonalDataKeys(database.pool);
  const payloads = new PayloadCodec(keys);
  const store = new PostgresEventStore(database.pool, { codec: new PayloadEventCodec(payloads) });
  const snapshots = new PostgresSnapshotStore(database.pool, payloads);
  const repository = (cacheSize: number, retries = 3) =>
    new AggregateRepository(Member, store, eventBus, new IdGenerator(), retries, {
      store: snapshots,
      every: 5,
      cacheSize,
    });
  return { keys, store, snapshots, repository };
}

const pay = (repository: AggregateRepository<Member>, id: string, amount: number) =>
  repository.update(command, id, (m) => m.apply(new Paid(amount)) ?? {});

const stateOf = (m: Member | undefined) =>
  m && { version: m.version, name: m.name, payments: m.payments, createdAt: m.createdAt, updatedAt: m.updatedAt };

/** Records the rows each `chronicle_load_streams` statement returns. */
function countLoadedRows() {
  const rows: number[] = [];
  const query = database.pool.query.bind(database.pool) as (...args: unknown[]) => Promise<{ rowCount: number }>;
  jest.spyOn(database.pool, 'query').mockImplementation((async (...args: unknown[]) => {
    const result = await query(...args);
    if ((args[0] as { name?: string }).name === 'chronicle_load_streams') rows.push(result.rowCount);
    return result;
  }) as never);
  return rows;
}

describe('the aggregate cache (latest saved state, fast-forwarded on every load)', () => {
  it('loads what an uncached load gives after many commands, reading only the events after the cached state', async () => {
    const { repository } = setUp();
    const cached = repository(100);
    const id = await join(cached);
    for (let n = 1; n <= 23; n++) await pay(cached, id, n);
    await cached.snapshotsWritten();

    const rows = countLoadedRows();
    const loaded = await cached.get(id);
    expect(rows).toEqual([1]); // the key only: no snapshot, no event
    expect(stateOf(loaded)).toEqual(stateOf(await repository(0).get(id)));
    expect(loaded).toMatchObject({ version: 24, total: (23 * 24) / 2 });
  });

  it('keeps two instances writing the same stream in turn correct', async () => {
    const { repository } = setUp();
    const [one, two] = [repository(100), repository(100)];
    const id = await join(one);
    for (let n = 1; n <= 12; n++) await pay(n % 2 === 0 ? one : two, id, n);

    const rows = countLoadedRows();
    const [fromOne, fromTwo] = [await one.get(id), await two.get(id)];
    expect(rows).toEqual([1, 2]); // one wrote last; two has to catch up by one event
    for (const loaded of [fromOne, fromTwo]) expect(stateOf(loaded)).toEqual(stateOf(await repository(0).get(id)));
    expect(fromTwo).toMatchObject({ version: 13, total: 78 });
  });

  it('shares statements between cached loads in flight, each from its own version', async () => {
    const { repository } = setUp();
    const cached = repository(100);
    const ids = [await join(cached, 'Ada'), await join(cached, 'Grace')];
    await pay(cached, ids[1], 5);
    const rows = countLoadedRows();
    const loaded = await Promise.all([...ids, ...ids].map((id) => cached.get(id)));
    expect(rows.length).toBeLessThan(loaded.length);
    expect(loaded.map((m) => [m.name, m.version])).toEqual([
      ['Ada', 1],
      ['Grace', 2],
      ['Ada', 1],
      ['Grace', 2],
    ]);
  });

  it('is not changed by a command that fails, with a domain error or a conflict', async () => {
    const { repository, store } = setUp();
    const cached = repository(100);
    const id = await join(cached);
    await pay(cached, id, 1);

    const refused = cached.update(command, id, (m) => {
      m.apply(new Paid(100));
      throw new Error('refused after applying');
    });
    await expect(refused).rejects.toThrow('refused after applying');
    expect(await cached.get(id)).toMatchObject({ version: 2, payments: [1] });

    jest.spyOn(store, 'append').mockRejectedValueOnce(new ConcurrencyError(id, 2, 3));
    await pay(cached, id, 7); // the first try conflicts after applying 7; the retry starts again
    expect(await cached.get(id)).toMatchObject({ version: 3, payments: [1, 7] });
    expect(stateOf(await cached.get(id))).toEqual(stateOf(await repository(0).get(id)));
  });

  it('drops the state of a forgotten subject: the next load, in any instance, reads the name erased', async () => {
    const { keys, repository } = setUp();
    const [one, two] = [repository(100), repository(100)];
    const id = await join(one);
    for (let n = 1; n <= 6; n++) await pay(one, id, n);
    expect((await two.get(id)).name).toBe('Ada Lovelace');

    await keys.erase(id);

    for (const instance of [one, two]) {
      expect(await instance.get(id)).toMatchObject({ name: ERASED, version: 7, total: 21 });
      expect(instance.cache!.get(id)).toBeUndefined();
    }
  });

  it('runs a command on a cached aggregate without a load, and loads once another instance wrote behind it', async () => {
    const { repository } = setUp();
    // No retries: deciding again after a stale cached state must not count as one.
    const [one, two] = [repository(100, 0), repository(100)];
    const id = await join(one);
    await pay(one, id, 1);

    const rows = countLoadedRows();
    await pay(one, id, 2);
    expect(rows).toEqual([]);

    await pay(two, id, 3);
    rows.length = 0;
    await expect(pay(one, id, 4)).resolves.toMatchObject({ version: 5 });
    expect(rows).toEqual([2]); // the key and the one event `two` wrote
    expect(await repository(0).get(id)).toMatchObject({ version: 5, payments: [1, 2, 3, 4] });
  });

  it('decides again on a loaded state when the cached one refuses, or stores nothing', async () => {
    const { repository } = setUp();
    const [one, two] = [repository(100, 0), repository(100)];
    const id = await join(one);
    await pay(two, id, 5);

    // On the cached state (no payment) this would refuse; on the stored one it goes through.
    const refund = one.update(command, id, (m) => {
      if (m.total < 5) throw new Error('nothing to refund');
      m.apply(new Paid(-5));
      return {};
    });
    await expect(refund).resolves.toMatchObject({ version: 3 });

    await pay(two, id, 7);
    const rows = countLoadedRows();
    const seen = await one.update(command, id, (m) => ({ payments: [...m.payments] }));
    expect(seen.result).toEqual({ payments: [5, -5, 7] });
    expect(rows).toEqual([2]);
  });

  it('stores no decision made on a cached state after its subject was forgotten', async () => {
    const { keys, repository } = setUp();
    const cached = repository(100, 0);
    const id = await join(cached);
    await pay(cached, id, 1);
    expect(cached.cache!.get(id)).toMatchObject({ state: { state: { name: 'Ada Lovelace' } } });

    await keys.erase(id);
    const outcome = await cached.update(command, id, (m) => {
      m.apply(new Paid(2));
      return { name: m.name };
    });

    expect(outcome).toMatchObject({ version: 3, result: { name: ERASED } });
    expect(await repository(0).get(id)).toMatchObject({ name: ERASED, payments: [1, 2] });
    // Nothing cached after it either: the next command would only be refused again.
    expect(cached.cache!.get(id)).toBeUndefined();
  });

  it('keeps the most recently used aggregates only', async () => {
    const { repository } = setUp();
    const cached = repository(2);
    const [first, second, third] = [await join(cached), await join(cached), await join(cached)];
    expect(cached.cache!.count).toBe(2);
    expect(cached.cache!.get(first)).toBeUndefined();
    expect(await cached.get(first)).toMatchObject({ version: 1 }); // loaded the normal way, and cached again
    expect(cached.cache!.get(second)).toBeUndefined();
    expect(cached.cache!.get(third)).toMatchObject({ state: { version: 1 } });
  });

  it('is off at size 0', async () => {
    const { repository } = setUp();
    const uncached = repository(0);
    await join(uncached);
    expect(uncached.cache).toBeUndefined();
  });

  it('writes snapshots at the versions an uncached repository writes them', async () => {
    const { repository, snapshots } = setUp();
    const written: string[] = [];
    const save = snapshots.save.bind(snapshots);
    jest.spyOn(snapshots, 'save').mockImplementation((snapshot, personal) => {
      written.push(String(snapshot.version));
      return save(snapshot, personal);
    });
    const versionsWith = async (cacheSize: number) => {
      written.length = 0;
      const instance = repository(cacheSize);
      const id = await join(instance);
      // Each snapshot written before the next load, which an uncached load then starts from.
      for (let n = 1; n <= 17; n++) {
        await pay(instance, id, n);
        await instance.snapshotsWritten();
      }
      return [...written];
    };
    expect(await versionsWith(0)).toEqual(['5', '10', '15']);
    expect(await versionsWith(100)).toEqual(['5', '10', '15']);
  });
});
