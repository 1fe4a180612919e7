import { AggregateCache, type CachedAggregate } from './aggregate-cache.js';

const at = new Date(0);
const entry = (version: number, generation = 0): CachedAggregate => ({
  state: { version, createdAt: at, updatedAt: at, state: {} },
  snapshotBase: 0,
  generation,
});

describe('AggregateCache', () => {
  it('evicts the least recently used entry, a read counting as a use', () => {
    const cache = new AggregateCache(2);
    cache.put('a', entry(1));
    cache.put('b', entry(1));
    cache.get('a');
    cache.put('c', entry(1));
    expect([cache.get('a'), cache.get('b'), cache.get('c')].map((e) => e?.state.version)).toEqual([1, undefined, 1]);
    expect(cache.count).toBe(2);
  });

  it('keeps a newer state over an older one put later', () => {
    const cache = new AggregateCache(2);
    cache.put('a', entry(5));
    cache.put('a', entry(3));
    expect(cache.get('a')?.state.version).toBe(5);
    cache.put('a', entry(6));
    expect(cache.get('a')?.state.version).toBe(6);
  });

  it('keeps a state built from a later rewrite of the history over any of an earlier one', () => {
    const cache = new AggregateCache(2);
    cache.put('a', entry(5, 1));
    cache.put('a', entry(6, 0));
    expect(cache.get('a')).toMatchObject({ state: { version: 5 }, generation: 1 });
    cache.put('a', entry(4, 2));
    expect(cache.get('a')).toMatchObject({ state: { version: 4 }, generation: 2 });
  });
});
