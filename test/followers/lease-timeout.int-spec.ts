import pg from 'pg';
import { leaseConnectionConfig } from '../../src/event-sourcing/subscriptions/follower-leases.js';
import { ThrowawayPostgres } from '../support/throwaway-postgres.js';
import {
  appendNoted,
  followerDatabase,
  logPositions,
  seenPositions,
  seenView,
  startApp,
  waitForHead,
  waitUntil,
  type FollowerApp,
  type FollowerDatabase,
} from './followers-harness.js';

/**
 * Leases of an instance that stops answering (docs/SCALING.md, "Many instances"). A
 * process that exits closes its connection and PostgreSQL frees its leases at once
 * (instances.int-spec.ts, test/faults/many-instances.e2e-spec.ts); a host that dies or
 * drops off the network sends nothing, so both sides need a timeout. On a PostgreSQL
 * server of this test's own, whose backends it can suspend.
 */
const WATCHED = 'test-follower-lease-timeout';
const WatchedView = seenView(WATCHED);
const TIMEOUT_SECONDS = 6;

let postgres: ThrowawayPostgres;
let db: FollowerDatabase;
const apps: FollowerApp[] = [];
const clients: pg.Client[] = [];

beforeAll(async () => {
  postgres = await ThrowawayPostgres.start();
  db = await followerDatabase({ url: postgres.url, drop: async () => undefined });
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await Promise.all(clients.map((client) => client.end()));
  await db?.drop();
  await postgres?.remove();
});

/** The server's settings of a session opened with `config`, in their base units (seconds, ms). */
async function sessionSettings(config: pg.ClientConfig): Promise<Record<string, string>> {
  const client = new pg.Client(config);
  clients.push(client);
  await client.connect();
  const { rows } = await client.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings
      WHERE name IN ('tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count',
                     'tcp_user_timeout', 'statement_timeout', 'application_name')`,
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.setting]));
}

/** The pid of the server process of the session that holds follower leases. */
async function leaseHolderBackend(): Promise<number> {
  const { rows } = await db.pool.query<{ pid: number }>(
    `SELECT DISTINCT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'chronicle-followers'`,
  );
  expect(rows).toHaveLength(1);
  return rows[0].pid;
}

describe('the lease connection', () => {
  it.each([10, 3, 60])(
    'has the server end the session after %i s without an acknowledgement, keeping the pool options',
    async (timeoutSeconds) => {
      const base = { connectionString: postgres.url, options: '-c statement_timeout=4321' };
      const settings = await sessionSettings(leaseConnectionConfig(base, timeoutSeconds));
      const [idle, interval, count] = ['idle', 'interval', 'count'].map((s) => Number(settings[`tcp_keepalives_${s}`]));

      expect(settings).toMatchObject({
        application_name: 'chronicle-followers',
        statement_timeout: '4321',
        tcp_user_timeout: String(timeoutSeconds * 1000),
      });
      // Where the OS has no TCP_USER_TIMEOUT, the unanswered probes alone end it on time.
      expect(idle + interval * count).toBeGreaterThanOrEqual(timeoutSeconds);
      expect(idle + interval * count).toBeLessThanOrEqual(timeoutSeconds + interval);
      expect(idle).toBeLessThan(timeoutSeconds);
    },
  );

  it('leaves the server its own TCP settings with a timeout of 0', async () => {
    const base = { connectionString: postgres.url, options: '-c statement_timeout=4321' };
    expect(leaseConnectionConfig(base, 0)).toEqual({ ...base, application_name: 'chronicle-followers' });
    expect(await sessionSettings(leaseConnectionConfig(base, 0))).toMatchObject({ tcp_user_timeout: '0' });
  });
});

describe('a lease holder whose session stops answering', () => {
  it('gives its leases up before the server could free them; another instance runs the follower once the session is gone', async () => {
    const options = { leaseTimeoutSeconds: TIMEOUT_SECONDS };
    const a = await startApp(db.url, [WatchedView], { ...options, instance: 'a' });
    apps.push(a);
    await waitUntil(
      'a to run the follower',
      () => a.status(WATCHED),
      (status) => status.runningHere,
    );
    const b = await startApp(db.url, [WatchedView], { ...options, instance: 'b' });
    apps.push(b);
    await appendNoted(db.store, 0, 5);
    await waitForHead(db.pool, WATCHED);

    // The session stops answering, as over a cut network: the server keeps it, and its lock.
    const backend = await leaseHolderBackend();
    process.kill(backend, 'SIGSTOP');
    const stalledAt = Date.now();
    let gaveUpMs: number;
    try {
      await waitUntil(
        'a to give its lease up',
        () => a.status(WATCHED),
        (status) => !status.runningHere,
        TIMEOUT_SECONDS * 1000,
      );
      gaveUpMs = Date.now() - stalledAt;
      // Nobody takes it while the stalled session holds the lock: never two at a time.
      expect((await b.status(WATCHED)).runningHere).toBe(false);
      await appendNoted(db.store, 100, 5);
    } finally {
      process.kill(backend, 'SIGCONT');
    }
    // The backend finds its connection closed by a, ends, and frees the lock.
    await waitForHead(db.pool, WATCHED);

    expect(gaveUpMs).toBeLessThan(TIMEOUT_SECONDS * 1000);
    const running = [await a.status(WATCHED), await b.status(WATCHED)].filter((status) => status.runningHere);
    expect(running).toHaveLength(1);
    expect(await seenPositions(db.pool, WATCHED)).toEqual(await logPositions(db.pool));
  });
});
