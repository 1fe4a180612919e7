import type { EventBus } from '@nestjs/cqrs';
import { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import { InMemoryEventStore } from '../store/in-memory-event-store.js';
import type { AggregateClass } from './aggregate-class.js';
import { AggregateRepository } from './aggregate-repository.js';
import { AggregateTypes } from './aggregate-types.js';
import { IdGenerator } from './clock.js';

class Kettle extends EventSourcedAggregate {
  static readonly streamType = 'TestKettle';
}

class Teapot extends EventSourcedAggregate {
  static readonly streamType = 'TestKettle';
}

const repositoryOf = (aggregateClass: AggregateClass<EventSourcedAggregate>) =>
  new AggregateRepository(aggregateClass, new InMemoryEventStore(), {} as EventBus, new IdGenerator(), 0);

describe('AggregateTypes', () => {
  it('finds a registered type by its stream type, and nothing for another', () => {
    const types = new AggregateTypes();
    const kettles = repositoryOf(Kettle);
    types.register(kettles);

    expect(types.repositoryOf('TestKettle')).toBe(kettles);
    expect(types.repositoryOf('Kettle')).toBeUndefined();
  });

  it('keeps the first repository when a class is registered again', () => {
    const types = new AggregateTypes();
    const first = repositoryOf(Kettle);
    types.register(first);
    types.register(repositoryOf(Kettle));

    expect(types.repositoryOf('TestKettle')).toBe(first);
  });

  it('refuses a second class under the same stream type', () => {
    const types = new AggregateTypes();
    types.register(repositoryOf(Kettle));

    expect(() => types.register(repositoryOf(Teapot))).toThrow(
      'Stream type "TestKettle" is used by two aggregate classes: Kettle and Teapot',
    );
  });
});
