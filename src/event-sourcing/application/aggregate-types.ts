import type { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import type { AggregateRepository } from './aggregate-repository.js';

/**
 * The app's aggregate types by stream type, each with its repository: every class given
 * to `EventSourcingModule.forFeature` registers here. For generic tools over the store
 * (the event explorer) that rebuild an aggregate knowing only its stream's type.
 */
export class AggregateTypes {
  private readonly repositories = new Map<string, AggregateRepository<EventSourcedAggregate>>();

  /**
   * Adds a repository's aggregate type; the same class again (a second `forFeature`) changes nothing.
   * @throws Error when another class already uses its stream type: their streams could not be told apart
   */
  register(repository: AggregateRepository<EventSourcedAggregate>): void {
    const { streamType } = repository.aggregateClass;
    const existing = this.repositories.get(streamType)?.aggregateClass;
    if (existing && existing !== repository.aggregateClass) {
      throw new Error(
        `Stream type "${streamType}" is used by two aggregate classes: ${existing.name} and ${repository.aggregateClass.name}`,
      );
    }
    if (!existing) this.repositories.set(streamType, repository);
  }

  /** The repository of the aggregate type stored under `streamType`, if the app has one. */
  repositoryOf(streamType: string): AggregateRepository<EventSourcedAggregate> | undefined {
    return this.repositories.get(streamType);
  }
}
