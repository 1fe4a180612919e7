import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config.js';
import { databaseOptions } from './database-options.js';
import { openDatabaseServer } from './database-server.js';

/**
 * The DataSource for TypeORM's own CLI (`npm run migration:generate -- migrations/<Name>`):
 * read-model entities compared with the migrated schema.
 */
const config = loadConfig();
const server = await openDatabaseServer(config, console, { shareRunning: true });

export default new DataSource({
  ...databaseOptions(server.url, config.database),
  entities: [new URL('../**/*.entity.js', import.meta.url).pathname],
});
