import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from './auth/auth.module.js';
import { BrokerModule } from './broker/broker.module.js';
import type { AppConfig } from './config/app-config.js';
import { contextModules } from './contexts/index.js';
import { databaseOptions } from './database/database-options.js';
import { openDataSource } from './database/open-data-source.js';
import { EventSourcingModule } from '#event-sourcing';
import { ExplorerModule } from './explorer/explorer.module.js';
import { HealthModule } from './health/health.module.js';
import { createRootLogger } from './observability/logging/root-logger.js';
import { ObservabilityModule } from './observability/observability.module.js';

/**
 * The composition root: the database, the event-sourcing machinery, logs, metrics and
 * health checks, one module per bounded context, and the event explorer unless
 * configured off. `logger` is where logs go.
 */
@Module({})
export class AppModule {
  static forRoot(
    config: AppConfig,
    databaseUrl: string,
    logger: Logger = createRootLogger(config.logs),
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AuthModule.forRoot(config.auth),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...databaseOptions(databaseUrl, config.database), autoLoadEntities: true }),
          dataSourceFactory: (options) => {
            const migrations = logger.child({ context: 'Migrations' });
            return openDataSource(options!, (line) => migrations.info(line));
          },
        }),
        EventSourcingModule.forRoot({
          commandRetries: config.commandRetries,
          idempotencyKeyTtlMs: config.idempotencyKeyTtlMs,
          partitionsAhead: config.partitionsAhead,
          followers: config.followers,
          sseHeartbeatMs: config.sseHeartbeatMs,
          sseMaxStreamsPerClient: config.sseMaxStreamsPerClient,
          snapshotEvery: config.snapshotEvery,
          aggregateCacheSize: config.aggregateCacheSize,
          payloads: config.payloads,
          readReplicas: config.replicas,
        }),
        ObservabilityModule.forRoot(config.observability, logger),
        HealthModule.forRoot(config.observability),
        BrokerModule.forRoot(config.broker),
        ...contextModules,
        ...(config.explorer ? [ExplorerModule] : []),
      ],
    };
  }
}
