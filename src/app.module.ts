import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from './auth/auth.module.js';
import type { AppConfig } from './config/app-config.js';
import { AccountsModule } from './contexts/accounts/accounts.module.js';
import { TransfersModule } from './contexts/transfers/transfers.module.js';
import { databaseOptions } from './database/database-options.js';
import { openDataSource } from './database/open-data-source.js';
import { EventSourcingModule } from './event-sourcing/event-sourcing.module.js';
import { HealthController } from './health/health.controller.js';

/** The composition root: the database, the event-sourcing machinery, and one module per bounded context. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AuthModule.forRoot(config.auth),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...databaseOptions(databaseUrl, config.database), autoLoadEntities: true }),
          dataSourceFactory: (options) => openDataSource(options!),
        }),
        EventSourcingModule.forRoot({
          commandRetries: config.commandRetries,
          followers: config.followers,
          sseHeartbeatMs: config.sseHeartbeatMs,
          snapshotEvery: config.snapshotEvery,
          payloads: config.payloads,
        }),
        AccountsModule,
        TransfersModule,
      ],
      controllers: [HealthController],
    };
  }
}
