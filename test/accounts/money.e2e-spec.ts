import request from 'supertest';
import { AccountsApi, expectProblem, problemType } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const UNKNOWN_ID = '0196a4c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6';

let app: TestApp;
let api: AccountsApi;

beforeAll(async () => {
  app = await createTestApp();
  api = new AccountsApi(app.http);
});
afterAll(() => app?.close());

describe('POST /accounts/{id}/deposits', () => {
  it('answers 200 with id, version, position and the new balance, and the version as ETag', async () => {
    const id = await api.open();
    const response = await api.deposit(id, 2_500);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id, version: 2, position: expect.any(Number), balance: 2_500 });
    expect(response.headers.etag).toBe('"2"');
    const events = await api.events(id);
    expect(events[1]).toMatchObject({
      version: 2,
      position: response.body.position,
      type: 'MoneyDeposited',
      data: { amount: 2_500 },
    });
  });

  it('adds up deposits, each in an event of its own', async () => {
    const id = await api.open();
    const balances = [];
    for (const amount of [1, 20, 300]) balances.push((await api.deposited(id, amount)).body.balance);
    expect(balances).toEqual([1, 21, 321]);
    expect((await api.get(id)).body).toMatchObject({ balance: 321, version: 4 });
    expect((await api.events(id)).map((e) => e.type)).toEqual([
      'AccountOpened',
      'MoneyDeposited',
      'MoneyDeposited',
      'MoneyDeposited',
    ]);
  });

  it('accepts the largest amount, 1000000000000', async () => {
    const id = await api.open();
    expect((await api.deposited(id, 1_000_000_000_000)).body.balance).toBe(1_000_000_000_000);
  });

  it('answers 404 for an account that does not exist', async () => {
    expectProblem(await api.deposit(UNKNOWN_ID, 100), 404, { type: problemType('not-found') });
    expectProblem(await request(app.http).get(`/accounts/${UNKNOWN_ID}/events`), 404);
  });
});

describe('POST /accounts/{id}/withdrawals', () => {
  it('answers 200 with the new balance', async () => {
    const id = await api.open();
    await api.deposited(id, 1_000);
    const response = await api.withdraw(id, 400);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id, version: 3, position: expect.any(Number), balance: 600 });
    expect(response.headers.etag).toBe('"3"');
    expect((await api.events(id))[2]).toMatchObject({ type: 'MoneyWithdrawn', data: { amount: 400 } });
  });

  it('pays out the whole balance down to 0 without an overdraft', async () => {
    const id = await api.open();
    await api.deposited(id, 500);
    expect((await api.withdraw(id, 500)).body).toMatchObject({ balance: 0 });
  });

  it('answers 422 insufficient funds one unit beyond the balance, and stores nothing', async () => {
    const id = await api.open();
    await api.deposited(id, 500);
    const response = await api.refusedWithoutEffect(id, () => api.withdraw(id, 501));
    expectProblem(response, 422, { type: problemType('insufficient-funds') });
    expect((await api.get(id)).body).toMatchObject({ balance: 500, version: 2 });
  });

  it('goes below zero down to -overdraftLimit, and no further', async () => {
    const id = await api.open({ owner: 'Ada', overdraftLimit: 1_000 });
    await api.deposited(id, 200);

    expect((await api.withdraw(id, 700)).body).toMatchObject({ balance: -500 });
    const refused = await api.refusedWithoutEffect(id, () => api.withdraw(id, 501));
    expectProblem(refused, 422, { type: problemType('insufficient-funds') });
    expect((await api.withdraw(id, 500)).body).toMatchObject({ balance: -1_000 });
    expectProblem(await api.refusedWithoutEffect(id, () => api.withdraw(id, 1)), 422, {
      type: problemType('insufficient-funds'),
    });
    expect((await api.get(id)).body).toMatchObject({ balance: -1_000, version: 4 });
  });

  it('answers 422 on an empty account without an overdraft', async () => {
    const id = await api.open();
    expectProblem(await api.refusedWithoutEffect(id, () => api.withdraw(id, 1)), 422, {
      type: problemType('insufficient-funds'),
    });
  });

  it('answers 404 for an account that does not exist', async () => {
    expectProblem(await api.withdraw(UNKNOWN_ID, 100), 404, { type: problemType('not-found') });
  });
});

describe('POST /accounts/{id}/close', () => {
  // It takes no body: a field in one used to be ignored, and the account closed anyway.
  it('answers 400 naming an unknown field of a body, and closes nothing', async () => {
    const id = await api.open();
    const response = await api.refusedWithoutEffect(id, () => api.post(`/accounts/${id}/close`, { force: true }));
    expectProblem(response, 400, { type: problemType('invalid-request'), fields: ['force'] });
    expect((await api.post(`/accounts/${id}/close`, {})).status).toBe(200);
  });

  it('answers 422 while the balance is not 0, then 200 once it is, and refuses money afterwards', async () => {
    const id = await api.open({ owner: 'Ada', overdraftLimit: 100 });
    await api.deposited(id, 300);

    expectProblem(await api.refusedWithoutEffect(id, () => api.close(id)), 422, {
      type: problemType('balance-not-zero'),
    });
    await api.withdraw(id, 400).expect(200);
    expectProblem(await api.refusedWithoutEffect(id, () => api.close(id)), 422, {
      type: problemType('balance-not-zero'),
    });
    await api.deposited(id, 100);

    const closed = await api.close(id);
    expect(closed.status).toBe(200);
    expect(closed.body).toEqual({ id, version: 5, position: expect.any(Number) });
    expect(closed.headers.etag).toBe('"5"');
    expect((await api.get(id)).body).toMatchObject({ status: 'closed', balance: 0, version: 5 });
    expect((await api.events(id)).at(-1)).toMatchObject({ type: 'AccountClosed', position: closed.body.position });

    for (const refused of [() => api.deposit(id, 1), () => api.withdraw(id, 1), () => api.close(id)]) {
      expectProblem(await api.refusedWithoutEffect(id, refused), 422, { type: problemType('account-closed') });
    }
  });

  it('closes a fresh account at once', async () => {
    const id = await api.open();
    expect((await api.close(id)).body).toMatchObject({ id, version: 2 });
  });

  it('answers 404 for an account that does not exist', async () => {
    expectProblem(await api.close(UNKNOWN_ID), 404, { type: problemType('not-found') });
  });
});

describe.each(['deposits', 'withdrawals'])(
  'POST /accounts/{id}/%s refuses a bad request with 400 and stores nothing',
  (path) => {
    let id: string;
    beforeAll(async () => {
      // Enough money that every amount a lax check let through would be paid out.
      id = await api.open();
      await api.deposited(id, 1_000_000_000_000);
    });
    const send = (body: object | undefined) => () => api.post(`/accounts/${id}/${path}`, body);

    it.each<[string, object | undefined, string[]]>([
      ['an amount as a string number', { amount: '100' }, ['amount']],
      ['an amount of 0', { amount: 0 }, ['amount']],
      ['a negative amount', { amount: -100 }, ['amount']],
      ['a fractional amount', { amount: 12.5 }, ['amount']],
      ['an amount one over the maximum', { amount: 1_000_000_000_001 }, ['amount']],
      ['an amount of 1e13', { amount: 1e13 }, ['amount']],
      ['an amount of 1e300', { amount: 1e300 }, ['amount']],
      ['an amount that is null', { amount: null }, ['amount']],
      ['an amount that is a boolean', { amount: true }, ['amount']],
      ['an amount in an array', { amount: [100] }, ['amount']],
      ['an amount in an object', { amount: { value: 100 } }, ['amount']],
      ['a missing amount', {}, ['amount']],
      ['no body at all', undefined, ['amount']],
      ['an unknown field next to a good amount', { amount: 100, note: 'rent' }, ['note']],
    ])('%s', async (_, body, fields) => {
      const response = await api.refusedWithoutEffect(id, send(body));
      expectProblem(response, 400, { type: problemType('invalid-request'), fields });
    });

    it('malformed JSON', async () => {
      const response = await api.refusedWithoutEffect(id, () =>
        request(app.http).post(`/accounts/${id}/${path}`).set('Content-Type', 'application/json').send('{"amount": 1'),
      );
      expectProblem(response, 400);
    });

    it('415 for a form instead of JSON', async () => {
      const response = await api.refusedWithoutEffect(id, () =>
        request(app.http).post(`/accounts/${id}/${path}`).type('form').send('amount=100'),
      );
      expectProblem(response, 415, { type: problemType('unsupported-media-type') });
    });

    it('413 for a body over 100 kB', async () => {
      const response = await api.refusedWithoutEffect(id, send({ amount: 100, padding: 'x'.repeat(101 * 1024) }));
      expectProblem(response, 413);
    });

    it('an id that is no UUID', async () => {
      expectProblem(await api.post(`/accounts/not-a-uuid/${path}`, { amount: 100 }), 400, { fields: ['id'] });
    });
  },
);

describe('bad ids and refused requests on the other routes', () => {
  it('answers 400 naming the id on close and events', async () => {
    expectProblem(await api.close('42'), 400, { fields: ['id'] });
    expectProblem(await request(app.http).get('/accounts/42/events'), 400, { fields: ['id'] });
  });

  it('answers problem+json 404 to a route that does not exist, 405 to a method its path does not take', async () => {
    expectProblem(await request(app.http).get(`/ledgers/${UNKNOWN_ID}`), 404);
    const wrongMethod = await request(app.http)
      .delete(`/accounts/${UNKNOWN_ID}`)
      .set('Content-Type', 'application/json');
    expectProblem(wrongMethod, 405, { type: problemType('method-not-allowed') });
    expect(wrongMethod.headers.allow).toBe('GET, HEAD');
  });
});
