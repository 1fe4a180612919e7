import { DomainEvent } from '../domain/domain-event.decorator.js';
import { UnreadableEventError } from '../domain/errors.js';
import { EventRegistry } from '../domain/event-registry.js';
import { InMemoryEventStore } from '../store/in-memory-event-store.js';
import { upcast } from './upcast.js';

/** A test-only event at schema version 3, once stored as `ParcelMade`. */
@DomainEvent('ParcelCreated', {
  version: 3,
  aliases: ['ParcelMade'],
  upcasters: {
    // v1 -> v2: `weight` in grams became `grams`.
    1: ({ weight, ...rest }) => ({ ...rest, grams: weight }),
    // v2 -> v3: `fragile` was added, false by default.
    2: (v2) => ({ ...v2, fragile: v2.fragile ?? false }),
  },
})
class ParcelCreated {
  constructor(
    readonly label: string,
    readonly grams: number,
    readonly fragile: boolean,
  ) {}
}

// Registered for its upcaster alone: no test needs the class itself.
DomainEvent('TestBroken', {
  version: 2,
  upcasters: {
    1: () => {
      throw new Error('bad data');
    },
  },
})(class TestBroken {});

const at = (type: string, schemaVersion: number, data: Record<string, unknown>, position = 7) => ({
  type,
  schemaVersion,
  data,
  position,
});

describe('upcast', () => {
  it('runs every upcaster from the stored version to the current one', () => {
    expect(upcast(at('ParcelCreated', 1, { label: 'a', weight: 500 }))).toEqual(
      at('ParcelCreated', 3, { label: 'a', grams: 500, fragile: false }),
    );
    expect(upcast(at('ParcelCreated', 2, { label: 'a', grams: 5, fragile: true }))).toEqual(
      at('ParcelCreated', 3, { label: 'a', grams: 5, fragile: true }),
    );
  });

  it('leaves current events as they are, and never changes its argument', () => {
    const current = at('ParcelCreated', 3, { label: 'a', grams: 1, fragile: false });
    expect(upcast(current)).toBe(current);
    const old = at('ParcelCreated', 1, { label: 'a', weight: 1 });
    upcast(old);
    expect(old).toEqual(at('ParcelCreated', 1, { label: 'a', weight: 1 }));
  });

  it('reads an alias as the current name, upcast from the stored version', () => {
    expect(upcast(at('ParcelMade', 1, { label: 'a', weight: 2 }))).toEqual(
      at('ParcelCreated', 3, { label: 'a', grams: 2, fragile: false }),
    );
    expect(EventRegistry.fromRecord(upcast(at('ParcelMade', 3, { label: 'a', grams: 2, fragile: true })), 7)).toEqual(
      Object.assign(Object.create(ParcelCreated.prototype), { label: 'a', grams: 2, fragile: true }),
    );
  });

  it('passes through what it cannot convert, and fromRecord names it', () => {
    const unknownType = at('NoSuchEvent', 4, { x: 1 });
    expect(upcast(unknownType)).toBe(unknownType);
    expect(() => EventRegistry.fromRecord(upcast(unknownType), 7)).toThrow(
      new UnreadableEventError(7, 'NoSuchEvent', 4, 'no class is registered for this type'),
    );

    const newer = at('ParcelMade', 4, { label: 'a' }, 9);
    expect(upcast(newer)).toEqual(at('ParcelCreated', 4, { label: 'a' }, 9));
    expect(() => EventRegistry.fromRecord(upcast(newer), 9)).toThrow(
      new UnreadableEventError(9, 'ParcelCreated', 4, 'the code reads schema version 3, older than this one'),
    );

    const noUpcaster = at('ParcelCreated', 0, {});
    expect(upcast(noUpcaster)).toBe(noUpcaster);
    expect(() => EventRegistry.fromRecord(noUpcaster, 7)).toThrow(
      /Cannot read the event at position 7 \(type ParcelCreated, schema version 0\): .*no upcaster/,
    );
  });

  it('names the event whose upcaster fails', () => {
    expect(() => upcast(at('TestBroken', 1, {}, 3))).toThrow(
      new UnreadableEventError(3, 'TestBroken', 1, 'the upcaster of version 1 failed: bad data'),
    );
  });

  it('is applied by the store on every read', async () => {
    const store = new InMemoryEventStore();
    await store.append({
      streamId: 'p-1',
      streamType: 'Parcel',
      expectedVersion: 0,
      events: [
        {
          id: 'e-1',
          type: 'ParcelMade',
          schemaVersion: 1,
          data: { label: 'a', weight: 3 },
          metadata: { correlationId: 'c', causationId: 'c' },
        },
      ],
    });
    const expected = { type: 'ParcelCreated', schemaVersion: 3, data: { label: 'a', grams: 3, fragile: false } };
    expect((await store.readStream('p-1'))[0]).toMatchObject(expected);
    expect((await store.readLog(0, 10))[0]).toMatchObject(expected);
  });
});

describe('@DomainEvent upcasters and aliases', () => {
  const declare = (type: string, options: Parameters<typeof DomainEvent>[1]) => {
    @DomainEvent(type, options)
    class Declared {}
    return Declared;
  };

  it('refuses an upcaster chain with a gap or past the current version', () => {
    expect(() => declare('Gappy', { version: 3, upcasters: { 1: (d) => d } })).toThrow(
      'Event type "Gappy": no upcaster reads version 2',
    );
    expect(() => declare('TooFar', { version: 2, upcasters: { 2: (d) => d } })).toThrow(
      'Event type "TooFar": an upcaster reads version 2, not one of 1..1',
    );
  });

  it('refuses an alias that names another type', () => {
    expect(() => declare('Other', { aliases: ['ParcelCreated'] })).toThrow(
      'Event type "Other": alias "ParcelCreated" is already a name of ParcelCreated',
    );
    expect(() => declare('ParcelMade', {})).toThrow(/registered twice/);
  });
});
