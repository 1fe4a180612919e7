import { Applies } from './applies.decorator.js';
import { DomainEvent } from './domain-event.decorator.js';
import { EventSourcedAggregate, stateOf, type AggregateSnapshot } from './event-sourced-aggregate.js';

@DomainEvent('TestDefaultSnapshotStocked')
class Stocked {
  constructor(
    readonly shelf: string,
    readonly jar: string,
  ) {}
}

class Value {
  constructor(readonly amount: number) {}
}

/** State of every kind the default snapshot stores, nested too. */
class Pantry extends EventSourcedAggregate {
  label = 'pantry';
  note: string | undefined = 'initial';
  checkedAt = new Date('2026-01-02T03:04:05.000Z');
  private readonly shelves = new Map<string, Set<string>>();
  private readonly counts = new Map<number, { jars: number }>();
  tags = ['a'];
  // A plain object whose only key looks like one of the encoding's tags.
  odd: Record<string, unknown> = {};
  extra?: unknown;

  get jars(): string[] {
    return [...this.shelves.values()].flatMap((jars) => [...jars]);
  }

  @Applies(Stocked)
  onStocked(event: Stocked): void {
    const jars = this.shelves.get(event.shelf) ?? new Set<string>();
    this.shelves.set(event.shelf, jars.add(event.jar));
    this.counts.set(this.counts.size, { jars: jars.size });
    this.note = undefined;
  }
}

const stocked = (...events: Stocked[]) => {
  const pantry = new Pantry('p-1');
  pantry.replay(events.map((event, i) => ({ event, version: i + 1, recordedAt: new Date(i * 1000) })));
  return pantry;
};

/** A snapshot as a store gives it back: through JSON. */
const stored = (snapshot: AggregateSnapshot): AggregateSnapshot => ({
  ...snapshot,
  state: JSON.parse(JSON.stringify(snapshot.state)) as Record<string, unknown>,
});

describe('the default snapshot', () => {
  it('holds every own field, Maps, Sets, Dates and undefined included, and restores them on a new aggregate', () => {
    const pantry = stocked(new Stocked('top', 'plum'), new Stocked('top', 'fig'), new Stocked('low', 'jam'));
    pantry.odd = { '@set': 'not a tag' };
    pantry.extra = { at: new Date(5), ids: new Set([1, 2]) };

    const restored = new Pantry('p-1');
    restored.restoreSnapshot(stored(pantry.takeSnapshot()));

    expect(stateOf(restored)).toStrictEqual(stateOf(pantry));
    expect(restored.jars).toEqual(['plum', 'fig', 'jam']);
    expect(restored).toMatchObject({ version: 3, createdAt: new Date(0), updatedAt: new Date(2000) });
  });

  it('shares nothing with the aggregate or the state it restores from', () => {
    const pantry = stocked(new Stocked('top', 'plum'));
    const snapshot = pantry.takeSnapshot();
    const first = new Pantry('p-1');
    first.restoreSnapshot(snapshot);
    first.apply(new Stocked('top', 'fig'));
    first.tags.push('b');
    const second = new Pantry('p-1');
    second.restoreSnapshot(snapshot);

    expect(second.jars).toEqual(['plum']);
    expect(second.tags).toEqual(['a']);
    expect(pantry.jars).toEqual(['plum']);
  });

  it('names a field it cannot store instead of storing it wrong', () => {
    const pantry = stocked(new Stocked('top', 'plum'));
    pantry.extra = [new Value(3)];
    expect(() => pantry.takeSnapshot()).toThrow(
      'Pantry.extra holds an instance of Value, which the default snapshot cannot store: write toSnapshot() and restore()',
    );
    pantry.extra = Number.NaN;
    expect(() => pantry.takeSnapshot()).toThrow('Pantry.extra holds NaN');
  });

  it('refuses a snapshot that lacks a field of the class: it is older than the field', () => {
    const snapshot = stored(stocked(new Stocked('top', 'plum')).takeSnapshot());
    delete snapshot.state.tags;
    delete snapshot.state.label;

    expect(() => new Pantry('p-1').restoreSnapshot(snapshot)).toThrow(
      'Pantry p-1: the snapshot has no label, tags, so it is older than these fields: raise Pantry.snapshots.version',
    );
  });

  it('is taken of saved state only, and restores only a new aggregate', () => {
    const pantry = stocked(new Stocked('top', 'plum'));
    const snapshot = pantry.takeSnapshot();
    pantry.apply(new Stocked('top', 'fig'));

    expect(() => pantry.takeSnapshot()).toThrow('Pantry p-1: only a saved aggregate can be snapshotted');
    expect(() => pantry.restoreSnapshot(snapshot)).toThrow('Pantry p-1: a snapshot restores only a new aggregate');
  });
});

describe('stateOf', () => {
  it('is the own fields, without the base class’s id, versions, timestamps and pending events', () => {
    const pantry = stocked(new Stocked('top', 'plum'));
    pantry.apply(new Stocked('top', 'fig'));

    expect(Object.keys(stateOf(pantry))).toEqual(['label', 'note', 'checkedAt', 'shelves', 'counts', 'tags', 'odd']);
  });
});
