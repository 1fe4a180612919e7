import { assertAggregateClass } from './aggregate-checks.js';
import { Applies } from './applies.decorator.js';
import { DomainEvent } from './domain-event.decorator.js';
import { EventSourcedAggregate } from './event-sourced-aggregate.js';

@DomainEvent('TestChecksOpened')
class Opened {}

@DomainEvent('TestChecksClosed')
class Closed {}

class NotAnEvent {}

class Door extends EventSourcedAggregate {
  static readonly events = [Opened, Closed];
  open = false;

  @Applies(Opened)
  onOpened(): void {
    this.open = true;
  }

  @Applies(Closed)
  onClosed(): void {
    this.open = false;
  }
}

describe('assertAggregateClass (the start-up check of forFeature)', () => {
  it('accepts a class whose listed events each have one applier', () => {
    expect(() => assertAggregateClass(Door)).not.toThrow();
  });

  it('refuses a class that lists no events', () => {
    class Silent extends EventSourcedAggregate {}
    expect(() => assertAggregateClass(Silent)).toThrow(
      'Silent lists no events: declare static readonly events = [...] with every event class of its stream',
    );
  });

  it('refuses an event it decides without an applier, naming the aggregate and the event', () => {
    class Gate extends EventSourcedAggregate {
      static readonly events = [Opened, Closed];

      @Applies(Opened)
      onOpened(): void {}

      // A misspelt applier of Closed, as `on<Type>` once allowed.
      onClsoed(): void {}
    }
    expect(() => assertAggregateClass(Gate)).toThrow(
      'Gate decides Closed but has no applier of it: mark one method @Applies(Closed)',
    );
  });

  it('refuses an applier of an event the class does not list', () => {
    class Hatch extends EventSourcedAggregate {
      static readonly events = [Opened];

      @Applies(Opened)
      onOpened(): void {}

      @Applies(Closed)
      onClosed(): void {}
    }
    expect(() => assertAggregateClass(Hatch)).toThrow(
      'Hatch applies Closed (onClosed) but does not list it in Hatch.events',
    );
  });

  it('refuses a listed class that is not an event, and an undefined one (an import cycle)', () => {
    class Shutter extends EventSourcedAggregate {
      static readonly events = [NotAnEvent];
    }
    expect(() => assertAggregateClass(Shutter)).toThrow(
      'Shutter.events lists NotAnEvent, which is not an event (it has no @DomainEvent decorator)',
    );
    class Flap extends EventSourcedAggregate {
      static readonly events = [Opened, undefined as unknown as typeof Closed];

      @Applies(Opened)
      onOpened(): void {}
    }
    expect(() => assertAggregateClass(Flap)).toThrow('Flap.events[1] is undefined: is there an import cycle?');
  });

  it('refuses a hand-written toSnapshot() without restore(), and the reverse', () => {
    class Vault extends Door {
      protected override toSnapshot(): Record<string, unknown> {
        return { open: this.open };
      }
    }
    expect(() => assertAggregateClass(Vault)).toThrow(
      'Vault writes toSnapshot() but not restore(): write both, or neither for the default snapshot',
    );
    class Safe extends Door {
      protected override restore(state: Record<string, unknown>): void {
        this.open = state.open as boolean;
      }
    }
    expect(() => assertAggregateClass(Safe)).toThrow('Safe writes restore() but not toSnapshot()');
  });
});
