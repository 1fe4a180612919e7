import type request from 'supertest';
import { AccountsApi, expectProblem, problemType } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

// Two instances of the service on one database, as in production behind a load
// balancer: each queues commands per account in memory, so only a second instance
// makes writers really meet at the database.
let first: TestApp;
let second: TestApp;
let api: AccountsApi;
let apis: AccountsApi[];

beforeAll(async () => {
  first = await createTestApp();
  second = await createTestApp({ database: first.database });
  apis = [first, second].map((app) => new AccountsApi(app.http));
  api = apis[0];
});
afterAll(async () => {
  await second?.close();
  await first?.close();
});

/** Request i goes to instance i mod 2. */
const spread = (n: number, send: (api: AccountsApi, i: number) => PromiseLike<request.Response>) =>
  Promise.all(Array.from({ length: n }, (_, i) => send(apis[i % apis.length], i)));

describe('concurrent commands on one account', () => {
  it('acknowledges 50 concurrent deposits with 200 or 409, and loses none that it acknowledged', async () => {
    const id = await api.open();
    const responses = await spread(50, (instance, i) => instance.deposit(id, i + 1));

    for (const response of responses) expect([200, 409]).toContain(response.status);
    const acknowledged = responses
      .map((response, i) => ({ amount: i + 1, body: response.body }))
      .filter((_, i) => responses[i].status === 200)
      .sort((a, b) => a.body.version - b.body.version);
    expect(acknowledged.length).toBeGreaterThan(0);

    const versions = acknowledged.map((a) => a.body.version);
    expect(new Set(versions).size).toBe(versions.length);
    // Each balance is the running sum of the acknowledged deposits in version order: no lost update.
    let running = 0;
    for (const { amount, body } of acknowledged) {
      running += amount;
      expect(body.balance).toBe(running);
    }

    const account = (await api.get(id)).body;
    expect(account.balance).toBe(acknowledged.reduce((sum, a) => sum + a.amount, 0));
    expect(account.version).toBe(1 + acknowledged.length);
    const events = await api.events(id);
    expect(events).toHaveLength(1 + acknowledged.length);
    expect(events.slice(1).map((e) => [e.version, e.data.amount])).toEqual(
      acknowledged.map((a) => [a.body.version, a.amount]),
    );
  });

  it('lets exactly one of 20 concurrent deposits pinned to the same version through', async () => {
    const id = await api.open();
    const responses = await spread(20, (instance) => instance.deposit(id, 10, { 'If-Match': '"1"' }));

    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array<number>(19).fill(409)]);
    for (const refused of responses.filter((r) => r.status === 409)) {
      expectProblem(refused, 409, { type: problemType('concurrency-conflict') });
    }
    expect(await api.events(id)).toHaveLength(2);
    expect((await api.get(id)).body).toMatchObject({ version: 2, balance: 10 });
  });

  it('never pays out more than the balance to concurrent withdrawals', async () => {
    const id = await api.open();
    await api.deposited(id, 100);
    const responses = await spread(10, (instance) => instance.withdraw(id, 30));

    const paid = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 422);
    expect(paid).toHaveLength(3);
    expect(refused).toHaveLength(7);
    for (const response of refused) expectProblem(response, 422, { type: problemType('insufficient-funds') });
    expect((await api.get(id)).body).toMatchObject({ balance: 10, version: 5 });
  });
});

describe('concurrent repeats of one idempotent request', () => {
  it('appends one deposit for 10 concurrent requests with the same key and body, all answered alike', async () => {
    const id = await api.open();
    const headers = { 'Idempotency-Key': `concurrent-deposit-${id}` };
    const responses = await spread(10, (instance) => instance.deposit(id, 42, headers));

    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(response.body).toEqual(responses[0].body);
      expect(response.headers.etag).toBe('"2"');
    }
    expect(responses[0].body).toMatchObject({ id, version: 2, balance: 42 });
    const events = await api.events(id);
    expect(events).toHaveLength(2);
    expect(events[1].position).toBe(responses[0].body.position);
  });

  it('opens one account for 10 concurrent POST /accounts with the same key and body', async () => {
    const owner = `concurrent-${Date.now()}`;
    const { result: responses, appended } = await api.logDuring(() =>
      spread(10, (instance) => instance.post('/accounts', { owner }, { 'Idempotency-Key': `open-${owner}` })),
    );

    for (const response of responses) {
      expect(response.status).toBe(201);
      expect(response.body).toEqual(responses[0].body);
      expect(response.headers.location).toBe(`/accounts/${responses[0].body.id}`);
    }
    expect(appended.map((e) => [e.streamId, e.type, e.data.owner])).toEqual([
      [responses[0].body.id, 'AccountOpened', owner],
    ]);
  });
});

describe('the notification log under concurrent writers', () => {
  it('serves every acknowledged event exactly once, in strictly increasing positions', async () => {
    const ids = await Promise.all([1, 2, 3, 4, 5].map(() => api.open()));
    const responses = await spread(40, (instance, i) => instance.deposit(ids[i % ids.length], 1));
    for (const response of responses) expect(response.status).toBe(200);

    const highest = Math.max(...responses.map((r) => r.body.position));
    const log = await api.logThrough(highest);
    const positions = log.map((e) => e.position);
    for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeGreaterThan(positions[i - 1]);
    expect(new Set(log.map((e) => e.id)).size).toBe(log.length);
    const logged = new Set(positions);
    for (const response of responses) expect(logged.has(response.body.position)).toBe(true);

    // The log holds each stream's events exactly as the stream does.
    for (const id of ids) {
      expect(log.filter((e) => e.streamId === id)).toEqual(await api.events(id));
    }
  });
});
