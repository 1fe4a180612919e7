import { AssertionError } from 'node:assert/strict';
import { Applies } from '../domain/applies.decorator.js';
import { DomainEvent } from '../domain/domain-event.decorator.js';
import { DomainRuleViolation } from '../domain/errors.js';
import { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import { given, replayed } from './aggregate-spec.js';

@DomainEvent('TestSpecFilled')
class Filled {
  constructor(readonly litres: number) {}
}

@DomainEvent('TestSpecDrained')
class Drained {
  constructor(readonly litres: number) {}
}

class Overflow extends DomainRuleViolation {
  readonly code = 'overflow';
  constructor(litres: number) {
    super(`${litres} litres do not fit`);
  }
}

class Tank extends EventSourcedAggregate {
  static readonly events = [Filled, Drained];
  litres = 0;

  fill(litres: number): void {
    if (this.litres + litres > 10) throw new Overflow(litres);
    this.apply(new Filled(litres));
  }

  /** Applies, then refuses: a command method written wrongly. */
  fillThenRefuse(litres: number): void {
    this.apply(new Filled(litres));
    throw new Overflow(litres);
  }

  @Applies(Filled)
  onFilled(event: Filled): void {
    this.litres += event.litres;
  }

  @Applies(Drained)
  onDrained(event: Drained): void {
    this.litres -= event.litres;
  }
}

/** Lists an event it has no applier of: the app would refuse to start. */
class LeakyTank extends EventSourcedAggregate {
  static readonly events = [Filled];
}

const failure = (run: () => unknown): AssertionError => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AssertionError);
    return error as AssertionError;
  }
  throw new Error('expected an AssertionError');
};

describe('given/when/then of an aggregate', () => {
  it('builds the aggregate from its history, and passes on the events decided and the state after', () => {
    expect(given(Tank, new Filled(3)).aggregate).toMatchObject({ litres: 3, version: 1 });
    const decided = given(Tank, new Filled(3))
      .when((tank) => tank.fill(4))
      .then(new Filled(4))
      .withState({ litres: 7, version: 2 });
    expect(decided.aggregate.getUncommittedEvents()).toEqual([new Filled(4)]);
    expect(replayed(Tank, 't-1', new Filled(2), new Drained(1))).toMatchObject({ id: 't-1', litres: 1, version: 2 });
  });

  it('fails on other events, or events of another class with the same fields', () => {
    expect(() =>
      given(Tank)
        .when((tank) => tank.fill(4))
        .then(new Filled(5)),
    ).toThrow(AssertionError);
    expect(() =>
      given(Tank)
        .when((tank) => tank.fill(4))
        .then(new Drained(4)),
    ).toThrow(AssertionError);
    expect(() =>
      given(Tank)
        .when((tank) => tank.fill(4))
        .then(),
    ).toThrow(AssertionError);
  });

  it('fails when the command throws instead, showing the error', () => {
    expect(
      failure(() =>
        given(Tank)
          .when((tank) => tank.fill(11))
          .then(new Filled(11)),
      ).message,
    ).toBe('Expected the command to decide [ Filled { litres: 11 } ], but it threw Overflow: 11 litres do not fit');
  });

  it('fails on a field of the state after that differs, naming it', () => {
    expect(
      failure(() =>
        given(Tank)
          .when((tank) => tank.fill(4))
          .then(new Filled(4))
          .withState({ litres: 5 }),
      ).message,
    ).toBe('Tank.litres is 4, not 5');
  });

  it('passes on a refusal of the class, code and message expected, and gives it back', () => {
    const refusal = given(Tank, new Filled(8))
      .when((tank) => tank.fill(3))
      .thenThrows(Overflow, { code: 'overflow', message: /3 litres/ });
    expect(refusal).toBeInstanceOf(Overflow);
    given(Tank, new Filled(8))
      .when((tank) => tank.fill(3))
      .thenThrows(Overflow, { message: '3 litres do not fit' });
  });

  it('fails when the command decided events instead of refusing', () => {
    expect(
      failure(() =>
        given(Tank)
          .when((tank) => tank.fill(3))
          .thenThrows(Overflow),
      ).message,
    ).toBe('Expected the command to throw Overflow, but it decided [ Filled { litres: 3 } ]');
  });

  it('fails on a refusal of another class, code or message', () => {
    expect(
      failure(() =>
        given(Tank)
          .when(() => JSON.parse('{'))
          .thenThrows(Overflow),
      ).message,
    ).toMatch(/^Expected the command to throw Overflow, but it threw SyntaxError/);
    expect(
      failure(() =>
        given(Tank)
          .when((tank) => tank.fill(11))
          .thenThrows(Overflow, { code: 'too_much' }),
      ).message,
    ).toBe("Overflow.code is 'overflow', not 'too_much'");
    expect(
      failure(() =>
        given(Tank)
          .when((tank) => tank.fill(11))
          .thenThrows(Overflow, { message: /12 litres/ }),
      ).message,
    ).toBe("The Overflow says '11 litres do not fit', which does not match /12 litres/");
  });

  it('fails on a refusal after an event was applied: a refused command must change nothing', () => {
    expect(
      failure(() =>
        given(Tank)
          .when((tank) => tank.fillThenRefuse(1))
          .thenThrows(Overflow),
      ).message,
    ).toBe('What the refused command applied is [ Filled { litres: 1 } ], not []');
  });

  it('runs the start-up check of the class first', () => {
    expect(() => given(LeakyTank)).toThrow('LeakyTank decides Filled but has no applier of it');
  });
});
