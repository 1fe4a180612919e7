import { AssertionError, deepStrictEqual } from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { assertAggregateClass } from '../domain/aggregate-checks.js';
import type { EventClass } from '../domain/event-registry.js';
import type { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import { show } from './show.js';

/** An aggregate class as a spec builds it: constructed with its id, listing its `static events`. */
export type SpecAggregateClass<A extends EventSourcedAggregate> = (new (id: string) => A) & {
  readonly events?: readonly EventClass[];
};

/** The id of the aggregate {@link given} builds. */
export const AGGREGATE_UNDER_TEST = 'aggregate-under-test';

/** Asserts deep strict equality, in the spec step `operator`, with a message that names what differs. */
function same(actual: unknown, expected: unknown, what: string, operator: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new AssertionError({
      message: `${what} is ${show(actual)}, not ${show(expected)}`,
      actual,
      expected,
      operator,
    });
  }
}

/**
 * An aggregate rebuilt from its history as the repository loads one: each event applied by its
 * applier, versions 1 to n, nothing pending.
 */
export function replayed<A extends EventSourcedAggregate>(
  aggregateClass: SpecAggregateClass<A>,
  id: string,
  ...history: object[]
): A {
  const aggregate = new aggregateClass(id);
  aggregate.replay(history.map((event, i) => ({ event, version: i + 1, recordedAt: new Date(0) })));
  return aggregate;
}

/** What a command left: the events it decided, and the aggregate after them. */
export class Decided<A extends EventSourcedAggregate> {
  constructor(
    /** The aggregate after the command: its state, its version, its pending events. */
    readonly aggregate: A,
  ) {}

  /**
   * Asserts that each of these fields (or getters, such as `version`) of the aggregate after the
   * command has this value, compared deeply and strictly; fields left out are not compared.
   * @throws AssertionError naming the first field that differs
   */
  withState(expected: { [K in keyof A]?: A[K] }): this {
    for (const [field, value] of Object.entries(expected)) {
      const actual = (this.aggregate as unknown as Record<string, unknown>)[field];
      same(actual, value, `${this.aggregate.constructor.name}.${field}`, 'withState');
    }
    return this;
  }
}

/** A command's run against the aggregate built from the history. */
export class When<A extends EventSourcedAggregate> {
  constructor(
    private readonly aggregate: A,
    private readonly command: (aggregate: A) => A | void,
  ) {}

  /**
   * Asserts that the command decided exactly these events, in this order (deeply and strictly
   * equal, so of the same classes); none means it decided nothing.
   * @throws AssertionError listing the events it decided, or the error it threw
   */
  then(...expected: object[]): Decided<A> {
    let subject: A;
    try {
      subject = this.command(this.aggregate) ?? this.aggregate;
    } catch (error) {
      throw new AssertionError({
        message: `Expected the command to decide ${show(expected)}, but it threw ${show(error)}`,
        actual: error,
        expected,
        operator: 'then',
      });
    }
    deepStrictEqual(subject.getUncommittedEvents(), expected);
    return new Decided(subject);
  }

  /**
   * Asserts that the command refused with an error of this class (and, if given, this `code`
   * of a `DomainRuleViolation` and this message) and applied nothing.
   * @returns the error, for more checks
   * @throws AssertionError when it decided events instead, or threw another error
   */
  thenThrows<E extends Error>(
    errorClass: abstract new (...args: never[]) => E,
    expected: { code?: string; message?: string | RegExp } = {},
  ): E {
    let decided: readonly object[];
    try {
      decided = (this.command(this.aggregate) ?? this.aggregate).getUncommittedEvents();
    } catch (error) {
      if (!(error instanceof errorClass)) {
        throw new AssertionError({
          message: `Expected the command to throw ${errorClass.name}, but it threw ${show(error)}`,
          actual: error,
          expected: errorClass,
          operator: 'thenThrows',
        });
      }
      const { code, message } = expected;
      if (code !== undefined) same((error as { code?: unknown }).code, code, `${errorClass.name}.code`, 'thenThrows');
      if (typeof message === 'string') same(error.message, message, `${errorClass.name}.message`, 'thenThrows');
      else if (message && !message.test(error.message)) {
        throw new AssertionError({
          message: `The ${errorClass.name} says ${show(error.message)}, which does not match ${message}`,
          actual: error.message,
          expected: message,
          operator: 'thenThrows',
        });
      }
      same(this.aggregate.getUncommittedEvents(), [], 'What the refused command applied', 'thenThrows');
      return error;
    }
    throw new AssertionError({
      message: `Expected the command to throw ${errorClass.name}, but it decided ${show(decided)}`,
      actual: decided,
      expected: errorClass,
      operator: 'thenThrows',
    });
  }
}

/** An aggregate built from its history, for a command to run against. */
export class Given<A extends EventSourcedAggregate> {
  constructor(
    /** The aggregate rebuilt from the history, before any command: assert on its state directly. */
    readonly aggregate: A,
  ) {}

  /**
   * The command under test, a call of a command method; it may return a new aggregate instead
   * (a factory such as `Account.open`), whose events are then the ones checked.
   */
  when(command: (aggregate: A) => A | void): When<A> {
    return new When(this.aggregate, command);
  }
}

/**
 * Given past events, when a command method runs, then these new events (or this refusal), and
 * this state after. Runner-agnostic: it fails through `node:assert`, so it works under jest,
 * vitest or `node:test`.
 *
 * ```ts
 * given(Account, opened, new MoneyDeposited(100))
 *   .when((account) => account.withdraw(30))
 *   .then(new MoneyWithdrawn(30))
 *   .withState({ balance: 70, version: 3 });
 * given(Account, opened).when((account) => account.withdraw(1)).thenThrows(InsufficientFunds, { code: 'insufficient_funds' });
 * ```
 * The class first gets the check the app runs at start: an applier missing for one of its
 * `static events` fails the spec as it would fail the start. The aggregate's id is
 * {@link AGGREGATE_UNDER_TEST}; each `given` builds a new one.
 */
export function given<A extends EventSourcedAggregate>(
  aggregateClass: SpecAggregateClass<A>,
  ...history: object[]
): Given<A> {
  assertAggregateClass(aggregateClass);
  return new Given(replayed(aggregateClass, AGGREGATE_UNDER_TEST, ...history));
}
