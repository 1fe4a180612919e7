import { randomBytes } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { AccountsApi, expectProblem } from '../support/accounts-api.js';
import { until } from '../support/until.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const k1 = `k1:${randomBytes(32).toString('base64')}`;
const k2 = `k2:${randomBytes(32).toString('base64')}`;

/** The app as configured with EVENT_ENCRYPTION_KEYS, then restarted with a rotated and with a wrong key list. */
let app: TestApp;
let db: pg.Client;
beforeAll(async () => {
  app = await createTestApp({ env: { EVENT_ENCRYPTION_KEYS: k1, SNAPSHOT_EVERY_ACCOUNT: '2' } });
  db = new pg.Client({ connectionString: app.database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await app?.close();
});

describe('EVENT_ENCRYPTION_KEYS', () => {
  let id: string;
  let api: AccountsApi;
  let depositedAt: number;

  beforeAll(async () => {
    api = new AccountsApi(app.http);
    id = await api.open({ owner: 'Mary Somerville' });
    depositedAt = (await api.deposited(id, 700)).body.position;
    await api.deposited(id, 50);
  });

  it('stores every event and snapshot of the app sealed with the newest key, and serves them decrypted', async () => {
    const { rows } = await db.query(`SELECT DISTINCT data->>'$encoded' AS encoding, data->>'key' AS key FROM events`);
    expect(rows).toEqual([{ encoding: 'aes-256-gcm', key: 'k1' }]);
    // The snapshot is written after the command answered.
    const snapshotKeys = async () =>
      (await db.query(`SELECT state->>'key' AS key FROM snapshots WHERE stream_id = $1`, [id])).rows;
    expect(await until(snapshotKeys, (rows) => rows.length > 0, 'the snapshot')).toEqual([{ key: 'k1' }]);
    const { body } = await request(app.http).get(`/accounts/${id}`).expect(200);
    expect(body).toMatchObject({ owner: 'Mary Somerville', balance: 750 });
    const log = await api.logThrough(depositedAt);
    expect(log.map((e) => e.data)).toContainEqual({ amount: 700 });
  });

  it('reads them after a rotation (a newer key listed after the old one), and writes with the newer key', async () => {
    const rotated = await createTestApp({ database: app.database, env: { EVENT_ENCRYPTION_KEYS: `${k1},${k2}` } });
    try {
      await new AccountsApi(rotated.http).deposited(id, 1);
      const { body } = await request(rotated.http).get(`/accounts/${id}`).expect(200);
      expect(body).toMatchObject({ owner: 'Mary Somerville', balance: 751 });
      const { rows } = await db.query(`SELECT data->>'key' AS key FROM events WHERE stream_id = $1 ORDER BY version`, [
        id,
      ]);
      expect(rows.map((r) => r.key)).toEqual(['k1', 'k1', 'k1', 'k2']);
    } finally {
      await rotated.close();
    }
  });

  it('answers 500 unreadable-event naming the event when the key that sealed it is missing', async () => {
    const wrong = await createTestApp({
      database: app.database,
      env: { EVENT_ENCRYPTION_KEYS: k2, SNAPSHOT_EVERY_ACCOUNT: '0' },
    });
    try {
      const response = await request(wrong.http).get(`/accounts/${id}`);
      expectProblem(response, 500, { type: 'urn:chronicle:problem:unreadable-event' });
      expect(response.body.detail).toMatch(
        /^Cannot read the event at position \d+ \(type AccountOpened, schema version 2\): .*key "k1", which is not configured/,
      );
    } finally {
      await wrong.close();
    }
  });
});
