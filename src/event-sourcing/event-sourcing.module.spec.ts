import { Global, Module } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { AggregateTypes } from './application/aggregate-types.js';
import { IdGenerator } from './application/clock.js';
import { Applies } from './domain/applies.decorator.js';
import { DomainEvent } from './domain/domain-event.decorator.js';
import { EventSourcedAggregate } from './domain/event-sourced-aggregate.js';
import { EventSourcingModule } from './event-sourcing.module.js';
import { EVENT_SOURCING_OPTIONS } from './event-sourcing.options.js';
import { WriteStats } from './observability/write-stats.js';
import { InMemoryEventStore } from './store/in-memory-event-store.js';
import { InMemorySnapshotStore } from './store/in-memory-snapshot-store.js';
import { EventStore } from './store/event-store.js';
import { SnapshotStore } from './store/snapshot-store.js';

@DomainEvent('TestModuleCheckPlanted')
class Planted {}

@DomainEvent('TestModuleCheckWatered')
class Watered {}

class Plant extends EventSourcedAggregate {
  static readonly streamType = 'TestModuleCheckPlant';
  static readonly events = [Planted, Watered];

  @Applies(Planted)
  onPlanted(): void {}

  @Applies(Watered)
  onWatered(): void {}
}

/** Decides Watered, but its applier lost its decorator. */
class Weed extends EventSourcedAggregate {
  static readonly streamType = 'TestModuleCheckWeed';
  static readonly events = [Planted, Watered];

  @Applies(Planted)
  onPlanted(): void {}

  onWatered(): void {}
}

/** What forRoot provides to the repositories forFeature makes, in memory. */
@Global()
@Module({
  providers: [
    { provide: EventStore, useValue: new InMemoryEventStore() },
    { provide: SnapshotStore, useValue: new InMemorySnapshotStore() },
    { provide: EventBus, useValue: { publishAll: () => undefined } },
    { provide: EVENT_SOURCING_OPTIONS, useValue: { commandRetries: 0 } },
    IdGenerator,
    WriteStats,
    AggregateTypes,
  ],
  exports: [EventStore, SnapshotStore, EventBus, EVENT_SOURCING_OPTIONS, IdGenerator, WriteStats, AggregateTypes],
})
class MachineryInMemory {}

const start = (...aggregateClasses: (typeof Plant | typeof Weed)[]) =>
  Test.createTestingModule({
    imports: [MachineryInMemory, EventSourcingModule.forFeature(aggregateClasses)],
  }).compile();

describe('EventSourcingModule.forFeature', () => {
  it('starts with aggregate classes whose events all have appliers', async () => {
    const app = await start(Plant);
    expect(app.get(AggregateTypes).repositoryOf('TestModuleCheckPlant')).toBeDefined();
    await app.close();
  });

  it('refuses to start with an event an aggregate decides and cannot apply, naming both', async () => {
    await expect(start(Plant, Weed)).rejects.toThrow(
      'Weed decides Watered but has no applier of it: mark one method @Applies(Watered)',
    );
  });
});
