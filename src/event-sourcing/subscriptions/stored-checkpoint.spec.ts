import { CheckpointMovedError } from './checkpoint-store.js';
import { InMemoryCheckpointStore } from './in-memory-checkpoint-store.js';
import { StoredCheckpoint } from './stored-checkpoint.js';

describe('StoredCheckpoint', () => {
  let store: InMemoryCheckpointStore;
  beforeEach(() => (store = new InMemoryCheckpointStore()));

  it('starts a follower without a checkpoint at 0, and loads the stored one otherwise', async () => {
    expect(await new StoredCheckpoint(store, 'remote').load()).toBe(0);
    expect(await store.position('remote')).toBe(0);
    await store.move('remote', 0, 42);
    expect(await new StoredCheckpoint(store, 'remote').load()).toBe(42);
  });

  it('saves from where it last loaded or saved', async () => {
    const checkpoint = new StoredCheckpoint(store, 'remote');
    await expect(checkpoint.save(3)).rejects.toThrow('Checkpoint remote: load() before saving');
    await checkpoint.load();
    await checkpoint.save(3);
    await checkpoint.save(8);
    expect(await store.position('remote')).toBe(8);
  });

  it('refuses to save over a checkpoint another process moved', async () => {
    const mine = new StoredCheckpoint(store, 'remote');
    const theirs = new StoredCheckpoint(store, 'remote');
    await Promise.all([mine.load(), theirs.load()]);
    await theirs.save(5);
    await expect(mine.save(4)).rejects.toEqual(new CheckpointMovedError('remote', 0));
    expect(await store.position('remote')).toBe(5);
  });

  it('saves in the caller transaction: a rollback leaves it where it was until it is loaded again', async () => {
    const checkpoint = new StoredCheckpoint(store, 'remote');
    await checkpoint.load();
    await store.transaction((transaction) => checkpoint.saveIn(transaction, 2));
    expect(await store.position('remote')).toBe(2);

    await expect(
      store.transaction(async (transaction) => {
        await checkpoint.saveIn(transaction, 6);
        throw new Error('the view could not be written');
      }),
    ).rejects.toThrow('the view could not be written');
    expect(await store.position('remote')).toBe(2);
    expect(await checkpoint.load()).toBe(2);
    await checkpoint.save(6);
    expect(await store.position('remote')).toBe(6);
  });
});
