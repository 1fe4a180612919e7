/**
 * Pool exhaustion and slow statements (docs/OPERATIONS.md, "Faults we test"). The app runs
 * as a child process with a pool of two connections; a session from outside holds the
 * event store's critical-section lock, so appends block inside PostgreSQL holding their
 * pooled connection. Requests that then find no free connection must fail fast with 503
 * (DATABASE_POOL_WAIT_MS), the blocked statements must be cancelled by the statement
 * timeout and answer 503 too, nothing half-stored, and the app must serve again once the
 * lock is gone. GET /health, the liveness probe, answers 200 throughout.
 */
import pg from 'pg';
import { buildApp, killAllApps, startApp, withAppOutput, type AppProcess } from '../support/app-process.js';
import { call, expectRetryLater, expectStatus, type AccountBody } from '../support/app-client.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { until } from '../support/until.js';

// The global advisory lock chronicle_append takes its transaction id and positions under (migration 1795680000009).
const CRITICAL_SECTION_LOCK = '7262873648392817';
const POOL_WAIT_MS = 1_000;
const STATEMENT_TIMEOUT_MS = 4_000;
/** Far above what a refusal takes, far below "hangs". */
const ANSWER_BOUND_MS = 3 * POOL_WAIT_MS;

let db: TestDatabase | undefined;
let app: AppProcess | undefined;
let locker: pg.Client | undefined;

beforeAll(async () => {
  await buildApp();
}, 120_000);

afterAll(async () => {
  await locker?.end().catch(() => undefined);
  await killAllApps();
  await db?.drop();
});

/** How many of the app's sessions wait on an advisory lock now. */
async function waitingAppends(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'chronicle'
        AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
  );
  return rows[0].n;
}

describe('pool exhaustion and slow statements', () => {
  it('with every pooled connection blocked, requests fail fast with 503 and Retry-After; blocked appends are cut by the statement timeout; the app recovers', async () => {
    db = await createTestDatabase();
    // Followers off: they share the pool, and this test needs to know who holds its two connections.
    app = await startApp({
      name: 'app',
      databaseUrl: db.url,
      env: {
        DATABASE_POOL_SIZE: '2',
        DATABASE_POOL_WAIT_MS: String(POOL_WAIT_MS),
        DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
        FOLLOWERS: 'off',
      },
    });
    const running = app;
    await withAppOutput(
      () => [running],
      async () => {
        const [idle, ...ids] = await Promise.all(
          ['Pool idle', 'Pool A', 'Pool B'].map(
            async (owner) => (await expectStatus<{ id: string }>(running, 'POST', '/accounts', 201, { owner })).body.id,
          ),
        );

        locker = new pg.Client({ connectionString: db!.url });
        await locker.connect();
        await locker.query('SELECT pg_advisory_lock($1)', [CRITICAL_SECTION_LOCK]);
        const held = locker;

        // Two deposits block inside PostgreSQL, each holding one of the two connections.
        const blocked = ids.map((id, i) =>
          call(
            running,
            'POST',
            `/accounts/${id}/deposits`,
            { amount: 100 },
            { headers: { 'Idempotency-Key': `blocked-${i}` } },
          ),
        );
        await until(
          () => waitingAppends(held),
          (n) => n === 2,
          'both appends to wait on the lock',
        );

        // Every other request (on another account: commands on one account queue in the app
        // before they need a connection) waits for a connection, then gives up: fast, never hanging.
        const started = Date.now();
        const queued = await Promise.all([
          call(running, 'GET', `/accounts/${ids[0]}`),
          call(
            running,
            'POST',
            `/accounts/${idle}/deposits`,
            { amount: 7 },
            { headers: { 'Idempotency-Key': 'queued' } },
          ),
          call(running, 'POST', '/accounts', { owner: 'Pool new' }),
          call(running, 'GET', '/health'),
        ]);
        const waited = Date.now() - started;
        const health = queued.pop()!;
        for (const reply of queued) expectRetryLater(reply, 'database-busy');
        // The liveness probe needs no connection: the process is fine.
        expect(health.status).toBe(200);
        expect(waited).toBeGreaterThanOrEqual(POOL_WAIT_MS - 50);
        expect(waited).toBeLessThan(ANSWER_BOUND_MS);

        // The statement timeout cancels the blocked appends (57014): a 503 to retry, not a 500.
        const [first, second] = await Promise.all(blocked);
        expectRetryLater(first, 'database-busy');
        expectRetryLater(second, 'database-busy');

        // Still locked: the next append blocks again, but its connection came from a pool
        // that the cancelled statements returned in working order (their critical-section
        // lock released, so only the outside session holds it).
        const { rows } = await held.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid IN
             (SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'chronicle')`,
        );
        expect(rows[0].n).toBe(0);

        await held.query('SELECT pg_advisory_unlock($1)', [CRITICAL_SECTION_LOCK]);

        // Nothing of the refused commands was stored; their retries now go through, once.
        for (const [i, id] of ids.entries()) {
          const account = await expectStatus<AccountBody>(running, 'GET', `/accounts/${id}`, 200);
          expect(account.body).toMatchObject({ balance: 0, version: 1 });
          const retried = await expectStatus<{ balance: number; version: number }>(
            running,
            'POST',
            `/accounts/${id}/deposits`,
            200,
            { amount: 100 },
            { headers: { 'Idempotency-Key': `blocked-${i}` } },
          );
          expect(retried.body).toMatchObject({ balance: 100, version: 2 });
        }
        const events = await held.query<{ key: string; n: number }>(
          `SELECT metadata->>'idempotencyKey' AS key, count(*)::int AS n FROM events
            WHERE metadata ? 'idempotencyKey' GROUP BY 1 ORDER BY 1`,
        );
        expect(events.rows).toEqual([
          { key: 'blocked-0', n: 1 },
          { key: 'blocked-1', n: 1 },
        ]);
        // One record per key, each with its event (stored under the key within its scope, docs/API.md).
        const keys = await held.query<{ key: string }>(
          `SELECT e.metadata->>'idempotencyKey' AS key FROM idempotency_keys k
             JOIN events e ON e.stream_id = k.stream_id AND e.position = k.position ORDER BY 1`,
        );
        expect(keys.rows.map((r) => r.key)).toEqual(['blocked-0', 'blocked-1']);
        await expectStatus(running, 'GET', '/health', 200);
      },
    );
  }, 90_000);
});
