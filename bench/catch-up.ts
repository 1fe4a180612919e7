import 'reflect-metadata';
import type pg from 'pg';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { ACCOUNT_SUMMARIES } from '../src/contexts/accounts/application/account-summaries/list-accounts.query.js';
import { AccountSummariesProjection } from '../src/contexts/accounts/infrastructure/account-summaries/account-summaries.projection.js';
import { AccountSummary } from '../src/contexts/accounts/infrastructure/account-summaries/account-summary.entity.js';
import { StatementLine } from '../src/contexts/accounts/infrastructure/account-statements/statement-line.entity.js';
import { MoneyDeposited } from '../src/contexts/accounts/domain/events/money-deposited.event.js';
import { MoneyWithdrawn } from '../src/contexts/accounts/domain/events/money-withdrawn.event.js';
import type { NewEvent, StoredEvent } from '#event-sourcing';
import { PostgresCheckpointStore, PostgresEventStore } from '#event-sourcing/postgres';
import {
  FOLLOWER,
  handlersOf,
  type FollowerHandlers,
  type FollowerMetadata,
} from '../src/event-sourcing/subscriptions/follower.decorator.js';
import { rebuildView } from '../src/event-sourcing/subscriptions/view-rebuild.js';
import type { FreshDatabase } from './database.js';
import { nextAccountEvent, toNewEvent } from './account-events.js';
import { sampleWaits } from './waits.js';
import { rawReader, readLog, timed, type Phases, type Run } from './workloads.js';

/** What the catch-up database's DataSource needs to know, as the app's does. */
export const CATCH_UP_ENTITIES = [AccountSummary, StatementLine];
export const CHRONICLE_REBUILD = 'chronicle rebuild';

const STREAM_TYPE = 'Account';
const SEED_WRITERS = 8;

/** The seeded log of Account streams, and what the account summaries must add up to. */
export interface AccountLog {
  events: number;
  accounts: number;
  eventsPerAccount: number;
  eventsPerAppend: number;
  /** Concurrent seeding writers. */
  writers: number;
  /** Sums of the MoneyDeposited and MoneyWithdrawn amounts, in cents. */
  deposited: number;
  withdrawn: number;
  seedSeconds: number;
}

export type CatchUpRun = Run & { waits: Record<string, number>; phases?: Phases };

interface Account {
  id: string;
  owner: string;
  version: number;
  balance: number;
  left: number;
}

/**
 * Fills a fresh log with Account streams as the accounts context writes them: an
 * AccountOpened, then deposits and withdrawals that never overdraw (overdraft limit 0).
 * Each of 8 writers appends `eventsPerAppend` events at a time to a random one of its own
 * accounts, through PostgresEventStore, so streams interleave in the log and every
 * append is a transaction of its own, with a real transaction id.
 */
export async function seedAccountLog(
  pool: pg.Pool,
  accounts: number,
  eventsPerAccount: number,
  eventsPerAppend: number,
): Promise<AccountLog> {
  const store = new PostgresEventStore(pool);
  const all: Account[] = Array.from({ length: accounts }, (_, n) => ({
    id: uuidv7(),
    owner: `Owner ${n + 1}`,
    version: 0,
    balance: 0,
    left: eventsPerAccount,
  }));
  let deposited = 0;
  let withdrawn = 0;
  const next = (account: Account): object => {
    const event = nextAccountEvent(account);
    if (event instanceof MoneyDeposited) deposited += event.amount;
    if (event instanceof MoneyWithdrawn) withdrawn += event.amount;
    return event;
  };
  const writer = async (w: number) => {
    const own = all.filter((_, n) => n % SEED_WRITERS === w);
    while (own.length > 0) {
      const pick = Math.floor(Math.random() * own.length);
      const account = own[pick];
      const correlationId = uuidv7();
      const events: NewEvent[] = [];
      for (let i = Math.min(eventsPerAppend, account.left); i > 0; i--) {
        events.push(toNewEvent(next(account), correlationId));
        account.version++;
        account.left--;
      }
      await store.append({
        streamId: account.id,
        streamType: STREAM_TYPE,
        expectedVersion: account.version - events.length,
        events,
      });
      if (account.left === 0) own.splice(pick, 1);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: SEED_WRITERS }, (_, w) => writer(w)));
  const seedSeconds = (performance.now() - start) / 1000;
  return {
    events: accounts * eventsPerAccount,
    accounts,
    eventsPerAccount,
    eventsPerAppend,
    writers: SEED_WRITERS,
    deposited,
    withdrawn,
    seedSeconds,
  };
}

class CatchUpCheckError extends Error {}

function expectEqual(what: string, actual: unknown, expected: unknown): void {
  if (String(actual) !== String(expected)) {
    throw new CatchUpCheckError(`catch-up check failed: ${what} is ${actual}, expected ${expected}`);
  }
}

/** The seeded log holds what the seeder meant to write; then vacuums and analyses it, as the main log. */
export async function checkAccountLog(control: pg.Client, log: AccountLog): Promise<void> {
  const { rows } = await control.query(
    `SELECT count(*)::integer AS events,
            count(*) FILTER (WHERE type = 'AccountOpened')::integer AS accounts,
            count(DISTINCT stream_id)::integer AS streams,
            coalesce(sum((data->>'amount')::bigint) FILTER (WHERE type = 'MoneyDeposited'), 0)::text AS deposited,
            coalesce(sum((data->>'amount')::bigint) FILTER (WHERE type = 'MoneyWithdrawn'), 0)::text AS withdrawn
       FROM events WHERE stream_type = $1`,
    [STREAM_TYPE],
  );
  const [row] = rows;
  expectEqual('the number of events in the seeded log', row.events, log.events);
  expectEqual('the number of AccountOpened events', row.accounts, log.accounts);
  expectEqual('the number of Account streams', row.streams, log.accounts);
  expectEqual('the sum of deposits in the log', row.deposited, log.deposited);
  expectEqual('the sum of withdrawals in the log', row.withdrawn, log.withdrawn);
  await control.query('VACUUM (ANALYZE) events');
}

/** account_summaries after a rebuild: one row per account, balances that add up, every account at its last version. */
export async function checkSummaries(control: pg.Client, log: AccountLog): Promise<void> {
  const { rows } = await control.query(
    `SELECT count(*)::integer AS accounts, coalesce(sum(balance), 0)::text AS balance,
            count(*) FILTER (WHERE version <> $1)::integer AS behind,
            count(*) FILTER (WHERE balance < 0)::integer AS overdrawn
       FROM account_summaries`,
    [log.eventsPerAccount],
  );
  const [row] = rows;
  expectEqual('the number of account_summaries rows', row.accounts, log.accounts);
  expectEqual('the sum of balances', row.balance, log.deposited - log.withdrawn);
  expectEqual(`the number of accounts not at version ${log.eventsPerAccount}`, row.behind, 0);
  expectEqual('the number of overdrawn accounts', row.overdrawn, 0);
  const leftover = await control.query(`SELECT 1 FROM pg_namespace WHERE nspname LIKE 'rebuild\\_%'`);
  expectEqual('the number of rebuild schemas left behind', leftover.rowCount, 0);
}

/** When something ran: [start, end] in performance.now() milliseconds. */
type Interval = [number, number];

/** Milliseconds covered by at least one of the intervals. */
function covered(intervals: Interval[]): number {
  let total = 0;
  let end = -Infinity;
  for (const [start, stop] of [...intervals].sort((a, b) => a[0] - b[0])) {
    total += Math.max(0, stop - Math.max(start, end));
    end = Math.max(end, stop);
  }
  return total;
}

async function timeInto<T>(intervals: Interval[], work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    intervals.push([start, performance.now()]);
  }
}

/** The store the app builds, on the DataSource's own pool, timing its log reads. */
class TimedStore extends PostgresEventStore {
  readonly reads: Interval[] = [];

  override readLog(after: number, limit: number): Promise<StoredEvent[]> {
    return timeInto(this.reads, () => super.readLog(after, limit));
  }
}

/** The follower's handlers, timed: per event type, or the batch handler as a whole. */
function timedHandlers({ byType, batch, batchTypes }: FollowerHandlers) {
  const calls = new Map<string, Interval[]>();
  const time =
    <A extends unknown[]>(name: string, handler: (...args: A) => Promise<void> | void) =>
    (...args: A) => {
      if (!calls.has(name)) calls.set(name, []);
      return timeInto(calls.get(name)!, async () => handler(...args));
    };
  const handlers: FollowerHandlers = {
    byType: new Map([...byType].map(([type, handler]) => [type, time(type, handler)])),
    ...(batch ? { batch: time('batch', batch), batchTypes } : {}),
  };
  return { handlers, calls };
}

// The pool's connections by what they do: 'idle in transaction' is the rebuild's
// transaction waiting for the benchmark process (its handlers, or a readLog on another connection).
const BY_STATE = `
  SELECT CASE WHEN state = 'active' THEN 'active ' || coalesce(wait_event_type || ':' || wait_event, 'CPU')
              ELSE state END AS what,
         count(*)::integer AS n
    FROM pg_stat_activity
   WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
     AND state <> 'idle'
   GROUP BY 1`;

const dataSourcePool = (dataSource: DataSource): pg.Pool =>
  (dataSource.driver as unknown as { master: pg.Pool }).master;

/**
 * `chronicle rebuild` of the account-summaries view, as `npm run projections:rebuild` runs it:
 * the projection's real handlers and @Follower metadata, the app's DataSource and store.
 * Then checks the view it switched to.
 */
export async function rebuildSummaries(db: FreshDatabase, log: AccountLog, batchSize: number): Promise<CatchUpRun> {
  const metadata = Reflect.getMetadata(FOLLOWER.KEY, AccountSummariesProjection) as FollowerMetadata | undefined;
  if (metadata?.name !== ACCOUNT_SUMMARIES) throw new Error('AccountSummariesProjection has no @Follower metadata');
  // The follower's row, as the app inserts it at start; the switch-over moves its checkpoint.
  await db.control.query('INSERT INTO followers (name) VALUES ($1) ON CONFLICT DO NOTHING', [metadata.name]);
  const store = new TimedStore(dataSourcePool(db.dataSource));
  const { handlers, calls } = timedHandlers(handlersOf(new AccountSummariesProjection()));
  const waits = sampleWaits(db.control, 100, BY_STATE);
  let run: Run;
  try {
    run = await timed(async () => {
      const result = await rebuildView(
        metadata,
        handlers,
        store,
        db.dataSource,
        new PostgresCheckpointStore(db.dataSource),
        batchSize,
      );
      expectEqual('the number of events the rebuild processed', result.events, log.events);
      return result.events;
    });
  } finally {
    await waits.stop();
  }
  await checkSummaries(db.control, log);
  const checkpoint = await db.control.query('SELECT position::text FROM followers WHERE name = $1', [metadata.name]);
  const head = await db.control.query('SELECT max(position)::text AS head FROM events');
  expectEqual("the follower's checkpoint after the switch-over", checkpoint.rows[0].position, head.rows[0].head);
  const handled = [...calls.values()].flat();
  const handlersSeconds = covered(handled) / 1000;
  // Each page is read while the one before is written: count only reading that nothing else overlaps.
  const busySeconds = covered([...handled, ...store.reads]) / 1000;
  return {
    ...run,
    waits: await waits.stop(),
    phases: {
      readLog: busySeconds - handlersSeconds,
      handlers: handlersSeconds,
      rest: run.seconds - busySeconds,
      handlersByType: Object.fromEntries([...calls].map(([type, intervals]) => [type, covered(intervals) / 1000])),
    },
  };
}

/** The ceiling: the same rows through pg in pages, nothing done with them. */
export async function selectAccountLog(db: FreshDatabase, log: AccountLog, page: number): Promise<CatchUpRun> {
  const pool = db.pool(1);
  try {
    await pool.query('SELECT 1'); // connect before the clock starts
    const waits = sampleWaits(db.control, 100, BY_STATE);
    try {
      const run = await readLog(pool, rawReader, log.events, page);
      return { ...run, waits: await waits.stop() };
    } finally {
      await waits.stop();
    }
  } finally {
    await pool.end();
  }
}

/** Median microseconds of a bare round trip (a prepared `SELECT 1`) on a pooled connection: what each handler call costs at least. */
export async function roundTrip(db: FreshDatabase, count = 2000): Promise<number> {
  const pool = db.pool(1);
  const client = await pool.connect();
  try {
    const ping = { name: 'bench_ping', text: 'SELECT 1' };
    await client.query(ping);
    const micros: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      await client.query(ping);
      micros.push((performance.now() - start) * 1000);
    }
    micros.sort((a, b) => a - b);
    return micros[micros.length >> 1];
  } finally {
    client.release();
    await pool.end();
  }
}
