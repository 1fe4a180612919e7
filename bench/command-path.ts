import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { AppModule } from '../src/app.module.js';
import { loadConfig, type AppConfig } from '../src/config/app-config.js';
import { DepositMoney } from '../src/contexts/accounts/application/deposit-money/deposit-money.command.js';
import { OpenAccount } from '../src/contexts/accounts/application/open-account/open-account.command.js';
import type { CommandContext } from '#event-sourcing';
import { number, verdict, type CellRate } from './figures.js';
import { chronicle, type Contender } from './workloads.js';

export const COMMAND_PATH = 'chronicle command path';
export const TARGET = 0.5;
const CALLERS = [1, 8, 32];
// As W1's writers: enough that a caller seldom deposits to the account it just did.
const ACCOUNTS_PER_CALLER = 16;

/**
 * The app's own configuration, with a pool as large as the most callers (so that the
 * pool, which W1's writers do not share, is not what is measured) and without the
 * followers, broker and logs, which run beside the command path rather than in it.
 */
function benchConfig(): AppConfig {
  const config = loadConfig();
  return {
    ...config,
    database: { ...config.database, poolSize: Math.max(...CALLERS) },
    followers: { ...config.followers, enabled: false },
    logs: { ...config.logs, level: 'warn' },
    broker: undefined,
    explorer: false,
  };
}

let app: Promise<INestApplicationContext> | undefined;
let closing = Promise.resolve();
let callers = 0;

/** The app's Nest context on the cell's database, built at a cell's first caller. */
const appOn = (pool: pg.Pool) =>
  (app ??= NestFactory.createApplicationContext(AppModule.forRoot(benchConfig(), pool.options.connectionString!), {
    logger: ['warn', 'error'],
  }));

/** Closes the app context, and waits for any close under way. */
export async function closeCommandPath(): Promise<void> {
  const opened = app;
  app = undefined;
  if (opened) closing = closing.then(async () => (await opened).close());
  await closing;
}

const context = (): CommandContext => ({ commandId: uuidv7(), correlationId: uuidv7() });

/**
 * W6: `DepositMoney` through the app's CommandBus (load the Account, decide, append with
 * the expected version), each caller to random accounts of its own, opened untimed.
 */
export const commandPath: Contender = {
  name: COMMAND_PATH,
  async open(pool) {
    callers++;
    const commands = (await appOn(pool)).get(CommandBus);
    const own: string[] = [];
    for (let n = 0; n < ACCOUNTS_PER_CALLER; n++) {
      const opened = await commands.execute(new OpenAccount(`Caller account ${n}`, 'EUR', 0, context()));
      own.push(opened.id);
    }
    return {
      async append() {
        const id = own[Math.floor(Math.random() * own.length)];
        await commands.execute(new DepositMoney(id, 100 * (1 + Math.floor(Math.random() * 500)), context()));
      },
      // After a cell's last caller, so that the context's pooled connections do not linger
      // into the next cells (and their wait samples); a failed close surfaces at closeCommandPath.
      close: () => {
        if (--callers === 0) void closeCommandPath().catch(() => undefined);
      },
    };
  },
};

/** W6's cells in the append rotation, one per caller count: interleaved with W1's chronicle cells. */
export const commandPathRotation = CALLERS.map((writers) => ({
  kind: 'command' as const,
  contender: commandPath,
  writers,
  batch: 1,
}));

/** Commands/s against W1's chronicle appends at the same concurrency, with the target. */
export function commandPathSection(cells: CellRate[]): string[] {
  const rate = (kind: string, contender: string, writers: number) =>
    cells.find((c) => c.kind === kind && c.contender === contender && c.writers === writers)?.eventsPerSecond;
  const rows = CALLERS.map((writers) => {
    const commands = rate('command', COMMAND_PATH, writers) ?? NaN;
    const appends = rate('append', chronicle.name, writers) ?? NaN;
    const ratio = commands / appends;
    return `| ${writers} | ${number(commands)} | ${number(appends)} | ${ratio.toFixed(2)} (${verdict(ratio >= TARGET)}) |`;
  });
  return [
    '## The full command path (W6)',
    '',
    `| callers | commands/s | W1 chronicle appends, events/s | ratio (target >= ${TARGET}) |`,
    '| ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    '- command path: `CommandBus.execute(new DepositMoney(…))` in a Nest context of `AppModule` ' +
      '(`NestFactory.createApplicationContext`) on the same database as W1, each caller in a loop to a random one of ' +
      `its own ${ACCOUNTS_PER_CALLER} accounts (opened untimed): \`AggregateRepository.update\` loads the Account ` +
      '(its latest snapshot, every 100 events, and the events after it), `deposit` decides, the events are appended ' +
      'with the expected version; one event per command',
    `- the app's settings but a pool of ${Math.max(...CALLERS)} connections, followers off and logs at warn; ` +
      'cells interleaved with the append cells above, same length and repetitions',
    '',
  ];
}
