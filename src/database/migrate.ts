import 'reflect-metadata';
import { loadConfig } from '../config/app-config.js';
import { databaseOptions } from './database-options.js';
import { openDatabaseServer } from './database-server.js';
import { openDataSource } from './open-data-source.js';

/** `npm run migration:run`: applies pending migrations and exits (the app also does this at start). */
const config = loadConfig();
const server = await openDatabaseServer(config, console, { shareRunning: true });
try {
  const dataSource = await openDataSource(databaseOptions(server.url, config.database), console.log);
  await dataSource.destroy();
} finally {
  await server.stop();
}
