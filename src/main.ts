import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FollowersService } from '#event-sourcing';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { pino } from 'pino';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';
import { checkOpenOnPurpose, loadConfig } from './config/app-config.js';
import { openDatabaseServer } from './database/database-server.js';
import { createRootLogger } from './observability/logging/root-logger.js';
import { startTracing } from './observability/tracing/start-tracing.js';
import { listenOnIpv6Loopback } from './security/ipv6-loopback.js';
import { answerClientErrorsWithProblems } from './security/client-errors.js';
import { limitRequestTime } from './security/request-timeouts.js';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  checkOpenOnPurpose(config);
  const root = createRootLogger(config.logs);
  const logger = root.child({ context: 'Chronicle' });
  const tracing = await startTracing();
  if (tracing) logger.info(`tracing: exporting spans over OTLP to ${tracing.endpoint}`);
  const database = await openDatabaseServer(config, logger);
  // Not forceCloseConnections: Nest would then destroy sockets with requests still in flight.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, database.url, root), {
    bodyParser: false,
    // Nest's own start-up lines wait for the JSON logger instead of going out as plain text.
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  configureApp(app, config);

  // The app's own server, and its ::1 twin when HOST is unset.
  const servers: Server[] = [app.getHttpServer() as Server];
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.get(FollowersService).stopping();
    logger.info(`${signal}: shutting down`);
    const closed = servers.slice(1).map((twin) => new Promise((resolve) => twin.once('close', resolve)));
    for (const server of servers) stopTakingRequests(server, config.shutdownTimeoutMs);
    // Nest then ends SSE streams, lets followers finish their batch, waits for the
    // requests in flight (closing the HTTP server), and only then closes the pool.
    await app.close();
    await Promise.all(closed);
    await database.stop();
    // The spans of the last requests and followers, still in the exporter's batch.
    await tracing
      ?.shutdown()
      .catch((error: Error) => logger.warn(`tracing: last spans not exported: ${error.message}`));
    root.flush();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(signal));

  const prepareServer = (server: Server) => {
    limitRequestTime(server, config.requestTimeouts);
    answerClientErrorsWithProblems(server);
  };
  prepareServer(servers[0]);
  await app.listen(config.port, config.host ?? '127.0.0.1');
  if (config.host === undefined) {
    const twin = await listenOnIpv6Loopback(
      app.getHttpAdapter().getInstance(),
      (servers[0].address() as AddressInfo).port,
      prepareServer,
      (message) => logger.warn(message),
    );
    if (twin) servers.push(twin);
  }
  const urls = servers.map(boundUrl).join(' and ');
  logger.info(`listening on ${urls} (API docs at /docs)`);
  if (!config.auth) logger.warn(`authentication is off: every route is open to whoever reaches ${urls}`);
  if (config.corsOrigins.length === 0) {
    // Else a frontend on another origin meets a bare 404 to its preflight, with no word why.
    logger.info('CORS is closed: browser apps on other origins cannot call the API; list them in CORS_ORIGINS');
  }
}

/** The address a server really bound, as a URL: HOST may be a name, or a wildcard such as 0.0.0.0. */
function boundUrl(server: Server): string {
  const { address, family, port } = server.address() as AddressInfo;
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
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
