import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import type { AppConfig } from '../config/app-config.js';
import { pooledClient } from './pooled-client.js';

/**
 * TypeORM options for one PostgreSQL URL. Migrations run through openDataSource (under a
 * lock); the schema is never synchronised from entities.
 */
export function databaseOptions(url: string, config: AppConfig['database']): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error', 'migration'],
    extra: {
      max: config.poolSize,
      Client: pooledClient(config.queryTimeoutMs),
      // pg's default is to wait for a free connection forever: under overload or a lost
      // server every request would queue without bound. Past this wait it fails (503).
      connectionTimeoutMillis: config.poolWaitMs,
      application_name: 'chronicle',
      // A transaction left open stalls every log reader (docs/ARCHITECTURE.md), and a
      // runaway statement holds a pooled connection: both are cut off by the server.
      options:
        `-c statement_timeout=${config.statementTimeoutMs} ` +
        `-c idle_in_transaction_session_timeout=${config.idleInTransactionTimeoutMs}`,
    },
  };
}
