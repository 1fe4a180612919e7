/**
 * SIGTERM (docs/OPERATIONS.md, "Recover"): the app stops taking connections at once,
 * finishes the requests in flight, lets followers finish their batch, closes the pool and
 * stops its embedded PostgreSQL, and exits 0. The app runs as a child process with an
 * embedded server of its own; its appends are held in flight by a session from outside
 * that holds the event store's critical-section lock.
 */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { buildApp, killAllApps, startApp, withAppOutput, type AppProcess } from '../support/app-process.js';
import { call, expectStatus, inPool, projections } from '../support/app-client.js';
import { GROUPS_IN_FLIGHT } from '../../src/event-sourcing/store/postgres-appends.js';
import { ThrowawayPostgres } from '../support/throwaway-postgres.js';
import { until } from '../support/until.js';

// The global advisory lock chronicle_append takes its transaction id and positions under (migration 1795680000009).
const CRITICAL_SECTION_LOCK = '7262873648392817';
const IN_FLIGHT = 4;
/** Generous: a shutdown that takes this long is stuck. */
const EXIT_BOUND_MS = 20_000;

let postgres: ThrowawayPostgres | undefined;
let app: AppProcess | undefined;

beforeAll(async () => {
  await buildApp();
}, 120_000);

afterAll(async () => {
  await killAllApps();
  await postgres?.remove();
});

/** Whether a new TCP connection to `port` is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('graceful shutdown on SIGTERM', () => {
  it('finishes requests in flight, refuses new connections, leaves views whole, stops the embedded PostgreSQL and exits 0', async () => {
    postgres = await ThrowawayPostgres.reserve();
    const embedded = postgres;
    app = await startApp({
      name: 'app',
      env: { EMBEDDED_POSTGRES_DIR: embedded.dataDir, EMBEDDED_POSTGRES_PORT: String(embedded.port) },
    });
    const running = app;
    await withAppOutput(
      () => [running],
      async () => {
        const ids = await inPool(Array.from({ length: IN_FLIGHT }), IN_FLIGHT, async (_, i) => {
          const { body } = await expectStatus<{ id: string }>(running, 'POST', '/accounts', 201, {
            owner: `Stop ${i}`,
          });
          await expectStatus(running, 'POST', `/accounts/${body.id}/deposits`, 200, { amount: 1_000 + i });
          return body.id;
        });

        await until(
          () => projections(running),
          (followers) => followers.every((f) => f.lagPositions === 0),
          'the followers to catch up before the shutdown',
        );

        const locker = new pg.Client({ connectionString: embedded.url });
        await locker.connect();
        await locker.query('SELECT pg_advisory_lock($1)', [CRITICAL_SECTION_LOCK]);
        const inFlight = ids.map((id) => call(running, 'POST', `/accounts/${id}/deposits`, { amount: 10 }));
        await until(
          async () =>
            (
              await locker.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM pg_stat_activity
                  WHERE application_name = 'chronicle' AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
              )
            ).rows[0].n,
          // The others wait in the app for one of those groups to come back (docs/PERFORMANCE.md, "Appending").
          (n) => n === Math.min(IN_FLIGHT, GROUPS_IN_FLIGHT),
          'as many deposits as go out at once to wait in the critical section',
        );

        const signalled = Date.now();
        running.child.kill('SIGTERM');
        await until(async () => !(await accepts(running.port)), Boolean, 'the port to refuse connections');
        expect(running.alive).toBe(true);
        await locker.query('SELECT pg_advisory_unlock($1)', [CRITICAL_SECTION_LOCK]);
        await locker.end();

        const answers = await Promise.all(inFlight);
        expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
        const exit = await Promise.race([running.exited, sleep(EXIT_BOUND_MS, 'still running')]);
        expect({ exit, withinBound: Date.now() - signalled < EXIT_BOUND_MS }).toEqual({
          exit: { code: 0, signal: null },
          withinBound: true,
        });
        expect(embedded.postmasterPid()).toBeUndefined();

        // The views hold whole batches: each equals the log up to its own checkpoint.
        await embedded.start();
        const db = new pg.Client({ connectionString: embedded.url });
        await db.connect();
        try {
          const { rows: followers } = await db.query<{ name: string; position: string }>(
            'SELECT name, position FROM followers ORDER BY name',
          );
          // A clone's own followers may join the example's.
          expect(followers.map((f) => f.name)).toEqual(
            expect.arrayContaining(['account-statements', 'account-summaries', 'transfer-process']),
          );
          const at = Number(followers.find((f) => f.name === 'account-summaries')!.position);
          const { rows } = await db.query<{ id: string; view: string | null; log: string }>(
            `SELECT e.stream_id AS id, s.balance::text AS view,
                    coalesce(sum((e.data->>'amount')::bigint) FILTER (WHERE e.type = 'MoneyDeposited'), 0)::text AS log
               FROM events e LEFT JOIN account_summaries s ON s.id::text = e.stream_id
              WHERE e.position <= $1 GROUP BY e.stream_id, s.balance`,
            [at],
          );
          expect(rows.length).toBe(IN_FLIGHT);
          for (const row of rows) expect({ id: row.id, balance: row.view }).toEqual({ id: row.id, balance: row.log });
        } finally {
          await db.end();
          await embedded.stop();
        }
      },
    );
  }, 90_000);
});
