import { AssertionError } from 'node:assert';
import type { AggregateRepository } from '../application/aggregate-repository.js';
import { Command, type CommandContext, type CommandOutcome } from '../application/command-context.js';
import { AggregateCommand } from '../application/command-on-aggregate.js';
import { Applies } from '../domain/applies.decorator.js';
import { DomainEvent } from '../domain/domain-event.decorator.js';
import { DomainRuleViolation } from '../domain/errors.js';
import { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import { commandSpec } from './command-spec.js';

@DomainEvent('TestJarFilled')
class Filled {
  constructor(readonly sweets: number) {}
}

@DomainEvent('TestJarEmptied')
class Emptied {
  constructor(readonly sweets: number) {}
}

class NotEnoughSweets extends DomainRuleViolation {
  readonly code = 'not_enough_sweets';
}

class Jar extends EventSourcedAggregate {
  static readonly streamType = 'TestJar';
  static readonly events = [Filled, Emptied];
  sweets = 0;

  take(sweets: number): void {
    if (sweets > this.sweets) throw new NotEnoughSweets(`${this.sweets} left`);
    if (sweets > 0) this.apply(new Emptied(sweets));
  }

  @Applies(Filled)
  onTestJarFilled(event: Filled): void {
    this.sweets += event.sweets;
  }

  @Applies(Emptied)
  onTestJarEmptied(event: Emptied): void {
    this.sweets -= event.sweets;
  }
}

class TakeSweets extends AggregateCommand<Jar, { left: number }> {
  constructor(
    readonly jarId: string,
    readonly sweets: number,
    readonly context: CommandContext,
  ) {
    super(Jar, jarId);
  }

  decide(jar: Jar): { left: number } {
    jar.take(this.sweets);
    return { left: jar.sweets };
  }
}

/** A command with a handler of its own: it starts a jar under the id its handler picks. */
class FillJar extends Command {
  constructor(
    readonly sweets: number,
    readonly context: CommandContext,
  ) {
    super();
  }
}

class FillJarHandler {
  constructor(private readonly jars: AggregateRepository<Jar>) {}

  execute(command: FillJar): Promise<CommandOutcome> {
    return this.jars.create(command, () => {
      const jar = new Jar('jar-2');
      jar.apply(new Filled(command.sweets));
      return { aggregate: jar, result: {} };
    });
  }
}

/** A handler that drops the command's Idempotency-Key: what thenRepeatAnswersTheSame is there to catch. */
class ForgetfulHandler {
  constructor(private readonly jars: AggregateRepository<Jar>) {}

  execute(command: TakeSweets): Promise<CommandOutcome<{ left: number }>> {
    const { idempotencyKey: _dropped, ...context } = command.context;
    return this.jars.update(new TakeSweets(command.jarId, command.sweets, context), command.jarId, (jar) =>
      command.decide(jar),
    );
  }
}

const jars = commandSpec(Jar);
const take = (sweets: number) => (id: string, context: CommandContext) => new TakeSweets(id, sweets, context);

describe('commandSpec', () => {
  it('passes when the command appends these events and answers this result', async () => {
    const outcome = await jars
      .given(new Filled(5))
      .when(take(2))
      .then([new Emptied(2)], { left: 3 });

    expect(outcome).toMatchObject({ version: 2, position: 2 });
  });

  it('fails when the events or the result differ', async () => {
    await expect(
      jars
        .given(new Filled(5))
        .when(take(2))
        .then([new Emptied(3)]),
    ).rejects.toThrow(AssertionError);
    await expect(
      jars
        .given(new Filled(5))
        .when(take(2))
        .then([new Filled(2)]),
    ).rejects.toThrow(AssertionError);
    await expect(
      jars
        .given(new Filled(5))
        .when(take(2))
        .then([new Emptied(2)], { left: 4 }),
    ).rejects.toThrow('the result');
  });

  it('passes when the command appends nothing, with the outcome at the last given event', async () => {
    expect(await jars.given(new Filled(5), new Emptied(1)).when(take(0)).then([], { left: 4 })).toMatchObject({
      version: 2,
      position: 2,
    });
  });

  it('passes a refusal with its class, and fails when the command is not refused', async () => {
    const refusal = await jars.given(new Filled(1)).when(take(2)).thenThrows(NotEnoughSweets);

    expect(refusal.code).toBe('not_enough_sweets');
    await expect(jars.given(new Filled(2)).when(take(2)).thenThrows(NotEnoughSweets)).rejects.toThrow(
      'expected a refusal',
    );
  });

  it('runs a command with a handler of its own, reading the events of the stream it started', async () => {
    const filling = commandSpec(Jar, (repository) => new FillJarHandler(repository));

    expect(
      await filling
        .given()
        .when((_, context) => new FillJar(3, context))
        .then([new Filled(3)], {}),
    ).toMatchObject({ id: 'jar-2', version: 1 });
    await expect(
      jars
        .given()
        .when((_, context) => new FillJar(3, context))
        .then([new Filled(3)]),
    ).rejects.toThrow('FillJar has a handler of its own: give commandSpec(Jar, ...) one');
  });

  it('checks that a repeat with the same Idempotency-Key answers the same and appends nothing', async () => {
    await jars.given(new Filled(5)).when(take(2), { idempotencyKey: 'key-1' }).thenRepeatAnswersTheSame();

    const forgetful = commandSpec(Jar, (repository) => new ForgetfulHandler(repository));
    await expect(
      forgetful.given(new Filled(5)).when(take(2), { idempotencyKey: 'key-1' }).thenRepeatAnswersTheSame(),
    ).rejects.toThrow(AssertionError);
  });

  it('checks that another command with the same key is refused', async () => {
    await jars.given(new Filled(5)).when(take(2), { idempotencyKey: 'key-1' }).thenRefusesTheKeyFor(take(3));

    await expect(
      jars.given(new Filled(5)).when(take(2), { idempotencyKey: 'key-1' }).thenRefusesTheKeyFor(take(2)),
    ).rejects.toThrow('expected a refusal');
  });

  it('checks that a stale If-Match is refused with the version found', async () => {
    await jars.given(new Filled(5), new Emptied(1)).when(take(2), { expectedVersion: 1 }).thenConflicts(2);

    await expect(
      jars.given(new Filled(5), new Emptied(1)).when(take(2), { expectedVersion: 1 }).thenConflicts(3),
    ).rejects.toThrow(AssertionError);
    await expect(
      jars.given(new Filled(5), new Emptied(1)).when(take(2), { expectedVersion: 2 }).thenConflicts(2),
    ).rejects.toThrow('expected a refusal');
  });
});
