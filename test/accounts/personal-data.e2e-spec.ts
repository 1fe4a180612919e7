import { randomUUID } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { AccountsApi, expectProblem, type EventBody } from '../support/accounts-api.js';
import { until } from '../support/until.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const OWNER = 'Ada Lovelace-Byron';

/** Snapshots every 3 events, so the owner's name is in snapshots too. */
let app: TestApp;
let api: AccountsApi;
let db: pg.Client;

beforeAll(async () => {
  app = await createTestApp({ env: { SNAPSHOT_EVERY_ACCOUNT: '3' } });
  api = new AccountsApi(app.http);
  db = new pg.Client({ connectionString: app.database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await app?.close();
});

/** How many rows of a table hold the text anywhere, in any column. */
const rowsHolding = async (table: string, text: string): Promise<number> =>
  Number((await db.query(`SELECT count(*) FROM ${table} t WHERE t::text LIKE $1`, [`%${text}%`])).rows[0].count);

const account = (id: string, query = '') => request(app.http).get(`/accounts/${id}${query}`).expect(200);
const summary = async (id: string, minPosition: number) => {
  const { body } = await request(app.http).get('/accounts').query({ minPosition, limit: 200 }).expect(200);
  return (body.items as { id: string; owner: string; balance: number }[]).find((item) => item.id === id)!;
};

describe('personal data of an account', () => {
  let id: string;
  let other: string;
  let beforeErasure: EventBody[];

  beforeAll(async () => {
    id = await api.open({ owner: OWNER, overdraftLimit: 100 });
    other = await api.open({ owner: 'Grace Hopper' });
    for (const amount of [500, 250, 125, 60]) await api.deposited(id, amount);
    await request(app.http).post(`/accounts/${id}/withdrawals`).send({ amount: 35 }).expect(200);
    beforeErasure = await api.events(id);
  });

  it('is stored encrypted: the owner appears in no event or snapshot row, yet reads back everywhere', async () => {
    expect((await account(id)).body.owner).toBe(OWNER);
    expect(beforeErasure[0].data).toMatchObject({ owner: OWNER });
    expect(await rowsHolding('events', OWNER)).toBe(0);
    // Snapshots at versions 3 and 6, written after the commands answered.
    const snapshots = async () => (await db.query('SELECT version FROM snapshots WHERE stream_id = $1', [id])).rows;
    expect(await until(snapshots, (rows) => rows.length === 2, 'two snapshots')).toHaveLength(2);
    expect(await rowsHolding('snapshots', OWNER)).toBe(0);
    const { rows } = await db.query(`SELECT data->'owner' AS owner FROM events WHERE stream_id = $1 AND version = 1`, [
      id,
    ]);
    expect(Object.keys(rows[0].owner)).toEqual(['$personal']);
  });

  it('is erased by DELETE /accounts/{id}/personal-data: events, snapshots and views read "[erased]", money and history stay', async () => {
    const erased = await request(app.http)
      .delete(`/accounts/${id}/personal-data`)
      .set('Content-Type', 'application/json')
      .expect(200);
    expect(erased.body).toMatchObject({ id, version: beforeErasure.length + 1 });
    expect(erased.headers.etag).toBe(`"${beforeErasure.length + 1}"`);

    const now = (await account(id)).body;
    expect(now).toMatchObject({ owner: '[erased]', balance: 900, overdraftLimit: 100, status: 'open' });
    // Time travel too: the name is gone from every version, the amounts are not.
    expect((await account(id, '?version=1')).body).toMatchObject({ owner: '[erased]', balance: 0 });
    expect((await account(id, '?version=4')).body).toMatchObject({ owner: '[erased]', balance: 875 });

    const after = await api.events(id);
    expect(after.map((e) => e.type)).toEqual([...beforeErasure.map((e) => e.type), 'AccountPersonalDataErased']);
    expect(after[0].data).toMatchObject({ owner: '[erased]', currency: 'EUR', overdraftLimit: 100 });
    expect(after.slice(1, -1)).toEqual(beforeErasure.slice(1));

    expect(await summary(id, erased.body.position)).toMatchObject({ owner: '[erased]', balance: 900 });
    expect(await rowsHolding('account_summaries', OWNER)).toBe(0);
    const key = await db.query('SELECT key, erased_at FROM personal_data_keys WHERE subject_id = $1', [id]);
    expect(key.rows).toEqual([{ key: null, erased_at: expect.any(Date) }]);
  });

  it('leaves other accounts as they were', async () => {
    expect((await account(other)).body.owner).toBe('Grace Hopper');
    expect((await summary(other, 0)).owner).toBe('Grace Hopper');
  });

  it('is idempotent, and the account keeps working afterwards', async () => {
    const again = await request(app.http)
      .delete(`/accounts/${id}/personal-data`)
      .set('Content-Type', 'application/json')
      .expect(200);
    expect(again.body.version).toBe(beforeErasure.length + 1);
    await api.deposited(id, 100);
    expect((await account(id)).body).toMatchObject({ owner: '[erased]', balance: 1000 });
  });

  it('answers 404 for an account that does not exist, and creates no key for it', async () => {
    const unknown = randomUUID();
    expectProblem(
      await request(app.http).delete(`/accounts/${unknown}/personal-data`).set('Content-Type', 'application/json'),
      404,
    );
    expect((await db.query('SELECT 1 FROM personal_data_keys WHERE subject_id = $1', [unknown])).rowCount).toBe(0);
  });

  it('hides an owner stored in plain text before the field was personal (AccountOpened v1) once erased', async () => {
    const legacy = randomUUID();
    await db.query(
      `INSERT INTO events (event_id, stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at, transaction_id)
       VALUES ($1, $2, 'Account', 1, 'AccountOpened', 1, $3, '{"correlationId": "c", "causationId": "c"}', now(), pg_current_xact_id())`,
      [randomUUID(), legacy, JSON.stringify({ owner: 'Legacy Owner', overdraftLimit: 0 })],
    );
    expect((await account(legacy)).body.owner).toBe('Legacy Owner');
    await request(app.http)
      .delete(`/accounts/${legacy}/personal-data`)
      .set('Content-Type', 'application/json')
      .expect(200);
    expect((await account(legacy)).body).toMatchObject({ owner: '[erased]', currency: 'EUR' });
    expect((await api.events(legacy))[0].data).toMatchObject({ owner: '[erased]' });
  });

  it('answers 400 naming an unknown field of a body, and erases nothing', async () => {
    const response = await api.refusedWithoutEffect(other, () =>
      request(app.http)
        .delete(`/accounts/${other}/personal-data`)
        .set('Content-Type', 'application/json')
        .send({ owner: 'Grace Hopper' }),
    );
    expectProblem(response, 400, { fields: ['owner'] });
  });

  it('answers 400 for an id that is not a UUID', async () => {
    expectProblem(
      await request(app.http).delete('/accounts/nope/personal-data').set('Content-Type', 'application/json'),
      400,
    );
  });
});
