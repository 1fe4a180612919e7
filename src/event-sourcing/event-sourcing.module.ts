import { Inject, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CqrsModule, EventBus } from '@nestjs/cqrs';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { AggregateClass } from './application/aggregate-class.js';
import { AggregateRepository } from './application/aggregate-repository.js';
import { AggregateTypes } from './application/aggregate-types.js';
import { Clock, IdGenerator } from './application/clock.js';
import { AggregateCommandHandler } from './application/command-on-aggregate.handler.js';
import { StreamOwners } from './application/stream-owners.js';
import { assertAggregateClass } from './domain/aggregate-checks.js';
import type { EventSourcedAggregate } from './domain/event-sourced-aggregate.js';
import { LiveStreams } from './http/live-streams.js';
import { NotificationsStreamController } from './http/notifications-stream.controller.js';
import { NotificationsController } from './http/notifications.controller.js';
import { ProjectionsController } from './http/projections.controller.js';
import { DEFAULT_KEEPER_SETTINGS, PartitionKeeper } from './partitioning/partition-keeper.js';
import { PersonalDataKeys } from './personal-data/personal-data-keys.js';
import { EventCodec, PayloadEventCodec } from './serialization/event-codec.js';
import { PayloadCodec } from './serialization/payload-codec.js';
import { WriteStats } from './observability/write-stats.js';
import { EventStore } from './store/event-store.js';
import { IdempotencySweeper } from './store/idempotency-sweeper.js';
import { PostgresEventStore } from './store/postgres-event-store.js';
import { PostgresSnapshotStore } from './store/postgres-snapshot-store.js';
import { READ_REPLICA_SETTINGS, ReadReplicas } from './store/read-replicas.js';
import { SnapshotStore } from './store/snapshot-store.js';
import { CheckpointStore } from './subscriptions/checkpoint-store.js';
import { FOLLOWER_SETTINGS, FollowersService } from './subscriptions/followers.service.js';
import { PostgresCheckpointStore } from './subscriptions/postgres-checkpoint-store.js';
import {
  DEFAULT_AGGREGATE_CACHE_SIZE,
  EVENT_SOURCING_OPTIONS,
  type EventSourcingOptions,
} from './event-sourcing.options.js';
import { LOG_CHANNEL, LogWakeup } from './subscriptions/log-wakeup.js';

/** The pg pool under a TypeORM DataSource: the connections the whole app shares. */
export const poolOf = (dataSource: DataSource): Pool => (dataSource.driver as unknown as { master: Pool }).master;

export function aggregateRepositoryToken(aggregateClass: AggregateClass<EventSourcedAggregate>): string {
  return `AggregateRepository<${aggregateClass.streamType}>`;
}

/** Injects the {@link AggregateRepository} that {@link EventSourcingModule.forFeature} registered for a class. */
export const InjectAggregateRepository = (aggregateClass: AggregateClass<EventSourcedAggregate>) =>
  Inject(aggregateRepositoryToken(aggregateClass));

/**
 * The event-sourcing machinery: the PostgreSQL event store on the app's TypeORM
 * connection pool, the notification log endpoint, repositories per aggregate type, and the
 * one handler of every `AggregateCommand`.
 */
@Module({})
export class EventSourcingModule {
  static forRoot(options: EventSourcingOptions): DynamicModule {
    return {
      module: EventSourcingModule,
      global: true,
      imports: [CqrsModule.forRoot(), DiscoveryModule],
      controllers: [NotificationsController, NotificationsStreamController, ProjectionsController],
      providers: [
        { provide: EVENT_SOURCING_OPTIONS, useValue: options },
        { provide: FOLLOWER_SETTINGS, useValue: options.followers },
        {
          provide: LogWakeup,
          useFactory: (dataSource: DataSource) =>
            new LogWakeup(() => poolOf(dataSource).query(`NOTIFY ${LOG_CHANNEL}`)),
          inject: [getDataSourceToken()],
        },
        {
          provide: EventStore,
          // The store shares TypeORM's pg pool: one set of connections, and named
          // prepared statements that TypeORM's query API cannot express.
          useFactory: (dataSource: DataSource, wakeup: LogWakeup, codec: EventCodec, clock: Clock) =>
            new PostgresEventStore(poolOf(dataSource), {
              codec,
              appended: () => wakeup.appended(),
              idempotency: { ttlMs: options.idempotencyKeyTtlMs, now: () => clock.now() },
            }),
          inject: [getDataSourceToken(), LogWakeup, EventCodec, Clock],
        },
        {
          provide: IdempotencySweeper,
          useFactory: (store: EventStore) => new IdempotencySweeper(store),
          inject: [EventStore],
        },
        {
          provide: PersonalDataKeys,
          useFactory: (dataSource: DataSource) => new PersonalDataKeys(poolOf(dataSource)),
          inject: [getDataSourceToken()],
        },
        {
          provide: PayloadCodec,
          useFactory: (keys: PersonalDataKeys) => new PayloadCodec(keys, options.payloads),
          inject: [PersonalDataKeys],
        },
        {
          provide: EventCodec,
          useFactory: (payloads: PayloadCodec) => new PayloadEventCodec(payloads),
          inject: [PayloadCodec],
        },
        {
          provide: SnapshotStore,
          useFactory: (dataSource: DataSource, payloads: PayloadCodec) =>
            new PostgresSnapshotStore(poolOf(dataSource), payloads),
          inject: [getDataSourceToken(), PayloadCodec],
        },
        {
          provide: PartitionKeeper,
          useFactory: (dataSource: DataSource) =>
            new PartitionKeeper(poolOf(dataSource), {
              ...DEFAULT_KEEPER_SETTINGS,
              ahead: options.partitionsAhead ?? DEFAULT_KEEPER_SETTINGS.ahead,
            }),
          inject: [getDataSourceToken()],
        },
        {
          provide: CheckpointStore,
          useFactory: (dataSource: DataSource) => new PostgresCheckpointStore(dataSource),
          inject: [getDataSourceToken()],
        },
        {
          provide: READ_REPLICA_SETTINGS,
          useValue: options.readReplicas ?? { urls: [], maxLagBytes: 0, checkMs: 1_000, minPositionWaitMs: 0 },
        },
        ReadReplicas,
        FollowersService,
        Clock,
        IdGenerator,
        WriteStats,
        AggregateTypes,
        AggregateCommandHandler,
        { provide: StreamOwners, useFactory: (store: EventStore) => new StreamOwners(store), inject: [EventStore] },
        LiveStreams,
      ],
      exports: [
        LiveStreams,
        AggregateTypes,
        StreamOwners,
        EventStore,
        EventCodec,
        PersonalDataKeys,
        SnapshotStore,
        Clock,
        IdGenerator,
        FollowersService,
        ReadReplicas,
        LogWakeup,
        WriteStats,
        PartitionKeeper,
        IdempotencySweeper,
        EVENT_SOURCING_OPTIONS,
      ],
    };
  }

  static forFeature(aggregateClasses: AggregateClass<EventSourcedAggregate>[]): DynamicModule {
    const providers: Provider[] = aggregateClasses.map((aggregateClass) => ({
      provide: aggregateRepositoryToken(aggregateClass),
      useFactory: (
        store: EventStore,
        snapshots: SnapshotStore,
        eventBus: EventBus,
        ids: IdGenerator,
        options: EventSourcingOptions,
        stats: WriteStats,
        types: AggregateTypes,
      ) => {
        assertAggregateClass(aggregateClass);
        const repository = new AggregateRepository(
          aggregateClass,
          store,
          eventBus,
          ids,
          options.commandRetries,
          {
            store: snapshots,
            every: options.snapshotEvery?.[aggregateClass.streamType] ?? aggregateClass.snapshots?.every ?? 0,
            cacheSize: options.aggregateCacheSize ?? DEFAULT_AGGREGATE_CACHE_SIZE,
          },
          stats,
        );
        types.register(repository);
        return repository;
      },
      inject: [EventStore, SnapshotStore, EventBus, IdGenerator, EVENT_SOURCING_OPTIONS, WriteStats, AggregateTypes],
    }));
    return { module: EventSourcingModule, providers, exports: providers };
  }
}
