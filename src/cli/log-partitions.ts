import { Logger } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import {
  poolOf,
  createPartitionsAhead,
  currentPartition,
  DEFAULT_PARTITION_SIZE,
  detachPartition,
  enablePartitioning,
  listPartitions,
  type LogPartition,
} from '#event-sourcing/postgres';
import { runAppContextCommand } from './app-context-command.js';

/**
 * `npm run events:partitions -- <enable|ahead|list|detach>`: partitions the event log by
 * position range and looks after its partitions (docs/SCALING.md, "A partitioned log").
 * Exit codes: 0 done, 1 refused or failed, 2 usage.
 */
const USAGE = `usage: npm run events:partitions -- <command>

  enable [--size N] [--ahead N]   partition the events table (N positions per partition, default ${DEFAULT_PARTITION_SIZE})
  ahead [--count N]               create the partitions missing for N beyond the one being written (default 2)
  list                            partitions with their bounds, estimated rows, sizes, and which holds the head
  detach <partition>              detach an old partition, to archive (pg_dump -t <partition>) and drop`;

const logger = new Logger('events:partitions');

function usage(problem: string): never {
  logger.error(`${problem}\n\n${USAGE}`);
  process.exit(2);
}

function wholeNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) usage(`--${name} must be a whole number > 0, not "${value}".`);
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { size: { type: 'string' }, ahead: { type: 'string' }, count: { type: 'string' } },
  });
} catch (error) {
  usage(error instanceof Error ? error.message : String(error));
}
const { positionals, values } = parsed;
const [command, ...rest] = positionals;
const expected = { enable: 0, ahead: 0, list: 0, detach: 1 }[command ?? ''];
if (expected === undefined) usage(command ? `Unknown command "${command}".` : 'Name a command.');
if (rest.length !== expected) usage(expected ? `${command} takes one partition name.` : `${command} takes no name.`);
const size = wholeNumber(values.size, 'size');
const ahead = wholeNumber(values.ahead, 'ahead');
const count = wholeNumber(values.count, 'count');

const bounds = (p: LogPartition) => `${p.name} (positions ${p.from} to ${p.to - 1})`;

async function run(client: PoolClient): Promise<void> {
  if (command === 'enable') {
    const [first, ...next] = await enablePartitioning(client, { size, ahead });
    logger.log(`events is partitioned: the old table is ${bounds(first)}; created ${next.map(bounds).join(', ')}`);
  } else if (command === 'ahead') {
    const created = await createPartitionsAhead(client, count);
    logger.log(created.length ? `created ${created.map(bounds).join(', ')}` : 'no partition missing');
  } else if (command === 'detach') {
    const detached = await detachPartition(client, rest[0]);
    logger.log(
      `detached ${bounds(detached)}: it is a table of its own now. Archive it with ` +
        `pg_dump -t ${detached.name}, then DROP TABLE ${detached.name}`,
    );
  } else {
    const log = await listPartitions(client);
    // A plain log is the default, not a fault: say so and how to change it, and exit 0.
    if (log.partitions.length === 0) {
      logger.log('events is one plain table; to partition it: npm run events:partitions -- enable');
      return;
    }
    const current = currentPartition(log);
    const rows = log.partitions.map((p) => [
      p.name,
      String(p.from),
      String(p.to - 1),
      p.rows === undefined ? '?' : String(Math.round(p.rows)),
      `${(p.bytes / 1024 / 1024).toFixed(1)} MB`,
      p === current ? `<- head (${log.head})` : '',
    ]);
    const table = [['partition', 'from', 'to', 'rows (est.)', 'size', ''], ...rows];
    const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    for (const row of table)
      console.log(
        row
          .map((cell, i) => cell.padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      );
    if (!current) logger.warn(`the head (${log.head}) is past the last partition: appends fail until "ahead" runs`);
  }
}

await runAppContextCommand(logger, async (app) => {
  const client = await poolOf(app.get<DataSource>(getDataSourceToken())).connect();
  try {
    await run(client);
  } finally {
    client.release();
  }
  return 0;
});
