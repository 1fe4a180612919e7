import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { pino } from 'pino';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';
import { loadConfig } from './config/app-config.js';
import { openDatabaseServer } from './database/database-server.js';
import { createRootLogger } from './observability/logging/root-logger.js';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const root = createRootLogger(config.logs);
  const logger = root.child({ context: 'Chronicle' });
  const database = await openDatabaseServer(config, logger);
  // Not forceCloseConnections: Nest would then destroy sockets with requests still in flight.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, database.url, root), {
    bodyParser: false,
    // Nest's own start-up lines wait for the JSON logger instead of going out as plain text.
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  configureApp(app, config);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: shutting down`);
    stopTakingRequests(app.getHttpServer() as Server, config.shutdownTimeoutMs);
    // Nest then ends SSE streams, lets followers finish their batch, waits for the
    // requests in flight (closing the HTTP server), and only then closes the pool.
    await app.close();
    await database.stop();
    root.flush();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(signal));

  await app.listen(config.port);
  logger.info(`listening on http://localhost:${config.port} (API docs at /docs)`);
}

/**
 * Closes the listening socket (new connections are refused) and every keep-alive
 * connection as soon as it has no request in flight; connections still busy after
 * `timeoutMs` are cut, so a stuck client cannot hold shutdown up for ever.
 */
function stopTakingRequests(server: Server, timeoutMs: number): void {
  server.close();
  const idle = setInterval(() => server.closeIdleConnections(), 100);
  const cut = setTimeout(() => server.closeAllConnections(), timeoutMs);
  idle.unref();
  cut.unref();
  server.once('close', () => {
    clearInterval(idle);
    clearTimeout(cut);
  });
}

bootstrap().catch((error: unknown) => {
  // The configuration may be what failed, so this line cannot wait for LOG_LEVEL or LOG_FORMAT.
  pino({ base: { context: 'Chronicle' } }).fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
