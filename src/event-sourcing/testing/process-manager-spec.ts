import { deepStrictEqual } from 'node:assert/strict';
import { CommandBus, QueryBus, type ICommand, type IQuery } from '@nestjs/cqrs';
import type { EntityManager } from 'typeorm';
import type { FollowerFailure } from '../subscriptions/follower-retry.js';
import { FollowerUnderTest, type ExpectedFailure } from './follower-under-test.js';
import { SpecLog, type SpecAppend } from './spec-log.js';

/** A command or query class. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any constructor arguments
type MessageClass<M extends object> = abstract new (...args: any[]) => M;

/** What the buses answer to a message of one class: its result, or the error it is refused with (thrown). */
type Answer = (message: object) => unknown;

/** The buses a process manager is built with in a spec. */
export interface SpecBuses {
  /** Records every command and answers as the case says (resolves to undefined unless told). */
  commands: CommandBus;
  /** Answers as the case says; a query the case gives no answer to fails the handler that asks it. */
  queries: QueryBus;
}

/** The messages a case's buses were sent, and their answers. */
class SpecWorld {
  readonly sent: object[] = [];

  constructor(private readonly answers: ReadonlyMap<MessageClass<object>, Answer>) {}

  async command(command: object): Promise<unknown> {
    this.sent.push(command);
    return this.answers.get(command.constructor as MessageClass<object>)?.(command);
  }

  async query(query: object): Promise<unknown> {
    const answer = this.answers.get(query.constructor as MessageClass<object>);
    if (!answer) {
      const name = query.constructor.name;
      throw new Error(`The spec gives no answer to ${name}: add .answer(${name}, (query) => ...)`);
    }
    return answer(query);
  }
}

// Nest's buses, with every message going to the case's world instead of a handler.
class SpecCommandBus extends CommandBus {
  constructor(private readonly world: SpecWorld) {
    super(undefined as never);
  }

  override execute<T extends ICommand, R = unknown>(command: T): Promise<R> {
    return this.world.command(command) as Promise<R>;
  }
}

class SpecQueryBus extends QueryBus {
  constructor(private readonly world: SpecWorld) {
    super(undefined as never);
  }

  override execute<T extends IQuery, R = unknown>(query: T): Promise<R> {
    return this.world.query(query) as Promise<R>;
  }
}

/** Non-transactional followers get the app's manager: a process manager that uses it needs a projection's spec. */
const noDatabase = new Proxy({} as EntityManager, {
  get(_, property) {
    throw new Error(`A process-manager spec has no database: a handler used context.manager.${String(property)}`);
  },
});

/** The events of one spec case, how the buses answer, and its checks. */
export class ProcessManagerScenario {
  constructor(
    private readonly create: (buses: SpecBuses) => object,
    private readonly appends: SpecAppend[],
    private readonly answers: ReadonlyMap<MessageClass<object>, Answer> = new Map(),
  ) {}

  /** How the buses answer a command or query of this class: `answer` returns the result, or throws the refusal. */
  answer<M extends object>(messageClass: MessageClass<M>, answer: (message: M) => unknown): ProcessManagerScenario {
    const answers = new Map(this.answers).set(messageClass, answer as Answer);
    return new ProcessManagerScenario(this.create, this.appends, answers);
  }

  /** Commands of this class are refused with this error (a `DomainRuleViolation`, say): a shorthand of {@link answer}. */
  refuse<M extends object>(
    commandClass: MessageClass<M>,
    error: Error | ((command: M) => Error),
  ): ProcessManagerScenario {
    return this.answer(commandClass, (command: M) => {
      throw typeof error === 'function' ? error(command) : error;
    });
  }

  /**
   * Asserts that handling the given events sent exactly these commands, in this order (deeply and
   * strictly equal, so of the same classes), the refused ones included; none: it sent nothing.
   * @throws Error when a handler failed, naming the event
   */
  async then(...commands: object[]): Promise<void> {
    const { world, follower, failure } = await this.run();
    if (failure) throw follower.failed(failure);
    deepStrictEqual(world.sent, commands);
  }

  /**
   * Asserts that a handler failed (with an error of this class, or a message matching this
   * pattern): the follower would stop at that event and try it again later.
   * @returns the handler's error
   */
  async thenThrows(expected?: ExpectedFailure): Promise<unknown> {
    const { follower, failure } = await this.run();
    return follower.assertFailed(failure, expected);
  }

  private async run(): Promise<{ world: SpecWorld; follower: FollowerUnderTest; failure?: FollowerFailure }> {
    const world = new SpecWorld(this.answers);
    const follower = new FollowerUnderTest(
      this.create({ commands: new SpecCommandBus(world), queries: new SpecQueryBus(world) }),
      'process manager',
    );
    const log = new SpecLog();
    await log.append(this.appends);
    return { world, follower, failure: await follower.follow(log, 0, noDatabase) };
  }
}

/**
 * Given events (with their envelopes), then the commands a process manager (a follower with
 * `transactional: false`) sends, with no Nest application and no database: the events go
 * through the dispatch the follower loop runs, to a new instance per case built on buses that
 * record each command and answer or refuse as the case says.
 *
 * ```ts
 * const spec = new ProcessManagerSpec(({ commands, queries }) => new TransferProcessManager(commands, queries));
 *
 * it('fails a transfer the source account refuses', () =>
 *   spec
 *     .given({ ...stream(T, new TransferRequested(A, B, 40)), ids: ['e-1'] })
 *     .answer(GetTransfer, () => requestedTransfer)
 *     .refuse(SendTransfer, new InsufficientFunds(A, 0, 40))
 *     .then(new SendTransfer(A, T, B, 40, ...), new FailTransfer(T, 'insufficient_funds', ...)));
 * ```
 */
export class ProcessManagerSpec {
  /**
   * @param create builds the process manager on the spec's buses, once per case
   */
  constructor(private readonly create: (buses: SpecBuses) => object) {}

  /** The events the process manager handles, in this order. */
  given(...appends: SpecAppend[]): ProcessManagerScenario {
    return new ProcessManagerScenario(this.create, appends);
  }
}
