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

describe('If-Match', () => {
  it('applies a command pinned to the current version', async () => {
    const id = await api.open();
    const deposit = await api.deposit(id, 100, { 'If-Match': '"1"' });
    expect(deposit.status).toBe(200);
    expect(deposit.body).toMatchObject({ version: 2, balance: 100 });

    const withdrawal = await api.withdraw(id, 40, { 'If-Match': deposit.headers.etag });
    expect(withdrawal.body).toMatchObject({ version: 3, balance: 60 });
    await api.withdraw(id, 60, { 'If-Match': withdrawal.headers.etag }).expect(200);
    expect((await api.close(id, { 'If-Match': '"4"' })).body).toMatchObject({ version: 5 });
  });

  it.each([
    ['a stale version', '"1"'],
    ['a version the account has not reached', '"3"'],
    ['version 0', '"0"'],
  ])('answers 409 to %s, and stores nothing', async (_, ifMatch) => {
    const id = await api.open();
    await api.deposited(id, 100);
    for (const send of [
      () => api.deposit(id, 5, { 'If-Match': ifMatch }),
      () => api.withdraw(id, 5, { 'If-Match': ifMatch }),
      () => api.close(id, { 'If-Match': ifMatch }),
    ]) {
      expectProblem(await api.refusedWithoutEffect(id, send), 409, { type: problemType('concurrency-conflict') });
    }
  });

  it.each([
    ['a version without quotes', '2'],
    ['a quoted word', '"abc"'],
    ['a weak tag', 'W/"2"'],
    ['a list of versions', '"1", "2"'],
    ['an asterisk', '*'],
    ['an empty value', ''],
    ['a negative version', '"-1"'],
    ['a fractional version', '"1.5"'],
  ])('answers 400 to %s, and stores nothing', async (_, ifMatch) => {
    const id = await api.open();
    await api.deposited(id, 100);
    for (const send of [
      () => api.deposit(id, 5, { 'If-Match': ifMatch }),
      () => api.withdraw(id, 5, { 'If-Match': ifMatch }),
    ]) {
      expectProblem(await api.refusedWithoutEffect(id, send), 400, {
        type: problemType('invalid-request'),
        fields: ['If-Match'],
      });
    }
  });

  it('answers 404, not 409, for an account that does not exist', async () => {
    expectProblem(await api.deposit('0196a4c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6', 5, { 'If-Match': '"1"' }), 404);
  });

  it('still applies the domain rules at the right version', async () => {
    const id = await api.open();
    expectProblem(await api.refusedWithoutEffect(id, () => api.withdraw(id, 5, { 'If-Match': '"1"' })), 422, {
      type: problemType('insufficient-funds'),
    });
  });
});

describe('Idempotency-Key', () => {
  it('answers a repeated deposit with the first response and appends nothing', async () => {
    const id = await api.open();
    const headers = { 'Idempotency-Key': `deposit-${id}` };
    const first = await api.deposit(id, 250, headers);
    expect(first.status).toBe(200);

    for (let i = 0; i < 3; i++) {
      const again = await api.refusedWithoutEffect(id, () => api.deposit(id, 250, headers));
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(again.headers.etag).toBe(first.headers.etag);
    }
    expect((await api.get(id)).body).toMatchObject({ balance: 250, version: 2 });
  });

  it('answers with the first response even after the account moved on', async () => {
    const id = await api.open();
    const headers = { 'Idempotency-Key': `withdraw-${id}` };
    await api.deposited(id, 1_000);
    const first = await api.withdraw(id, 300, headers);
    expect(first.body).toMatchObject({ version: 3, balance: 700 });
    await api.deposited(id, 5);

    const again = await api.refusedWithoutEffect(id, () => api.withdraw(id, 300, headers));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect((await api.get(id)).body).toMatchObject({ balance: 705, version: 4 });
  });

  it('answers a repeated close with the first 200, not with "account closed"', async () => {
    const id = await api.open();
    const headers = { 'Idempotency-Key': `close-${id}` };
    const first = await api.close(id, headers);
    expect(first.status).toBe(200);
    const again = await api.refusedWithoutEffect(id, () => api.close(id, headers));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
  });

  it('answers a repeat that carries a now-stale If-Match with the first response', async () => {
    const id = await api.open();
    const headers = { 'Idempotency-Key': `pinned-${id}`, 'If-Match': '"1"' };
    const first = await api.deposit(id, 10, headers);
    expect(first.status).toBe(200);
    const again = await api.refusedWithoutEffect(id, () => api.deposit(id, 10, headers));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
  });

  // Keys are scoped to the route (docs/API.md): another command's route is another scope.
  it('answers 422 to the same key with another body or for another account, storing nothing', async () => {
    const id = await api.open();
    const other = await api.open();
    await api.deposited(id, 1_000);
    const headers = { 'Idempotency-Key': `reused-${id}` };
    await api.deposit(id, 100, headers).expect(200);

    for (const [account, send] of [
      [id, () => api.deposit(id, 101, headers)],
      [other, () => api.deposit(other, 100, headers)],
    ] as const) {
      expectProblem(await api.refusedWithoutEffect(account, send), 422, {
        type: problemType('idempotency-key-reused'),
      });
    }
    expect((await api.get(id)).body).toMatchObject({ balance: 1_100, version: 3 });
  });

  it('keeps no record of a refused command: the key still works once the command can succeed', async () => {
    const id = await api.open();
    const headers = { 'Idempotency-Key': `refused-${id}` };
    expectProblem(await api.refusedWithoutEffect(id, () => api.withdraw(id, 50, headers)), 422);
    await api.deposited(id, 50);
    expect((await api.withdraw(id, 50, headers)).body).toMatchObject({ version: 3, balance: 0 });
  });

  it('stores the key, the correlation id and the causation id in the metadata of the events', async () => {
    const id = await api.open();
    await api.deposit(id, 7, { 'Idempotency-Key': `meta-${id}`, 'X-Correlation-Id': 'order-4711' }).expect(200);
    const [opened, deposited] = await api.events(id);
    expect(deposited.metadata).toEqual({
      correlationId: 'order-4711',
      causationId: expect.any(String),
      idempotencyKey: `meta-${id}`,
    });
    expect(opened.metadata.causationId).not.toBe(deposited.metadata.causationId);
  });
});

describe('problems', () => {
  it('carry no ETag: a client that keeps the last ETag for If-Match never picks up a problem', async () => {
    const id = await api.open({ owner: 'No Tag' });
    const refusals = [
      await api.get('01a21d09-f9dc-70b9-aefe-f51947c06c9c'),
      await api.get(id, { version: 'x' }),
      await api.deposit(id, -5),
    ];
    expect(refusals.map((response) => [response.status, response.headers.etag])).toEqual([
      [404, undefined],
      [400, undefined],
      [400, undefined],
    ]);
  });
});

describe('a method a path does not take', () => {
  it('answers 405 with Allow naming those it takes; a path nothing takes stays 404', async () => {
    const id = await api.open({ owner: 'Wrong Method' });
    const json = { 'Content-Type': 'application/json' };
    const wrong = [
      await request(app.http).delete('/accounts').set(json),
      await request(app.http).put(`/accounts/${id}`).set(json).send({}),
      await request(app.http).get(`/accounts/${id}/deposits`),
    ];
    expect(wrong.map((response) => [response.status, response.headers.allow, response.body.type])).toEqual([
      [405, 'GET, HEAD, POST', problemType('method-not-allowed')],
      [405, 'GET, HEAD', problemType('method-not-allowed')],
      [405, 'POST', problemType('method-not-allowed')],
    ]);
    expectProblem(await request(app.http).get('/nothing-here'), 404);
  });
});
