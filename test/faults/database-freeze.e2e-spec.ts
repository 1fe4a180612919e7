/**
 * PostgreSQL frozen (docs/OPERATIONS.md, "Faults we test"): the postmaster and every
 * process it forked get SIGSTOP, so sockets stay open and nothing answers, not even a
 * statement_timeout. Requests must still get an answer within the documented bound (a 503
 * to retry), the liveness probe at once, and the app must serve again once the server is
 * thawed, with no restart.
 */
import { buildApp, killAllApps, startApp, withAppOutput, type AppProcess } from '../support/app-process.js';
import {
  call,
  expectRetryLater,
  expectStatus,
  projections,
  readLog,
  type AccountBody,
  type Reply,
} from '../support/app-client.js';
import { ThrowawayPostgres } from '../support/throwaway-postgres.js';
import { until } from '../support/until.js';

// The query timeout shorter, as by default: it also bounds opening a connection.
const POOL_WAIT_MS = 3_000;
const QUERY_TIMEOUT_MS = 2_000;
/**
 * The documented bound (DATABASE_POOL_WAIT_MS + DATABASE_QUERY_TIMEOUT_MS), and 3 s for a
 * loaded machine: still far below GIVE_UP_MS, where a request that hangs is caught.
 */
const ANSWER_BOUND_MS = POOL_WAIT_MS + QUERY_TIMEOUT_MS + 3_000;
/** GET /health is a liveness probe: orchestrators give it about a second. */
const LIVENESS_BOUND_MS = 1_000;
/** How long the test waits for an answer while frozen: far past the bound, so a hang shows as one. */
const GIVE_UP_MS = 15_000;

let postgres: ThrowawayPostgres | undefined;
let app: AppProcess | undefined;

beforeAll(async () => {
  await buildApp();
}, 120_000);

afterAll(async () => {
  await killAllApps();
  if (postgres?.postmasterPid()) postgres.signalCluster('SIGCONT');
  await postgres?.remove();
});

interface Timed {
  what: string;
  ms: number;
  reply: Reply<unknown>;
}

async function timed(
  what: string,
  running: AppProcess,
  method: 'GET' | 'POST',
  path: string,
  body?: object,
  headers?: Record<string, string>,
): Promise<Timed> {
  const started = Date.now();
  try {
    const reply = await call(running, method, path, body, { headers, timeoutMs: GIVE_UP_MS });
    return { what, ms: Date.now() - started, reply };
  } catch (error) {
    throw new Error(`${what}: no answer within ${GIVE_UP_MS} ms (${(error as Error).message})`, { cause: error });
  }
}

describe('the database freezes', () => {
  it('answers every request within the bound (503 with Retry-After; /health 200), and serves again after the thaw', async () => {
    postgres = await ThrowawayPostgres.start();
    const server = postgres;
    app = await startApp({
      name: 'app',
      databaseUrl: server.url,
      env: {
        DATABASE_POOL_SIZE: '4',
        DATABASE_POOL_WAIT_MS: String(POOL_WAIT_MS),
        DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
        // Followers retry a lost database with a doubling pause; cap it so they are back soon after the thaw.
        FOLLOWER_MAX_BACKOFF_MS: '1000',
      },
    });
    const running = app;
    await withAppOutput(
      () => [running],
      async () => {
        const ids = await Promise.all(
          [0, 1, 2, 3].map(
            async (i) =>
              (await expectStatus<{ id: string }>(running, 'POST', '/accounts', 201, { owner: `Frozen ${i}` })).body.id,
          ),
        );
        const deposit = (id: string, key: string) =>
          timed(key, running, 'POST', `/accounts/${id}/deposits`, { amount: 100 }, { 'Idempotency-Key': key });
        // More requests that need the database than the pool has connections: some wait for
        // one, some have their statement sent to the frozen server.
        const wave = (n: number) => [
          ...ids.map((id) => timed(`read ${n} ${id}`, running, 'GET', `/accounts/${id}`)),
          ...ids.map((id, i) => deposit(id, `frozen-${n}-${i}`)),
          timed(`open ${n}`, running, 'POST', '/accounts', { owner: `Opened while frozen ${n}` }),
          timed(`list ${n}`, running, 'GET', '/accounts'),
          timed(`log ${n}`, running, 'GET', '/notifications'),
        ];

        const frozen = server.signalCluster('SIGSTOP');
        expect(frozen.length).toBeGreaterThan(1);
        const first = wave(1);
        const health = await timed('health', running, 'GET', '/health');
        const ready = timed('ready', running, 'GET', '/health/ready');
        const answered = await Promise.all([...first, ready]);
        // A second wave finds the pool's connections closed: its new connections to the
        // frozen server time out (DATABASE_POOL_WAIT_MS).
        answered.push(...(await Promise.all(wave(2))));
        server.signalCluster('SIGCONT');

        expect({ status: health.reply.status, body: health.reply.body }).toEqual({
          status: 200,
          body: { status: 'ok' },
        });
        expect(health.ms).toBeLessThan(LIVENESS_BOUND_MS);
        for (const { what, ms, reply } of answered) {
          expect({ what, answeredInBound: ms < ANSWER_BOUND_MS }).toEqual({ what, answeredInBound: true });
          expectRetryLater(reply);
        }
        const readiness = answered.find((a) => a.what === 'ready')!.reply;
        expect(readiness.body).toMatchObject({ type: 'urn:chronicle:problem:not-ready' });

        // Served again without a restart. Every refused deposit, sent again with its key, is
        // stored once: a statement the frozen server had received may have run at the thaw,
        // and its key then returns that answer.
        expect(running.alive).toBe(true);
        const keys = answered.filter((a) => a.what.startsWith('frozen-')).map((a) => a.what);
        expect(keys).toHaveLength(2 * ids.length);
        await until(
          () => deposit(ids[0], keys[0]),
          ({ reply }) => reply.status === 200,
          'a deposit to go through after the thaw',
        );
        for (const key of keys) {
          const id = ids[Number(key.split('-')[2])];
          await expectStatus(
            running,
            'POST',
            `/accounts/${id}/deposits`,
            200,
            { amount: 100 },
            {
              headers: { 'Idempotency-Key': key },
            },
          );
        }
        const log = await readLog(running);
        const deposits = log.filter((e) => e.type === 'MoneyDeposited');
        expect(deposits.map((e) => e.metadata.idempotencyKey).sort()).toEqual([...keys].sort());
        for (const id of ids) {
          const account = await expectStatus<AccountBody>(running, 'GET', `/accounts/${id}`, 200);
          expect(account.body.balance).toBe(100 * deposits.filter((e) => e.streamId === id).length);
        }
        const head = log.at(-1)!.position;
        const followers = await until(
          () => projections(running),
          (all) => all.every((f) => f.checkpoint >= head && f.lastError === null),
          `every follower to reach position ${head}`,
        );
        expect(followers.map((f) => f.status)).toEqual(followers.map(() => 'live'));
        await expectStatus(running, 'GET', '/health/ready', 200);
        console.info(
          `database freeze: ${JSON.stringify({
            slowestMs: Math.max(...answered.map((a) => a.ms)),
            healthMs: health.ms,
            answers: answered.length,
          })}`,
        );
      },
    );
  }, 120_000);
});
