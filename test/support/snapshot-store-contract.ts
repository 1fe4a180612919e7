import { randomUUID } from 'node:crypto';
import type { Snapshot, SnapshotQuery, SnapshotStore } from '#event-sourcing';

const firstRecordedAt = Date.parse('2026-03-01T08:00:00.000Z');

/** A snapshot of a `Thing` stream in schema version 1, recorded `version` milliseconds after its first event. */
export function snapshotOf(streamId: string, version: number, changes: Partial<Snapshot> = {}): Snapshot {
  return {
    streamId,
    streamType: 'Thing',
    version,
    schemaVersion: 1,
    state: { version, items: [{ name: 'é "quoted" \\ {x}', tags: ['a', 'b'] }], empty: null, flag: true },
    firstRecordedAt: new Date(firstRecordedAt),
    recordedAt: new Date(firstRecordedAt + version),
    ...changes,
  };
}

/**
 * The promises every snapshot store keeps, run against each implementation (the in-memory
 * one in unit tests, PostgreSQL in integration tests).
 */
export function snapshotStoreContract(open: () => Promise<{ store: SnapshotStore; close(): Promise<void> }>): void {
  let store: SnapshotStore;
  let close: () => Promise<void>;
  beforeAll(async () => ({ store, close } = await open()));
  afterAll(() => close());

  const stream = () => `stream-${randomUUID()}`;
  const things: SnapshotQuery = { streamType: 'Thing', schemaVersion: 1 };
  const saveAll = (...snapshots: Snapshot[]) => Promise.all(snapshots.map((snapshot) => store.save(snapshot)));
  const latestVersion = async (streamId: string, query: Partial<SnapshotQuery> = {}) =>
    (await store.findLatest(streamId, { ...things, ...query }))?.version;

  it('finds a saved snapshot as it was saved, its instants as dates', async () => {
    const id = stream();
    const saved = snapshotOf(id, 7);
    await store.save(saved);

    const found = await store.findLatest(id, things);
    expect(found).toEqual(saved);
    expect(found?.recordedAt).toBeInstanceOf(Date);
    expect(found?.firstRecordedAt).toBeInstanceOf(Date);
  });

  it('finds nothing for a stream without snapshots', async () => {
    expect(await store.findLatest(stream(), things)).toBeUndefined();
  });

  it('answers with the highest version, whatever order they were saved in', async () => {
    const id = stream();
    await saveAll(snapshotOf(id, 10), snapshotOf(id, 5), snapshotOf(id, 15));
    expect(await latestVersion(id)).toBe(15);
  });

  it('ignores snapshots in another schema version, falling back to the newest in the one asked for', async () => {
    const id = stream();
    await saveAll(snapshotOf(id, 5), snapshotOf(id, 10, { schemaVersion: 2 }));

    expect(await latestVersion(id, { schemaVersion: 1 })).toBe(5);
    expect(await latestVersion(id, { schemaVersion: 2 })).toBe(10);
    expect(await latestVersion(id, { schemaVersion: 3 })).toBeUndefined();
  });

  it('stops at maxVersion, including a snapshot at exactly that version', async () => {
    const id = stream();
    await saveAll(snapshotOf(id, 5), snapshotOf(id, 10), snapshotOf(id, 15));

    expect(await latestVersion(id, { maxVersion: 14 })).toBe(10);
    expect(await latestVersion(id, { maxVersion: 10 })).toBe(10);
    expect(await latestVersion(id, { maxVersion: 4 })).toBeUndefined();
  });

  it('stops at recordedAtOrBefore, to the millisecond, including a snapshot recorded at exactly that instant', async () => {
    const id = stream();
    const [five, ten] = [snapshotOf(id, 5), snapshotOf(id, 10)];
    await saveAll(five, ten, snapshotOf(id, 15));

    expect(await latestVersion(id, { recordedAtOrBefore: ten.recordedAt })).toBe(10);
    expect(await latestVersion(id, { recordedAtOrBefore: new Date(ten.recordedAt.getTime() - 1) })).toBe(5);
    expect(await latestVersion(id, { recordedAtOrBefore: new Date(five.recordedAt.getTime() - 1) })).toBeUndefined();
  });

  it('applies both limits at once: the snapshot below each', async () => {
    const id = stream();
    const [five, ten, fifteen] = [5, 10, 15].map((version) => snapshotOf(id, version));
    await saveAll(five, ten, fifteen);

    expect(await latestVersion(id, { maxVersion: 12, recordedAtOrBefore: fifteen.recordedAt })).toBe(10);
    expect(await latestVersion(id, { maxVersion: 15, recordedAtOrBefore: ten.recordedAt })).toBe(10);
    expect(await latestVersion(id, { maxVersion: 9, recordedAtOrBefore: ten.recordedAt })).toBe(5);
  });

  it('keeps streams and stream types apart', async () => {
    const [id, other] = [stream(), stream()];
    await saveAll(snapshotOf(id, 5), snapshotOf(id, 10, { streamType: 'Else' }), snapshotOf(other, 20));

    expect(await latestVersion(id)).toBe(5);
    expect(await latestVersion(id, { streamType: 'Else' })).toBe(10);
    expect(await latestVersion(other, { streamType: 'Else' })).toBeUndefined();
    expect(await latestVersion(other)).toBe(20);
  });

  it('replaces a snapshot of the same stream and version', async () => {
    const id = stream();
    await store.save(snapshotOf(id, 5));
    const again = snapshotOf(id, 5, {
      schemaVersion: 2,
      state: { rewritten: true },
      recordedAt: new Date(firstRecordedAt + 50),
    });
    await store.save(again);

    expect(await store.findLatest(id, { ...things, schemaVersion: 2 })).toEqual(again);
    expect(await store.findLatest(id, things)).toBeUndefined();
  });

  it('keeps what it stored apart from the objects it was given and gave out', async () => {
    const id = stream();
    const saved = snapshotOf(id, 5);
    await store.save(saved);
    (saved.state.items as { name: string }[])[0].name = 'changed after saving';
    saved.recordedAt.setTime(0);

    const found = await store.findLatest(id, things);
    (found!.state.items as { name: string }[])[0].name = 'changed after finding';
    found!.firstRecordedAt.setTime(0);

    expect(await store.findLatest(id, things)).toEqual(snapshotOf(id, 5));
  });

  it('reads personal fields back as they were saved, when asked for with the same fields', async () => {
    const id = stream();
    const personal = { name: '(erased)', notes: null };
    const saved = snapshotOf(id, 5, { state: { name: 'Ada Lovelace', notes: 'prefers tea', visits: 3 } });
    await store.save(saved, personal);

    expect(await store.findLatest(id, { ...things, personal })).toEqual(saved);
  });
}
