import type { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import type { AggregateClass } from './aggregate-class.js';
import { Command, type CommandResult } from './command-context.js';

/**
 * A command on one existing aggregate that decides itself: it names the aggregate's class
 * and id (`super(Account, accountId)`), and {@link decide} calls a rule of the aggregate,
 * which applies events or throws a refusal, and returns the command's result. One handler
 * of the machinery runs every such command through that aggregate's repository (idempotency,
 * If-Match, retries), so it needs no handler class and no module registration. A command
 * that needs a service (an id generator, a key store) extends {@link Command} and has a
 * handler of its own.
 */
export abstract class AggregateCommand<
  A extends EventSourcedAggregate,
  R extends CommandResult = Record<string, never>,
> extends Command<R> {
  // Private fields: a command's own fields are its idempotency fingerprint, and these repeat them.
  readonly #aggregateClass: AggregateClass<A>;
  readonly #aggregateId: string;

  constructor(aggregateClass: AggregateClass<A>, aggregateId: string) {
    super();
    this.#aggregateClass = aggregateClass;
    this.#aggregateId = aggregateId;
  }

  /** The class of the aggregate it decides on: its repository runs the command. */
  get aggregateClass(): AggregateClass<A> {
    return this.#aggregateClass;
  }

  /** The id of the aggregate it decides on. */
  get aggregateId(): string {
    return this.#aggregateId;
  }

  /**
   * Calls a rule of the aggregate (which applies events or throws a refusal) and returns
   * the result. It may run twice for one command (on a cached state, then on a fresh load),
   * so it changes nothing but the aggregate it is given.
   */
  abstract decide(aggregate: A): R;
}
