import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';
import { loadConfig } from './config/app-config.js';
import { openDatabaseServer } from './database/database-server.js';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Chronicle');
  const config = loadConfig();
  const database = await openDatabaseServer(config, (line) => logger.log(line));
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, database.url), {
    bodyParser: false,
    // Idle keep-alive sockets would otherwise hold up shutdown.
    forceCloseConnections: true,
  });
  configureApp(app, config);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: shutting down`);
    await app.close();
    await database.stop();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(signal));

  await app.listen(config.port);
  logger.log(`listening on http://localhost:${config.port} (API docs at /docs)`);
}

bootstrap().catch((error: unknown) => {
  new Logger('Chronicle').error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
