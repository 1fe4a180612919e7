import { parseArgs } from 'node:util';
import type { EventMigration } from '#event-sourcing';
import type { EventMigrationOptions } from '#event-sourcing/postgres';

/** Bad arguments: the message says what, and how to call the command. */
export class UsageError extends Error {}

export interface MigrateEventsArgs {
  migration: EventMigration;
  options: Pick<EventMigrationOptions, 'into' | 'swap' | 'dryRun' | 'restart' | 'batchSize'>;
}

const USAGE = `usage: npm run events:migrate -- <migration> [options]

  --dry-run           read and transform every event, write nothing, show what would change
  --into <table>      copy-and-transform into a new table instead of rewriting events in place
  --swap              with --into: once copied, put the new table in place of events
  --batch-size <n>    events per batch and transaction (default 1000)
  --restart           forget this migration's checkpoint and start over from position 0`;

function usage(problem: string, known: readonly EventMigration[]): UsageError {
  const width = Math.max(...known.map((m) => m.name.length));
  const list = known.map((m) => `  ${m.name.padEnd(width)}  ${m.description}`).join('\n');
  return new UsageError(`${problem}\n\n${USAGE}\n\nmigrations:\n${list}`);
}

/**
 * The migration and options of `npm run events:migrate -- <migration> [options]`.
 * @throws UsageError for a missing or unknown migration, an unknown option or a bad value
 */
export function parseMigrateEventsArgs(argv: string[], known: readonly EventMigration[]): MigrateEventsArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'dry-run': { type: 'boolean' },
        into: { type: 'string' },
        swap: { type: 'boolean' },
        'batch-size': { type: 'string' },
        restart: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw usage(error instanceof Error ? error.message : String(error), known);
  }
  const { positionals, values } = parsed;
  if (positionals.length !== 1) throw usage('Name one migration.', known);
  const migration = known.find((m) => m.name === positionals[0]);
  if (!migration) throw usage(`Unknown migration "${positionals[0]}".`, known);
  if (values.swap && values.into === undefined) throw usage('--swap needs --into <table>.', known);
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) {
    throw usage(`--batch-size must be a whole number > 0, not "${values['batch-size']}".`, known);
  }
  return {
    migration,
    options: { into: values.into, swap: values.swap, dryRun: values['dry-run'], restart: values.restart, batchSize },
  };
}
