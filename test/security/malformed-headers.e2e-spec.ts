import request from 'supertest';
import { AccountsApi, expectProblem } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

let app: TestApp;
let api: AccountsApi;
let id: string;
beforeAll(async () => {
  app = await createTestApp();
  api = new AccountsApi(app.http);
  id = await api.open();
});
afterAll(() => app?.close());

describe('a malformed header or cursor is a 400 that stores nothing', () => {
  it.each(['3', '"three"', 'W/"1"', '"1", "2"', '"1234567890"', '""', '"-1"', "' OR 1=1 --"])(
    'If-Match: %s',
    async (value) => {
      const response = await api.refusedWithoutEffect(id, () => api.deposit(id, 10, { 'If-Match': value }));
      expectProblem(response, 400, { fields: ['If-Match'] });
    },
  );

  it.each(['x'.repeat(201), 'with space', "';DROP TABLE events;--"])('Idempotency-Key: %s', async (value) => {
    const response = await api.refusedWithoutEffect(id, () => api.deposit(id, 10, { 'Idempotency-Key': value }));
    expectProblem(response, 400, { fields: ['Idempotency-Key'] });
  });

  it.each([
    '!!!',
    'x'.repeat(65),
    Buffer.from("'; DROP TABLE account_summaries; --").toString('base64url').slice(0, 64),
    Buffer.from('not-a-uuid').toString('base64url'),
    '',
  ])('GET /accounts?cursor=%s', async (cursor) => {
    expectProblem(await request(app.http).get('/accounts').query({ cursor }), 400, { fields: ['cursor'] });
  });

  it.each(['abc', '-1', '1e3', '0x10', '99999999999999999', '1.5', '1; DROP TABLE events'])(
    'Last-Event-ID: %s',
    async (value) => {
      const response = await request(app.http).get('/notifications/stream').set('Last-Event-ID', value);
      expectProblem(response, 400, { fields: ['Last-Event-ID'] });
    },
  );

  it.each(['abc', '-1', '1e3', "0' OR '1'='1"])('GET /notifications?after=%s', async (after) => {
    expectProblem(await request(app.http).get('/notifications').query({ after }), 400, { fields: ['after'] });
  });
});
