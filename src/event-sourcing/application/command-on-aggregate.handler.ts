import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import { AggregateTypes } from './aggregate-types.js';
import type { CommandOutcome, CommandResult } from './command-context.js';
import { AggregateCommand } from './command-on-aggregate.js';

/**
 * The handler of every {@link AggregateCommand}. `@CommandHandler` marks the base class, and
 * the command bus looks a command's class up with `Reflect.getMetadata`, which walks the
 * prototype chain: every subclass reaches this handler, whenever and in whatever order it
 * was imported, unless it has a `@CommandHandler` of its own.
 */
@CommandHandler(AggregateCommand)
export class AggregateCommandHandler implements ICommandHandler<
  AggregateCommand<EventSourcedAggregate, CommandResult>
> {
  constructor(private readonly types: AggregateTypes) {}

  execute(command: AggregateCommand<EventSourcedAggregate, CommandResult>): Promise<CommandOutcome<CommandResult>> {
    const { aggregateClass } = command;
    const repository = this.types.repositoryOf(aggregateClass.streamType);
    if (repository?.aggregateClass !== aggregateClass) {
      const unknown = `${command.constructor.name} decides on ${aggregateClass.name}, which no EventSourcingModule.forFeature registered`;
      return Promise.reject(new Error(unknown));
    }
    return repository.update(command, command.aggregateId, (aggregate) => command.decide(aggregate));
  }
}
