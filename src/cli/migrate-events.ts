import { Logger } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { eventMigrations } from '../event-migrations.js';
import { runEventMigration } from '#event-sourcing/postgres';
import { EventCodec, type StoredEvent } from '#event-sourcing';
import { runAppContextCommand } from './app-context-command.js';
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

await runAppContextCommand(logger, async (app) => {
  const dataSource = app.get<DataSource>(getDataSourceToken());
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  const report = await runEventMigration(pool, app.get(EventCodec), migration, { ...options, signal: stop.signal });
  for (const { before, after } of options.dryRun ? report.examples : []) {
    const metadataChanged = JSON.stringify(before.metadata) !== JSON.stringify(after.metadata);
    logger.log(
      `position ${before.position}:\n  before ${describe(before, metadataChanged)}\n  after  ${describe(after, metadataChanged)}`,
    );
  }
  if (report.status !== 'stopped') return 0;
  const again = process.argv.slice(2).filter((arg) => arg !== '--restart');
  logger.log(`to resume: npm run events:migrate -- ${again.join(' ')}`);
  return 130;
});

function describe(event: StoredEvent, withMetadata: boolean): string {
  const { type, schemaVersion, data, metadata } = event;
  return JSON.stringify(withMetadata ? { type, schemaVersion, data, metadata } : { type, schemaVersion, data });
}
