import request from 'supertest';
import { AccountsApi, expectProblem, problemType } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

let app: TestApp;
let api: AccountsApi;

beforeAll(async () => {
  app = await createTestApp();
  api = new AccountsApi(app.http);
});
afterAll(() => app?.close());

const list = (query: Record<string, string | number>) => request(app.http).get('/accounts').query(query);

/** Opens an account and returns its id and the position of its first event. */
async function open(owner: string): Promise<{ id: string; position: number }> {
  const response = await api.post('/accounts', { owner });
  expect(response.status).toBe(201);
  return response.body;
}

describe('GET /accounts', () => {
  it('lists an account once the view has processed the position its command returned', async () => {
    const { id, position } = await open('Lister One');
    const response = await list({ owner: 'Lister One', minPosition: position });

    expect(response.status).toBe(200);
    expect(Number(response.headers['x-projection-position'])).toBeGreaterThanOrEqual(position);
    expect(response.body).toEqual({
      items: [
        {
          id,
          owner: 'Lister One',
          currency: 'EUR',
          balance: 0,
          overdraftLimit: 0,
          status: 'open',
          version: 1,
          openedAt: expect.any(String),
          updatedAt: expect.any(String),
        },
      ],
      nextCursor: null,
    });
  });

  it('shows balances, versions and closing as the account changes', async () => {
    const { id } = await open('Lister Two');
    await api.deposited(id, 500);
    await api.withdraw(id, 500).expect(200);
    const closed = await api.close(id).expect(200);

    const response = await list({ owner: 'Lister Two', minPosition: closed.body.position });
    expect(response.body.items).toEqual([expect.objectContaining({ id, balance: 0, status: 'closed', version: 4 })]);
  });

  it('pages with nextCursor, oldest first, each account once', async () => {
    const opened = [];
    for (let i = 0; i < 5; i++) opened.push(await open('Pager'));
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const response = await list({
        owner: 'Pager',
        limit: 2,
        minPosition: opened[4].position,
        ...(cursor ? { cursor } : {}),
      });
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(2);
      ids.push(...response.body.items.map((item: { id: string }) => item.id));
      cursor = response.body.nextCursor ?? undefined;
    } while (cursor);
    expect(ids).toEqual(opened.map((o) => o.id));
  });

  it.each<[Record<string, string | number>, string]>([
    [{ limit: 0 }, 'limit'],
    [{ limit: 1001 }, 'limit'],
    [{ cursor: 'not a cursor!' }, 'cursor'],
    [{ cursor: 'bm90LWEtdXVpZA' }, 'cursor'],
    [{ minPosition: -1 }, 'minPosition'],
    [{ minPosition: 'soon' }, 'minPosition'],
    [{ owner: '' }, 'owner'],
    // PostgreSQL refuses NUL in a query parameter: this was a 500.
    [{ owner: '\u0000' }, 'owner'],
    [{ sort: 'owner' }, 'sort'],
  ])('answers 400 to %j', async (query, field) => {
    expectProblem(await list(query), 400, { type: problemType('invalid-request'), fields: [field] });
  });

  // ValidationPipe dropped these keys without a word, where any other unknown one is a 400.
  it.each(['__proto__', 'constructor'])('answers 400 to ?%s=', async (key) => {
    expectProblem(await request(app.http).get(`/accounts?${key}=x`), 400, { fields: [key] });
  });
});

describe('GET /accounts/{id}/statement', () => {
  it('lists every money movement with the running balance', async () => {
    const { id } = await open('Statement Holder');
    await api.deposited(id, 100);
    await api.withdraw(id, 30).expect(200);
    const last = await api.deposited(id, 5);

    const response = await request(app.http)
      .get(`/accounts/${id}/statement`)
      .query({ minPosition: last.body.position });
    expect(response.status).toBe(200);
    expect(Number(response.headers['x-projection-position'])).toBeGreaterThanOrEqual(last.body.position);
    expect(
      response.body.items.map(({ version, kind, amount, balanceAfter }: Record<string, unknown>) => ({
        version,
        kind,
        amount,
        balanceAfter,
      })),
    ).toEqual([
      { version: 2, kind: 'deposit', amount: 100, balanceAfter: 100 },
      { version: 3, kind: 'withdrawal', amount: -30, balanceAfter: 70 },
      { version: 4, kind: 'deposit', amount: 5, balanceAfter: 75 },
    ]);

    const page = await request(app.http).get(`/accounts/${id}/statement`).query({ fromVersion: 3, limit: 1 });
    expect(page.body.items.map((line: { version: number }) => line.version)).toEqual([3]);
  });

  it('answers 404 for an account that does not exist', async () => {
    expectProblem(await request(app.http).get('/accounts/0196a4c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6/statement'), 404);
  });
});

describe('GET /projections', () => {
  it("reports every follower's checkpoint, lag and status", async () => {
    const { position } = await open('Status Watcher');
    await list({ minPosition: position });
    const response = await request(app.http).get('/projections');

    expect(response.status).toBe(200);
    const summaries = response.body.items.find((item: { name: string }) => item.name === 'account-summaries');
    expect(summaries).toEqual({
      name: 'account-summaries',
      checkpoint: expect.any(Number),
      lagPositions: expect.any(Number),
      lagSeconds: expect.any(Number),
      status: expect.stringMatching(/^(live|catching-up)$/),
      heldBack: expect.any(Boolean),
      runningHere: true,
      rebuildingHere: false,
      lastError: null,
      updatedAt: expect.any(String),
    });
    expect(summaries.checkpoint).toBeGreaterThanOrEqual(position);
    expect(response.body.items.map((item: { name: string }) => item.name)).toEqual(
      expect.arrayContaining(['account-summaries', 'account-statements']),
    );
  });
});

describe('POST /projections/{name}/rebuild', () => {
  it('refuses a body rather than ignoring it', async () => {
    const response = await request(app.http)
      .post('/projections/account-summaries/rebuild')
      .set('Content-Type', 'application/json')
      .send({ from: 100 });
    expectProblem(response, 400, { fields: ['from'] });
  });

  it('rebuilds a view from position 0 while it keeps serving, then switches over to the same content', async () => {
    const { id } = await open('Rebuilt');
    await api.deposited(id, 40);
    const last = await api.deposited(id, 2);
    const before = (await list({ limit: 1000, minPosition: last.body.position })).body.items;

    const started = await request(app.http)
      .post('/projections/account-summaries/rebuild')
      .set('Content-Type', 'application/json');
    expect(started.status).toBe(202);
    expect((await list({ limit: 1000 })).status).toBe(200);
    for (let waited = 0; ; waited += 50) {
      const { body } = await request(app.http).get('/projections');
      if (!body.items.find((item: { name: string }) => item.name === 'account-summaries').rebuildingHere) break;
      if (waited > 10_000) throw new Error('the rebuild did not finish within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    expect((await list({ limit: 1000 })).body.items).toEqual(before);
    const after = await api.deposited(id, 1);
    const rebuilt = await list({ owner: 'Rebuilt', minPosition: after.body.position });
    expect(rebuilt.body.items).toEqual([expect.objectContaining({ id, balance: 43 })]);
  });

  it('answers 404 for a follower that does not exist, 422 for one that keeps no view', async () => {
    expectProblem(
      await request(app.http).post('/projections/no-such-view/rebuild').set('Content-Type', 'application/json'),
      404,
    );
    expectProblem(
      await request(app.http).post('/projections/transfer-process/rebuild').set('Content-Type', 'application/json'),
      422,
    );
  });
});
