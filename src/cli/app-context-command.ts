import 'reflect-metadata';
import type { INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { loadConfig } from '../config/app-config.js';
import { openDatabaseServer } from '../database/database-server.js';

/**
 * Runs a command-line tool inside the app's Nest context, on the app's database (sharing
 * a running embedded server), then exits with the code `work` returns, or 1 on an error.
 * Followers stay off here: they keep running in the app. A tool's statements may rightly
 * run for minutes (copying the log into partitions), so DATABASE_QUERY_TIMEOUT_MS is off.
 */
export async function runAppContextCommand(
  logger: Logger,
  work: (app: INestApplicationContext) => Promise<number>,
): Promise<never> {
  const loaded = loadConfig();
  const config = {
    ...loaded,
    database: { ...loaded.database, queryTimeoutMs: 0 },
    followers: { ...loaded.followers, enabled: false },
  };
  const server = await openDatabaseServer(
    config,
    { info: (line) => logger.log(line), error: (line) => logger.error(line) },
    { shareRunning: true },
  );
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, server.url), {
    logger: ['log', 'warn', 'error'],
  });
  let exitCode = 1;
  try {
    exitCode = await work(app);
  } catch (error) {
    logger.error(error instanceof Error ? error.message : String(error));
  } finally {
    await app.close();
    await server.stop();
  }
  process.exit(exitCode);
}
