import pg from 'pg';
import request from 'supertest';
import { AccountsApi } from '../support/accounts-api.js';
import { StreamingReplica } from '../support/streaming-replica.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

let pair: StreamingReplica;
let app: TestApp;
let api: AccountsApi;
let standby: pg.Client;

beforeAll(async () => {
  pair = await StreamingReplica.start();
  app = await createTestApp({
    // The pair's own primary: the app migrates it at start, and the standby replays that.
    database: { url: pair.primaryUrl, drop: async () => undefined },
    env: {
      DATABASE_REPLICA_URLS: pair.standbyUrl,
      REPLICA_CHECK_MS: '50',
      REPLICA_MIN_POSITION_WAIT_MS: '300',
      // A byte of lag takes it out: a paused replay shows in the rotation at the next write.
      REPLICA_MAX_LAG_BYTES: '0',
      FOLLOWER_POLL_MS: '20',
    },
  });
  api = new AccountsApi(app.http);
  standby = new pg.Client({ connectionString: pair.standbyUrl });
  await standby.connect();
});
afterAll(async () => {
  await standby?.end();
  await app?.close();
  await pair?.stop();
});

const replicaStatus = async () => {
  const response = await request(app.http).get('/health/ready');
  return response.body.details?.replicas?.replicas?.[0] as
    { name: string; inRotation: boolean; lagBytes?: number } | undefined;
};

const inRotation = () => until(replicaStatus, (status) => status?.inRotation === true, 'the replica in the rotation');

describe('reads on a streaming replica (DATABASE_REPLICA_URLS)', () => {
  it('answers the read routes from the replica once it has replayed ?minPosition=, and says so', async () => {
    await inRotation();
    // The readiness answer is public: it names the replica by number, not by its address.
    expect(await replicaStatus()).toMatchObject({ name: 'replica 1' });
    const opened = await api.post('/accounts', { owner: 'Replica Reader' }).expect(201);
    const deposit = await api.deposited(opened.body.id, 25);
    const minPosition = deposit.body.position;

    const account = await api.get(opened.body.id, { minPosition }).expect(200);
    expect(account.headers['x-read-source']).toBe('replica');
    expect(account.body).toMatchObject({ id: opened.body.id, balance: 25, version: 2 });

    const past = await api.get(opened.body.id, { minPosition, version: 1 }).expect(200);
    expect({ source: past.headers['x-read-source'], balance: past.body.balance }).toEqual({
      source: 'replica',
      balance: 0,
    });

    const events = await request(app.http).get(`/accounts/${opened.body.id}/events`).query({ minPosition }).expect(200);
    expect(events.headers['x-read-source']).toBe('replica');
    expect(events.body.items.map((e: { version: number }) => e.version)).toEqual([1, 2]);

    // The views: the replica answers once its copy of the view (checkpoint and rows) has the position.
    const list = await request(app.http).get('/accounts').query({ owner: 'Replica Reader', minPosition }).expect(200);
    expect(list.headers['x-read-source']).toBe('replica');
    expect(Number(list.headers['x-projection-position'])).toBeGreaterThanOrEqual(minPosition);
    expect(list.body.items).toEqual([expect.objectContaining({ id: opened.body.id, balance: 25 })]);

    const statement = await request(app.http)
      .get(`/accounts/${opened.body.id}/statement`)
      .query({ minPosition })
      .expect(200);
    expect(statement.headers['x-read-source']).toBe('replica');
    expect(statement.body.items).toEqual([expect.objectContaining({ amount: 25, balanceAfter: 25 })]);

    const explored = await request(app.http)
      .get(`/explorer/api/streams/${opened.body.id}/state`)
      .query({ minPosition })
      .expect(200);
    expect({ source: explored.headers['x-read-source'], version: explored.body.version }).toEqual({
      source: 'replica',
      version: 2,
    });

    // Only the read pool reaches the replica: commands, followers and leases connect to the primary alone.
    const { rows } = await standby.query<{ name: string }>(
      `SELECT DISTINCT application_name AS name FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    expect(rows.map((row) => row.name)).toEqual(['chronicle-replica']);
  });

  it('reads the primary when the replica has not replayed the position, and takes a lagging replica out until it catches up', async () => {
    await inRotation();
    const opened = await api.post('/accounts', { owner: 'Paused Replay' }).expect(201);
    await standby.query('SELECT pg_wal_replay_pause()');
    try {
      const deposit = await api.deposited(opened.body.id, 40);

      // Commands, appends and followers never touch the replica: they go on while it replays nothing.
      const account = await api.get(opened.body.id, { minPosition: deposit.body.position }).expect(200);
      expect({ source: account.headers['x-read-source'], balance: account.body.balance }).toEqual({
        source: 'primary',
        balance: 40,
      });

      const status = await until(
        replicaStatus,
        (s) => s?.inRotation === false,
        'the lagging replica out of the rotation',
      );
      expect(status!.lagBytes).toBeGreaterThan(0);
      const list = await request(app.http).get('/accounts').query({ owner: 'Paused Replay' }).expect(200);
      expect(list.headers['x-read-source']).toBe('primary');
    } finally {
      await standby.query('SELECT pg_wal_replay_resume()');
    }
    await inRotation();
    const list = await request(app.http).get('/accounts').query({ owner: 'Paused Replay' }).expect(200);
    expect(list.headers['x-read-source']).toBe('replica');
  });

  it('lets a read without ?minPosition= show the lag: the view position the replica has', async () => {
    // A second instance that keeps a lagging replica in the rotation (16 MB of WAL by default).
    const lenient = await createTestApp({
      database: app.database,
      env: { DATABASE_REPLICA_URLS: pair.standbyUrl, REPLICA_CHECK_MS: '50', FOLLOWERS: 'off' },
    });
    try {
      await until(
        () => request(lenient.http).get('/accounts').query({ owner: 'Unseen Yet' }),
        (response) => response.headers['x-read-source'] === 'replica',
        'reads on the replica',
      );
      await standby.query('SELECT pg_wal_replay_pause()');
      try {
        const opened = await api.post('/accounts', { owner: 'Unseen Yet' }).expect(201);
        await until(
          () => request(app.http).get('/accounts').query({ owner: 'Unseen Yet', minPosition: opened.body.position }),
          (response) => response.body.items?.length === 1,
          'the view on the primary to have the account',
        );
        const list = await request(lenient.http).get('/accounts').query({ owner: 'Unseen Yet' }).expect(200);
        expect(list.headers['x-read-source']).toBe('replica');
        expect(Number(list.headers['x-projection-position'])).toBeLessThan(opened.body.position);
        expect(list.body.items).toEqual([]);
      } finally {
        await standby.query('SELECT pg_wal_replay_resume()');
      }
    } finally {
      await lenient.close();
    }
  });
});
