import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { PostgresEventStore } from '#event-sourcing/postgres';
import { newEvent } from './event-store-contract.js';
import { ordinaryRole } from './ordinary-role.js';

/** The adversarial load of {@link neverSkipContract}. */
export interface AdversarialLoad {
  /** Events committed in all. */
  events: number;
  writers: number;
  /** Readers following the log from 0 while it is written. */
  readers: number;
  /** Jest's timeout for each run: the full load takes minutes on a small machine. */
  timeoutMs?: number;
}

// Of the appends: these many in a hundred hold their transaction open 0-200 ms before COMMIT,
// and as many roll back after taking their positions (issue 17).
const HELD_PERCENT = 5;
const ROLLED_BACK_PERCENT = 5;
const MAX_HOLD_MS = 200;
const PAGE = 100;

/** Where the contract runs: a migrated database with either log, and the admin pool on it. */
export interface LogUnderTest {
  pool: pg.Pool;
  drop(): Promise<void>;
}

/**
 * Readers of the log never skip an event, never read one twice and never out of order while
 * writers append concurrently, some of them holding their transaction open before COMMIT and
 * some rolling back after their positions were taken (issue 17, "never skip"). Run as the
 * role that made the database and as an ordinary one (no superuser, no pg_read_all_stats),
 * whose in-flight probes must see the appends of the other.
 */
export function neverSkipContract(open: () => Promise<LogUnderTest>, load: AdversarialLoad): void {
  let log: LogUnderTest;
  beforeAll(async () => {
    log = await open();
  });
  afterAll(() => log.drop());

  it.each([
    ['the role that made the database', false],
    ['a role that is no superuser and has no pg_read_all_stats', true],
  ])(
    'as %s: readers get every committed event once, in order',
    async (_, ordinary) => {
      const { connectionString } = log.pool.options as { connectionString?: string };
      if (!connectionString) throw new Error('the pool has no connection string to make a role for');
      const role = ordinary ? await ordinaryRole(log.pool, connectionString) : undefined;
      const pool = role ? new pg.Pool({ connectionString: role.url, max: 40 }) : log.pool;
      try {
        const [{ head }] = (await log.pool.query('SELECT coalesce(max(position), 0)::bigint AS head FROM events')).rows;
        const start = Number(head);
        const outcome = await followWhileWriting(pool, start, load, connectionString);
        const committed = await committedAfter(connectionString, start);
        expect(committed.length).toBeGreaterThanOrEqual(load.events);
        expect(outcome.rolledBack).toBeGreaterThan(0);
        expect(outcome.held).toBeGreaterThan(0);
        for (const read of outcome.reads) {
          const seen = new Set(read);
          const skipped = committed.filter((position) => !seen.has(position)).length;
          const duplicated = read.length - seen.size;
          const outOfOrder = read.filter((position, i) => i > 0 && position <= read[i - 1]).length;
          expect({ skipped, duplicated, outOfOrder, read: read.length }).toEqual({
            skipped: 0,
            duplicated: 0,
            outOfOrder: 0,
            read: committed.length,
          });
        }
      } finally {
        if (role) {
          await pool.end();
          await role.drop();
        }
      }
    },
    load.timeoutMs,
  );
}

/** The committed positions after `start`, on a connection of their own: the pool's query timeout is for the app's statements, not for reading 50,000 rows on a loaded machine. */
async function committedAfter(url: string, start: number): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT position FROM events WHERE position > $1 ORDER BY position', [start]);
    return rows.map((row) => Number(row.position));
  } finally {
    await client.end();
  }
}

/**
 * Rethrows a writer's error with what PostgreSQL said in its detail and where the log stood:
 * an append refused by a partitioned log (no partition for its position) names the
 * position only there.
 */
function withLogState(url: string): (error: unknown) => Promise<never> {
  return async (error) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT (SELECT last_value FROM events_position_seq) AS sequence, (SELECT max(position) FROM events) AS head,
                (SELECT string_agg(pg_get_expr(c.relpartbound, c.oid), ', ' ORDER BY c.relname)
                   FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass) AS partitions`,
      );
      const detail = (error as { detail?: string }).detail;
      throw new Error(`${String(error)} (${detail ?? 'no detail'}); log: ${JSON.stringify(rows[0])}`, { cause: error });
    } finally {
      await client.end();
    }
  };
}

async function followWhileWriting(pool: pg.Pool, start: number, load: AdversarialLoad, url: string) {
  const store = new PostgresEventStore(pool);
  let committed = 0;
  let held = 0;
  let rolledBack = 0;
  let writing = true;

  /** One append in a transaction of its own on one connection: held before COMMIT, or rolled back. */
  async function appendInTransaction(end: 'COMMIT' | 'ROLLBACK', holdMs: number): Promise<number> {
    const client = await pool.connect();
    let failed: Error | undefined;
    try {
      await client.query('BEGIN');
      const events = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => newEvent());
      await client.query(`SELECT chronicle_append($1, 'Thing', NULL, $2, $3, $4, $5, $6, NULL, NULL, NULL)`, [
        `held-${randomUUID()}`,
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map(() => 1),
        events.map((e) => JSON.stringify(e.data)),
        events.map((e) => JSON.stringify(e.metadata)),
      ]);
      if (holdMs > 0) await sleep(holdMs);
      await client.query(end);
      return end === 'COMMIT' ? events.length : 0;
    } catch (error) {
      // Not back into the pool inside a failed transaction.
      failed = error as Error;
      throw error;
    } finally {
      client.release(failed);
    }
  }

  const writer = async () => {
    while (committed < load.events) {
      const dice = Math.random() * 100;
      if (dice < HELD_PERCENT) {
        held++;
        // Not `committed += await …`: that reads the count before the wait and drops what the
        // other writers added meanwhile, so the load ran to 10 times its size.
        const stored = await appendInTransaction('COMMIT', Math.random() * MAX_HOLD_MS);
        committed += stored;
      } else if (dice < HELD_PERCENT + ROLLED_BACK_PERCENT) {
        rolledBack++;
        await appendInTransaction('ROLLBACK', 0);
      } else {
        // Through the store: alone or grouped with the other writers' appends.
        const events = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => newEvent());
        await store.append({ streamId: `w-${randomUUID()}`, streamType: 'Thing', expectedVersion: 0, events });
        committed += events.length;
      }
    }
  };

  const reader = async () => {
    const read: number[] = [];
    let after = start;
    for (;;) {
      // Whether writing had ended before this read: then a short page is the whole log.
      const ended = !writing;
      const page = await store.readLog(after, PAGE);
      for (const event of page) read.push(event.position);
      if (page.length > 0) after = page[page.length - 1].position;
      if (ended && page.length < PAGE) return read;
      if (page.length === 0) await sleep(1);
    }
  };

  const readers = Array.from({ length: load.readers }, reader);
  try {
    await Promise.all(Array.from({ length: load.writers }, writer)).catch(withLogState(url));
  } finally {
    // The readers end too when a writer failed, before the pool does.
    writing = false;
    await Promise.allSettled(readers);
  }
  return { reads: await Promise.all(readers), held, rolledBack };
}
