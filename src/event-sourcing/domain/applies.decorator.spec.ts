import { Applies } from './applies.decorator.js';
import { DomainEvent } from './domain-event.decorator.js';
import { EventSourcedAggregate } from './event-sourced-aggregate.js';

// A dotted type name: no method could be named after it.
@DomainEvent('test.applies.Filled')
class Filled {
  constructor(readonly litres: number) {}
}

@DomainEvent('TestAppliesEmptied')
class Emptied {}

class NotAnEvent {}

class Tank extends EventSourcedAggregate {
  litres = 0;

  @Applies(Filled)
  addWhatWasPoured(event: Filled): void {
    this.litres += event.litres;
  }

  // Named as appliers used to be found, but not marked: never called.
  onTestAppliesEmptied(): void {
    this.litres = 0;
  }
}

const history = (...events: object[]) => events.map((event, i) => ({ event, version: i + 1, recordedAt: new Date(0) }));

describe('@Applies', () => {
  it('binds a method to an event class, whatever the method and the stored type are named', () => {
    const tank = new Tank('t-1');
    tank.replay(history(new Filled(3)));
    tank.apply(new Filled(4));

    expect(tank.litres).toBe(7);
    expect(tank.getUncommittedEvents()).toEqual([new Filled(4)]);
  });

  it('makes apply() of an event without an applier throw, changing nothing and keeping nothing pending', () => {
    const tank = new Tank('t-1');
    tank.apply(new Filled(5));

    expect(() => tank.apply(new Emptied())).toThrow(
      'Tank has no applier of Emptied: mark the method that applies it @Applies(Emptied)',
    );
    expect(tank.litres).toBe(5);
    expect(tank.getUncommittedEvents()).toEqual([new Filled(5)]);
    expect(() => new Tank('t-2').replay(history(new Filled(1), new Emptied()))).toThrow(
      'Tank has no applier of Emptied',
    );
  });

  it('calls the method as the instance has it, so a subclass overrides an applier by overriding the method', () => {
    class LeakyTank extends Tank {
      override addWhatWasPoured(event: Filled): void {
        this.litres += event.litres - 1;
      }
    }
    const tank = new LeakyTank('t-1');
    tank.apply(new Filled(5));

    expect(tank.litres).toBe(4);
  });

  it('lets a subclass add appliers of its own without changing its parent', () => {
    class DrainableTank extends Tank {
      @Applies(Emptied)
      drain(): void {
        this.litres = 0;
      }
    }
    const tank = new DrainableTank('t-1');
    tank.apply(new Filled(5));
    tank.apply(new Emptied());

    expect(tank.litres).toBe(0);
    expect(() => new Tank('t-2').apply(new Emptied())).toThrow('Tank has no applier of Emptied');
  });

  it('refuses, when the class is defined, a class that is not an event', () => {
    expect(() => {
      class Broken extends EventSourcedAggregate {
        @Applies(NotAnEvent)
        onNotAnEvent(): void {}
      }
      return Broken;
    }).toThrow('@Applies on Broken.onNotAnEvent: NotAnEvent is not an event (it has no @DomainEvent decorator)');
  });

  it('refuses, when the class is defined, an undefined class (an import cycle)', () => {
    expect(() => {
      class Broken extends EventSourcedAggregate {
        @Applies(undefined as unknown as typeof Filled)
        onFilled(): void {}
      }
      return Broken;
    }).toThrow('@Applies on Broken.onFilled names no class (undefined): is there an import cycle?');
  });

  it('refuses, when the class is defined, two appliers of one event', () => {
    expect(() => {
      class Broken extends EventSourcedAggregate {
        @Applies(Filled)
        onFilled(): void {}

        @Applies(Filled)
        alsoOnFilled(): void {}
      }
      return Broken;
    }).toThrow('Broken has two appliers of Filled: onFilled and alsoOnFilled');
  });
});
