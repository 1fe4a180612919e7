import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { loadConfig } from '../config/app-config.js';
import { openDatabaseServer } from '../database/database-server.js';
import { FollowersService } from '../event-sourcing/subscriptions/followers.service.js';

/**
 * `npm run projections:rebuild -- <name>`: rebuilds one view from position 0 into fresh
 * tables while the running app keeps serving the old ones, then switches over.
 */
const logger = new Logger('projections:rebuild');
const name = process.argv[2];
if (!name) {
  logger.error('usage: npm run projections:rebuild -- <follower name>   (GET /projections lists them)');
  process.exit(2);
}
const loaded = loadConfig();
// This process only rebuilds: the followers keep running in the app.
const config = { ...loaded, followers: { ...loaded.followers, enabled: false } };
const server = await openDatabaseServer(config, (line) => logger.log(line), { shareRunning: true });
const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, server.url), {
  logger: ['log', 'warn', 'error'],
});
let exitCode = 0;
try {
  const { events, position, seconds } = await app.get(FollowersService).rebuild(name);
  logger.log(
    `${name}: ${events} events in ${seconds.toFixed(1)} s (${Math.round(events / seconds)} events/s), at position ${position}`,
  );
} catch (error) {
  logger.error(error instanceof Error ? error.message : String(error));
  exitCode = 1;
} finally {
  await app.close();
  await server.stop();
}
process.exit(exitCode);
