import type { AggregateClass } from '#event-sourcing';
import type { EventSourcedAggregate } from '#event-sourcing/domain';
import { assertAggregateClass } from '#event-sourcing/testing';

/**
 * Given past events, when a command method runs, then these new events (or this error):
 *
 * ```ts
 * given(Account, opened, deposited(100)).when((a) => a.withdraw(30)).then(new MoneyWithdrawn(30));
 * ```
 * `when` may also return a new aggregate (for factory methods such as `Account.open`). The
 * class gets the check the app runs at start first: an applier missing for one of its
 * `static events` fails the spec as it would fail the start.
 */
export function given<A extends EventSourcedAggregate>(aggregateClass: AggregateClass<A>, ...history: object[]) {
  assertAggregateClass(aggregateClass);
  const aggregate = new aggregateClass('aggregate-under-test');
  aggregate.replay(history.map((event, i) => ({ event, version: i + 1, recordedAt: new Date(0) })));
  return {
    when(command: (aggregate: A) => A | void) {
      const run = () => command(aggregate) ?? aggregate;
      return {
        then(...expected: object[]): A {
          const subject = run();
          expect(subject.getUncommittedEvents()).toStrictEqual(expected);
          return subject;
        },
        thenThrows(error: new (...args: never[]) => Error): void {
          expect(run).toThrow(error);
          expect(aggregate.getUncommittedEvents()).toEqual([]);
        },
      };
    },
  };
}
