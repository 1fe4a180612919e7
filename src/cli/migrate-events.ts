import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { AppModule } from '../app.module.js';
import { loadConfig } from '../config/app-config.js';
import { openDatabaseServer } from '../database/database-server.js';
import { eventMigrations } from '../event-migrations.js';
import { runEventMigration } from '../event-sourcing/migration/run-event-migration.js';
import { EventCodec } from '../event-sourcing/serialization/event-codec.js';
import type { StoredEvent } from '../event-sourcing/store/event-store.js';
import { parseMigrateEventsArgs, UsageError } from './migrate-events.args.js';

/**
 * `npm run events:migrate -- <migration> [options]`: rewrites stored events in place or
 * into a new table (docs/EVOLVING-EVENTS.md). Exit codes: 0 done, 1 failed, 2 usage,
 * 130 stopped by Ctrl-C (run it again to resume).
 */
const logger = new Logger('events:migrate');
let args;
try {
  args = parseMigrateEventsArgs(process.argv.slice(2), eventMigrations);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  logger.error(error.message);
  process.exit(2);
}
const { migration, options } = args;

const stop = new AbortController();
// A second Ctrl-C has no listener left, so it ends the process at once; the batch in flight rolls back.
process.once('SIGINT', () => {
  logger.warn('stopping after the current batch (Ctrl-C again to stop at once)');
  stop.abort();
});

const loaded = loadConfig();
// This process only migrates: the followers keep running in the app.
const config = { ...loaded, followers: { ...loaded.followers, enabled: false } };
const server = await openDatabaseServer(config, (line) => logger.log(line), { shareRunning: true });
const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, server.url), {
  logger: ['log', 'warn', 'error'],
});
let exitCode = 0;
try {
  const dataSource = app.get<DataSource>(getDataSourceToken());
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  const report = await runEventMigration(pool, app.get(EventCodec), migration, { ...options, signal: stop.signal });
  for (const { before, after } of options.dryRun ? report.examples : []) {
    const metadataChanged = JSON.stringify(before.metadata) !== JSON.stringify(after.metadata);
    logger.log(
      `position ${before.position}:\n  before ${describe(before, metadataChanged)}\n  after  ${describe(after, metadataChanged)}`,
    );
  }
  if (report.status === 'stopped') {
    const again = process.argv.slice(2).filter((arg) => arg !== '--restart');
    logger.log(`to resume: npm run events:migrate -- ${again.join(' ')}`);
    exitCode = 130;
  }
} catch (error) {
  logger.error(error instanceof Error ? error.message : String(error));
  exitCode = 1;
} finally {
  await app.close();
  await server.stop();
}
process.exit(exitCode);

function describe(event: StoredEvent, withMetadata: boolean): string {
  const { type, schemaVersion, data, metadata } = event;
  return JSON.stringify(withMetadata ? { type, schemaVersion, data, metadata } : { type, schemaVersion, data });
}
