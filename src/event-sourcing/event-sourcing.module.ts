import { Inject, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { CqrsModule, EventBus } from '@nestjs/cqrs';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { AggregateRepository, type AggregateClass } from './application/aggregate-repository.js';
import { Clock, IdGenerator } from './application/clock.js';
import type { EventSourcedAggregate } from './domain/event-sourced-aggregate.js';
import { NotificationsController } from './http/notifications.controller.js';
import { EventStore } from './store/event-store.js';
import { PostgresEventStore } from './store/postgres-event-store.js';

export interface EventSourcingOptions {
  /** How often a command is tried again on fresh state after a concurrency conflict. */
  commandRetries: number;
}

const OPTIONS = Symbol('EventSourcingOptions');

export function aggregateRepositoryToken(aggregateClass: AggregateClass<EventSourcedAggregate>): string {
  return `AggregateRepository<${aggregateClass.streamType}>`;
}

/** Injects the {@link AggregateRepository} that {@link EventSourcingModule.forFeature} registered for a class. */
export const InjectAggregateRepository = (aggregateClass: AggregateClass<EventSourcedAggregate>) =>
  Inject(aggregateRepositoryToken(aggregateClass));

/**
 * The event-sourcing machinery: the PostgreSQL event store on the app's TypeORM
 * connection pool, the notification log endpoint, and repositories per aggregate type.
 */
@Module({})
export class EventSourcingModule {
  static forRoot(options: EventSourcingOptions): DynamicModule {
    return {
      module: EventSourcingModule,
      global: true,
      imports: [CqrsModule.forRoot()],
      controllers: [NotificationsController],
      providers: [
        { provide: OPTIONS, useValue: options },
        {
          provide: EventStore,
          // The store shares TypeORM's pg pool: one set of connections, and named
          // prepared statements that TypeORM's query API cannot express.
          useFactory: (dataSource: DataSource) =>
            new PostgresEventStore((dataSource.driver as unknown as { master: Pool }).master),
          inject: [getDataSourceToken()],
        },
        Clock,
        IdGenerator,
      ],
      exports: [EventStore, Clock, IdGenerator, OPTIONS],
    };
  }

  static forFeature(aggregateClasses: AggregateClass<EventSourcedAggregate>[]): DynamicModule {
    const providers: Provider[] = aggregateClasses.map((aggregateClass) => ({
      provide: aggregateRepositoryToken(aggregateClass),
      useFactory: (store: EventStore, eventBus: EventBus, ids: IdGenerator, options: EventSourcingOptions) =>
        new AggregateRepository(aggregateClass, store, eventBus, ids, options.commandRetries),
      inject: [EventStore, EventBus, IdGenerator, OPTIONS],
    }));
    return { module: EventSourcingModule, providers, exports: providers };
  }
}
