import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config.js';
import { databaseOptions } from './database-options.js';
import { openDatabaseServer } from './database-server.js';

/** `npm run migration:run`: applies pending migrations and exits (the app also does this at start). */
const config = loadConfig();
const server = await openDatabaseServer(config, console.log, { shareRunning: true });
const dataSource = new DataSource({ ...databaseOptions(server.url, config.database), migrationsRun: false });
try {
  await dataSource.initialize();
  const applied = await dataSource.runMigrations();
  console.log(applied.length === 0 ? 'No pending migrations' : `Applied: ${applied.map((m) => m.name).join(', ')}`);
} finally {
  await dataSource.destroy();
  await server.stop();
}
