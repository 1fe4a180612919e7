import assert from 'node:assert/strict';
import type { EventBus } from '@nestjs/cqrs';
import type { AggregateClass } from '../application/aggregate-class.js';
import { AggregateRepository } from '../application/aggregate-repository.js';
import { AggregateTypes } from '../application/aggregate-types.js';
import { IdGenerator } from '../application/clock.js';
import type { Command, CommandContext, CommandOutcome, CommandResult } from '../application/command-context.js';
import { AggregateCommandHandler } from '../application/command-on-aggregate.handler.js';
import { AggregateCommand } from '../application/command-on-aggregate.js';
import { ConcurrencyError, IdempotencyKeyReusedError } from '../domain/errors.js';
import { EventRegistry } from '../domain/event-registry.js';
import type { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import { InMemoryEventStore } from '../store/in-memory-event-store.js';

/** What runs a command: an explicit handler, as its class is constructed with the spec's repository. */
export interface SpecHandler {
  execute(command: never): Promise<CommandOutcome<CommandResult>>;
}

/** Makes the command of a case from the id of the spec's stream and the context the case gives it. */
export type CommandFactory<R extends CommandResult> = (id: string, context: CommandContext) => Command<R>;

/** The headers of the request a command comes from: `Idempotency-Key`, `If-Match`, the actor. */
export type SpecContext = Partial<Pick<CommandContext, 'idempotencyKey' | 'expectedVersion' | 'actorId'>>;

/**
 * Given/when/then specs of a command and its handler, in memory: the given events are the
 * past of one stream in an {@link InMemoryEventStore}, and the command runs through the real
 * `AggregateRepository` (idempotency, If-Match, append) and the real handler: the machinery's
 * own for an `AggregateCommand`, else the one `handler` makes. No Nest app, no database.
 * Assertions use `node:assert`, so the spec runs under any test runner.
 *
 * ```ts
 * const accounts = commandSpec(Account);
 *
 * it('takes the amount out', () =>
 *   accounts
 *     .given(new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(100))
 *     .when((id, context) => new WithdrawMoney(id, 30, context))
 *     .then([new MoneyWithdrawn(30)], { balance: 70 }));
 * ```
 * @param handler makes the handler of commands that have one of their own, e.g.
 *   `(accounts) => new OpenAccountHandler(accounts, new IdGenerator())`
 */
export function commandSpec<A extends EventSourcedAggregate>(
  aggregateClass: AggregateClass<A>,
  handler?: (repository: AggregateRepository<A>) => SpecHandler,
) {
  return {
    /** The stream's past, oldest first; none for a command that starts an aggregate. */
    given(...history: object[]) {
      const stream = new SpecStream(aggregateClass, handler, history);
      return {
        /** The command of the case, made with the stream's id and a context with these headers. */
        when<R extends CommandResult>(command: CommandFactory<R>, context: SpecContext = {}) {
          return new CommandCase(stream, command, context);
        },
      };
    },
  };
}

/** One case: a command on a stream with a past, and what it should come to. */
class CommandCase<A extends EventSourcedAggregate, R extends CommandResult> {
  constructor(
    private readonly stream: SpecStream<A>,
    private readonly command: CommandFactory<R>,
    private readonly context: SpecContext,
  ) {}

  /**
   * The command appends exactly these events (none: it decided to change nothing) and
   * answers where the aggregate stands, with this result when one is given.
   */
  async then(events: object[], result?: R): Promise<CommandOutcome<CommandResult>> {
    const outcome = await this.stream.run(this.command, this.context);
    assert.deepStrictEqual(await this.stream.appendedTo(outcome.id), events, 'the events appended');
    const last = await this.stream.last(outcome.id);
    assert.deepStrictEqual(
      { version: outcome.version, position: outcome.position },
      { version: last.version, position: last.position },
      'the outcome names the last event of the stream',
    );
    if (result !== undefined) assert.deepStrictEqual(outcome.result, result, 'the result');
    return outcome;
  }

  /** The command is refused with this error, and nothing is appended. */
  async thenThrows<E extends Error>(error: abstract new (...args: never[]) => E): Promise<E> {
    const refusal = await this.stream.refused(this.command, this.context);
    assert.ok(refusal instanceof error, `expected ${error.name}, got ${String(refusal)}`);
    return refusal;
  }

  /** The same command again, with the same `Idempotency-Key`, answers the same and appends nothing. */
  async thenRepeatAnswersTheSame(): Promise<CommandOutcome<CommandResult>> {
    assert.ok(this.context.idempotencyKey !== undefined, 'a repeat is told apart by its Idempotency-Key: give one');
    const first = await this.stream.run(this.command, this.context);
    const stored = await this.stream.logLength();
    const repeat = await this.stream.run(this.command, this.context);
    assert.deepStrictEqual(repeat, first, 'the repeat answers as the first');
    assert.equal(await this.stream.logLength(), stored, 'the repeat appends nothing');
    return repeat;
  }

  /** Another command with this command's `Idempotency-Key`, sent after it, is refused, and appends nothing. */
  async thenRefusesTheKeyFor<O extends CommandResult>(other: CommandFactory<O>): Promise<void> {
    const key = this.context.idempotencyKey;
    assert.ok(key !== undefined, 'a key can only be reused if the command has one: give it an Idempotency-Key');
    await this.stream.run(this.command, this.context);
    const refusal = await this.stream.refused(other, this.context);
    assert.ok(
      refusal instanceof IdempotencyKeyReusedError,
      `expected IdempotencyKeyReusedError, got ${String(refusal)}`,
    );
    assert.equal(refusal.key, key);
  }

  /** The command's `If-Match` is stale: it is refused with the version the stream was found at, and appends nothing. */
  async thenConflicts(found: number): Promise<void> {
    const pinned = this.context.expectedVersion;
    assert.ok(pinned !== undefined, 'only a command with If-Match (expectedVersion) is refused as stale');
    const refusal = await this.stream.refused(this.command, this.context);
    assert.ok(refusal instanceof ConcurrencyError, `expected ConcurrencyError, got ${String(refusal)}`);
    assert.deepStrictEqual(
      { expectedVersion: refusal.expectedVersion, actualVersion: refusal.actualVersion },
      { expectedVersion: pinned, actualVersion: found },
    );
  }
}

// The repository publishes after commit; no in-process handler listens in a spec.
const quietBus = { publishAll: () => undefined } as unknown as EventBus;

/** A store holding one stream's past, and the repository and handler commands run through. */
class SpecStream<A extends EventSourcedAggregate> {
  private readonly ids = new IdGenerator();
  private readonly store = new InMemoryEventStore();
  private readonly repository: AggregateRepository<A>;
  private readonly handler: SpecHandler | undefined;
  private readonly written: Promise<unknown>;
  readonly id = this.ids.next();

  constructor(
    private readonly aggregateClass: AggregateClass<A>,
    handler: ((repository: AggregateRepository<A>) => SpecHandler) | undefined,
    private readonly history: object[],
  ) {
    // No retries: nothing else writes the store, so a conflict is the case's own.
    this.repository = new AggregateRepository(aggregateClass, this.store, quietBus, this.ids, 0);
    this.handler = handler?.(this.repository);
    this.written =
      history.length === 0
        ? Promise.resolve()
        : this.store.append({
            streamId: this.id,
            streamType: aggregateClass.streamType,
            expectedVersion: 0,
            events: history.map((event) => ({
              id: this.ids.next(),
              ...EventRegistry.toRecord(event),
              metadata: { correlationId: 'given', causationId: 'given' },
            })),
          });
  }

  async run(make: CommandFactory<CommandResult>, context: SpecContext): Promise<CommandOutcome<CommandResult>> {
    await this.written;
    const command = make(this.id, { commandId: this.ids.next(), correlationId: this.ids.next(), ...context });
    if (this.handler) return this.handler.execute(command as never);
    if (!(command instanceof AggregateCommand)) {
      throw new Error(
        `${command.constructor.name} has a handler of its own: give commandSpec(${this.aggregateClass.name}, ...) one`,
      );
    }
    const types = new AggregateTypes();
    types.register(this.repository);
    return new AggregateCommandHandler(types).execute(command);
  }

  /** The error the command is refused with; fails when it is not refused or appends anything. */
  async refused(make: CommandFactory<CommandResult>, context: SpecContext): Promise<unknown> {
    const before = await this.logLength();
    const refusal = await this.run(make, context).then(
      (outcome) => assert.fail(`expected a refusal, got ${JSON.stringify(outcome)}`),
      (error: unknown) => error,
    );
    assert.equal(await this.logLength(), before, 'a refused command appends nothing');
    return refusal;
  }

  /** The events of a stream after the given past, as the aggregate reads them. */
  async appendedTo(streamId: string): Promise<object[]> {
    const fromVersion = streamId === this.id ? this.history.length + 1 : 1;
    const stored = await this.store.readStream(streamId, { fromVersion });
    return stored.map((event) => EventRegistry.fromRecord(event, event.position));
  }

  async last(streamId: string): Promise<{ version: number; position: number }> {
    const version = await this.store.streamVersion(streamId);
    const [last] = await this.store.readStream(streamId, { fromVersion: version });
    assert.ok(last, `the stream ${streamId} has events`);
    return last;
  }

  async logLength(): Promise<number> {
    await this.written;
    return (await this.store.readLog(0, Number.MAX_SAFE_INTEGER)).length;
  }
}
