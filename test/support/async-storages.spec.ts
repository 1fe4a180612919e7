import { AsyncLocalStorage } from 'node:async_hooks';
import { disableEarlierStorages } from './async-storages.js';

describe('the AsyncLocalStorage instances of a test file', () => {
  it('are disabled when the next file starts, so that a jest worker does not carry those of every file it ran', () => {
    const storage = new AsyncLocalStorage<string>();
    storage.enterWith('this file');
    expect(storage.getStore()).toBe('this file');

    disableEarlierStorages();

    expect(storage.getStore()).toBeUndefined();
  });
});
