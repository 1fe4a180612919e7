import { CommandBus, CommandHandler, CqrsModule, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { Test, type TestingModule } from '@nestjs/testing';
import { createHash } from 'node:crypto';
import { Applies } from '../domain/applies.decorator.js';
import { DomainEvent } from '../domain/domain-event.decorator.js';
import { IdempotencyKeyReusedError } from '../domain/errors.js';
import { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import { InMemoryEventStore } from '../store/in-memory-event-store.js';
import { AggregateRepository } from './aggregate-repository.js';
import { AggregateTypes } from './aggregate-types.js';
import { IdGenerator } from './clock.js';
import type { CommandContext, CommandOutcome } from './command-context.js';
import { AggregateCommandHandler } from './command-on-aggregate.handler.js';
import { AggregateCommand } from './command-on-aggregate.js';

@DomainEvent('TestLampSwitched')
class Switched {
  constructor(readonly on: boolean) {}
}

class Lamp extends EventSourcedAggregate {
  static readonly streamType = 'TestLamp';
  static readonly events = [Switched];
  on = false;

  static install(id: string): Lamp {
    const lamp = new Lamp(id);
    lamp.apply(new Switched(false));
    return lamp;
  }

  switch(on: boolean): void {
    if (this.on !== on) this.apply(new Switched(on));
  }

  @Applies(Switched)
  onTestLampSwitched(event: Switched): void {
    this.on = event.on;
  }
}

// Declared after the handler was imported (and so after @CommandHandler ran): the bus finds it anyway.
class SwitchLamp extends AggregateCommand<Lamp, { on: boolean }> {
  constructor(
    readonly lampId: string,
    readonly on: boolean,
    readonly context: CommandContext,
  ) {
    super(Lamp, lampId);
  }

  decide(lamp: Lamp): { on: boolean } {
    lamp.switch(this.on);
    return { on: lamp.on };
  }
}

/** A command that decides itself and also has a handler of its own: the handler wins. */
class BreakLamp extends AggregateCommand<Lamp> {
  constructor(
    readonly lampId: string,
    readonly context: CommandContext,
  ) {
    super(Lamp, lampId);
  }

  decide(): Record<string, never> {
    throw new Error('decided by the generic handler');
  }
}

@CommandHandler(BreakLamp)
class BreakLampHandler implements ICommandHandler<BreakLamp> {
  async execute(command: BreakLamp): Promise<CommandOutcome> {
    return { id: command.lampId, version: 0, position: 0, result: {} };
  }
}

/** A type no repository was registered for. */
class Socket extends EventSourcedAggregate {
  static readonly streamType = 'TestSocket';
}

class PlugIn extends AggregateCommand<Socket> {
  constructor(
    readonly socketId: string,
    readonly context: CommandContext,
  ) {
    super(Socket, socketId);
  }

  decide(): Record<string, never> {
    return {};
  }
}

const context = (idempotencyKey?: string): CommandContext => ({
  commandId: 'command-1',
  correlationId: 'correlation-1',
  idempotencyKey,
});

let app: TestingModule;
let store: InMemoryEventStore;
let commands: CommandBus;

beforeEach(async () => {
  store = new InMemoryEventStore();
  app = await Test.createTestingModule({
    imports: [CqrsModule.forRoot()],
    providers: [
      AggregateTypes,
      AggregateCommandHandler,
      BreakLampHandler,
      {
        provide: 'lamps',
        useFactory: (types: AggregateTypes, eventBus: EventBus) => {
          const repository = new AggregateRepository(Lamp, store, eventBus, new IdGenerator(), 0);
          types.register(repository);
          return repository;
        },
        inject: [AggregateTypes, EventBus],
      },
    ],
  }).compile();
  await app.init();
  const lamps = app.get<AggregateRepository<Lamp>>('lamps');
  await lamps.create(new SwitchLamp('lamp-1', false, context()), () => ({
    aggregate: Lamp.install('lamp-1'),
    result: { on: false },
  }));
  commands = app.get(CommandBus);
});
afterEach(() => app.close());

describe('AggregateCommandHandler', () => {
  it('runs every AggregateCommand through its aggregate repository, with no handler of its own', async () => {
    const outcome = await commands.execute(new SwitchLamp('lamp-1', true, context()));

    expect(outcome).toEqual({ id: 'lamp-1', version: 2, position: 2, result: { on: true } });
    expect((await store.readStream('lamp-1')).map((event) => event.data)).toEqual([{ on: false }, { on: true }]);
  });

  it('leaves a command with a handler of its own to that handler', async () => {
    await expect(commands.execute(new BreakLamp('lamp-1', context()))).resolves.toEqual({
      id: 'lamp-1',
      version: 0,
      position: 0,
      result: {},
    });
  });

  it('names the aggregate class no repository was registered for', async () => {
    await expect(commands.execute(new PlugIn('socket-1', context()))).rejects.toThrow(
      'PlugIn decides on Socket, which no EventSourcingModule.forFeature registered',
    );
  });

  it("keeps the class and id it decides on out of the command's fingerprint, so keys stored before still answer", async () => {
    // The fingerprint of a command with these fields, as it was before commands decided themselves.
    const fields = { lampId: 'lamp-1', on: true };
    const fingerprint = createHash('sha256')
      .update(JSON.stringify(['SwitchLamp', fields]))
      .digest('base64url');
    await store.append({
      streamId: 'lamp-1',
      streamType: Lamp.streamType,
      expectedVersion: 1,
      events: [
        {
          id: 'event-2',
          type: 'TestLampSwitched',
          schemaVersion: 1,
          data: { on: true },
          metadata: { correlationId: 'c', causationId: 'c' },
        },
      ],
      idempotency: { key: 'key-1', fingerprint, result: { on: true } },
    });

    const repeat = await commands.execute(new SwitchLamp('lamp-1', true, context('key-1')));

    expect(repeat).toEqual({ id: 'lamp-1', version: 2, position: 2, result: { on: true } });
    await expect(commands.execute(new SwitchLamp('lamp-1', false, context('key-1')))).rejects.toThrow(
      IdempotencyKeyReusedError,
    );
  });
});
