import { EventSourcedAggregate } from '#event-sourcing/domain';
import { aggregateState } from './aggregate-state.js';

class Shelf extends EventSourcedAggregate {
  label = 'pantry';
  openedAt = new Date('2026-01-02T03:04:05.000Z');
  private readonly jars = new Map<string, Set<string>>([['jam', new Set(['plum', 'fig'])]]);
  private readonly tags = new Set([1, 2]);

  get jarCount(): number {
    return this.jars.size + this.tags.size;
  }
}

describe('aggregateState', () => {
  it('is the aggregate’s own fields, private ones too, with Maps as objects and Sets as arrays', () => {
    const shelf = new Shelf('shelf-1');
    shelf.markSaved(3, new Date('2026-01-01T00:00:00.000Z'));

    expect(aggregateState(shelf)).toEqual({
      label: 'pantry',
      openedAt: new Date('2026-01-02T03:04:05.000Z'),
      jars: { jam: ['plum', 'fig'] },
      tags: [1, 2],
    });
  });
});
