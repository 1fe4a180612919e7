import 'reflect-metadata';
import type { Server } from 'node:http';
import { Module, type INestApplication, type ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppModule } from '../../src/app.module.js';
import { configureApp } from '../../src/app.setup.js';
import { createRootLogger } from '../../src/observability/logging/root-logger.js';
import { loadConfig } from '../../src/config/app-config.js';
import { ContractCheck } from './contract-check.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/** The app's root module with a test's own modules beside it. */
@Module({})
class TestAppModule {}

export interface TestApp {
  app: INestApplication;
  /** The HTTP server to hand to supertest. */
  http: Server;
  database: TestDatabase;
  /** Closes the app, then drops its database if it created it. */
  close(): Promise<void>;
}

/**
 * The whole app as src/main.ts builds it, on a fresh database of its own; or, given
 * another app's database, a second instance of the service sharing it. `env` is the
 * environment it reads its configuration from (none of the process's own). `logs`
 * receives pino's JSON lines (at `LOG_LEVEL`, silent unless set). `imports` are modules
 * of the test's own beside the app's (a test-only aggregate, say).
 */
export async function createTestApp(
  options: {
    database?: TestDatabase;
    env?: NodeJS.ProcessEnv;
    logs?: DestinationStream;
    imports?: ModuleMetadata['imports'];
  } = {},
): Promise<TestApp> {
  const owned = options.database === undefined;
  const database = options.database ?? (await createTestDatabase({ migrated: true }));
  // Tests send far more requests a minute than a client would; test/security turns the limit on.
  // Pino stays silent (Nest's own errors still show) unless a test sets LOG_LEVEL.
  const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'silent', ...options.env });
  let app: NestExpressApplication | undefined;
  const contract = new ContractCheck();
  try {
    const logger = createRootLogger(config.logs, options.logs);
    const root = AppModule.forRoot(config, database.url, logger);
    const modules = options.imports ? { module: TestAppModule, imports: [root, ...options.imports] } : root;
    app = await NestFactory.create<NestExpressApplication>(modules, {
      bodyParser: false,
      // Closing cuts the connections clients still hold, once the app has ended its event
      // streams, as src/main.ts cuts them after SHUTDOWN_TIMEOUT_MS: a browser's pooled or
      // in-flight connection cannot hold the test's teardown up (once seen: a teardown in
      // test/web past its 60 s, beside a full CI run).
      forceCloseConnections: true,
      // Errors only: an unexpected 500 logs its stack, everything expected stays quiet.
      ...(options.logs ? { bufferLogs: true } : { logger: ['error'] }),
    });
    // A test that reads the logs gets Nest's lines through pino too, as src/main.ts does.
    if (options.logs) app.useLogger(app.get(Logger));
    contract.install(app);
    configureApp(app, config);
    await app.init();
  } catch (error) {
    await app?.close();
    if (owned) await database.drop();
    throw error;
  }
  const started = app;
  return {
    app: started,
    http: started.getHttpServer() as Server,
    database,
    close: async () => {
      try {
        await started.close();
      } finally {
        if (owned) await database.drop();
      }
      if (contract.violations.length > 0) {
        throw new Error(
          `Answers that openapi.json does not describe:\n${[...new Set(contract.violations)].join('\n')}`,
        );
      }
    },
  };
}
