import request from 'supertest';
import { expectProblem, problemType } from '../support/problems.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signToken, TEST_JWT_SECRET } from '../support/tokens.js';
import { until } from '../support/until.js';

const alice = bearer(signToken({ sub: 'alice' }));
const bob = bearer(signToken({ sub: 'bob', roles: ['user'] }));
const teller = bearer(signToken({ sub: 'tom', roles: ['teller'] }));
const admin = bearer(signToken({ sub: 'root', roles: ['admin'] }));

type Headers = Record<string, string>;

/** An account id nobody opened. */
const MISSING = '0196a4c2-0000-7000-8000-000000000000';

describe('with authentication on, an account belongs to the subject who opened it', () => {
  let app: TestApp;
  let account: string;
  beforeAll(async () => {
    app = await createTestApp({ env: { AUTH_JWT_SECRET: TEST_JWT_SECRET } });
    const opened = await request(app.http).post('/accounts').set(alice).send({ owner: 'Alice' });
    account = opened.body.id;
    await request(app.http).post(`/accounts/${account}/deposits`).set(alice).send({ amount: 100 }).expect(200);
    await request(app.http).post('/accounts').set(bob).send({ owner: 'Bob' }).expect(201);
  });
  afterAll(() => app?.close());

  const routes: [string, (id: string, who: Headers) => request.Test][] = [
    ['GET /accounts/{id}', (id, who) => request(app.http).get(`/accounts/${id}`).set(who)],
    ['GET /accounts/{id}?version=1', (id, who) => request(app.http).get(`/accounts/${id}?version=1`).set(who)],
    [
      'GET /accounts/{id}?asOf=',
      (id, who) => request(app.http).get(`/accounts/${id}`).query({ asOf: new Date().toISOString() }).set(who),
    ],
    ['GET /accounts/{id}/statement', (id, who) => request(app.http).get(`/accounts/${id}/statement`).set(who)],
    ['GET /accounts/{id}/events', (id, who) => request(app.http).get(`/accounts/${id}/events`).set(who)],
    [
      'POST /accounts/{id}/deposits',
      (id, who) => request(app.http).post(`/accounts/${id}/deposits`).set(who).send({ amount: 5 }),
    ],
    [
      'POST /accounts/{id}/withdrawals',
      (id, who) => request(app.http).post(`/accounts/${id}/withdrawals`).set(who).send({ amount: 7 }),
    ],
    [
      'POST /accounts/{id}/close',
      (id, who) => request(app.http).post(`/accounts/${id}/close`).set('Content-Type', 'application/json').set(who),
    ],
    [
      'POST /transfers from it',
      (id, who) =>
        request(app.http).post('/transfers').set(who).send({ fromAccountId: id, toAccountId: MISSING, amount: 5 }),
    ],
  ];

  it.each(routes)("answers another subject's %s with the 404 of a missing account", async (_, send) => {
    const theirs = await send(account, bob);
    expectProblem(theirs, 404, { type: problemType('not-found') });
    expect(theirs.body.detail).toBe(`Account ${account} does not exist`);
    const none = await send(MISSING, bob);
    expect({ status: none.status, type: none.body.type }).toEqual({ status: 404, type: problemType('not-found') });
  });

  it('changed nothing for those refused commands: the owner still reads the balance deposited', async () => {
    const read = await request(app.http).get(`/accounts/${account}`).set(alice);
    expect({ status: read.status, balance: read.body.balance, open: read.body.status }).toEqual({
      status: 200,
      balance: 100,
      open: 'open',
    });
  });

  it('lets the owner, a teller and an admin read and act on it', async () => {
    for (const who of [alice, teller, admin]) {
      expect((await request(app.http).get(`/accounts/${account}/events`).set(who)).status).toBe(200);
      expect((await request(app.http).post(`/accounts/${account}/deposits`).set(who).send({ amount: 1 })).status).toBe(
        200,
      );
    }
  });

  it("lists only the subject's own accounts, and every account for a teller", async () => {
    const ids = async (who: Headers) => {
      const response = await request(app.http).get('/accounts').set(who);
      return (response.body.items as { id: string }[]).map((item) => item.id);
    };
    await until(
      () => ids(teller),
      (all) => all.length === 2,
      'both accounts in the view',
    );
    expect(await ids(alice)).toEqual([account]);
    // Who opened it scopes the list, and is not part of the answer.
    const [item] = (await request(app.http).get('/accounts').set(alice)).body.items;
    expect(item).not.toHaveProperty('openedBy');
    expect(await ids(bob)).not.toContain(account);
    expect(await ids(bob)).toHaveLength(1);
  });

  it('lets a subject transfer out of their own account to anyone, and only they (or a teller) see the transfer', async () => {
    const transfer = await request(app.http)
      .post('/transfers')
      .set(alice)
      .send({ fromAccountId: account, toAccountId: MISSING, amount: 5 });
    expect(transfer.status).toBe(202);
    const id = transfer.body.id as string;
    await until(
      () => request(app.http).get(`/transfers/${id}`).set(alice),
      (response) => response.body.status === 'failed',
      'the transfer to an account that does not exist to fail',
    );
    expectProblem(await request(app.http).get(`/transfers/${id}`).set(bob), 404, { type: problemType('not-found') });
    expect((await request(app.http).get(`/transfers/${id}`).set(teller)).status).toBe(200);
  });

  it.each([
    ['GET /notifications', () => request(app.http).get('/notifications')],
    ['GET /notifications/stream', () => request(app.http).get('/notifications/stream')],
    ['GET /explorer/api/overview', () => request(app.http).get('/explorer/api/overview')],
    ['GET /projections', () => request(app.http).get('/projections')],
    ['GET /reports/daily-totals', () => request(app.http).get('/reports/daily-totals')],
    [
      'POST /projections/{name}/rebuild',
      () => request(app.http).post('/projections/account-summaries/rebuild').set('Content-Type', 'application/json'),
    ],
    [
      'DELETE /accounts/{id}/personal-data',
      () => request(app.http).delete(`/accounts/${account}/personal-data`).set('Content-Type', 'application/json'),
    ],
  ])('answers %s with 403 to a token without the admin role, the owner and a teller too', async (_, send) => {
    for (const who of [alice, teller]) expectProblem(await send().set(who), 403);
  });

  it('lets an admin read the notification log', async () => {
    expect((await request(app.http).get('/notifications').set(admin)).status).toBe(200);
  });
});

describe('with authentication off', () => {
  let app: TestApp;
  beforeAll(async () => (app = await createTestApp()));
  afterAll(() => app?.close());

  it('keeps every account and the log open to every caller, as before', async () => {
    const { id } = (await request(app.http).post('/accounts').send({ owner: 'Ada' })).body;
    expect((await request(app.http).post(`/accounts/${id}/deposits`).send({ amount: 5 })).status).toBe(200);
    expect((await request(app.http).get('/notifications')).status).toBe(200);
  });
});
