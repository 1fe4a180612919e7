import { AggregateCache, type CachedAggregate } from './aggregate-cache.js';

const at = new Date(0);
const entry = (version: number): CachedAggregate => ({
  state: { version, createdAt: at, updatedAt: at, state: {} },
  snapshotBase: 0,
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
});
