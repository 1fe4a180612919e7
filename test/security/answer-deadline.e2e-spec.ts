import pg from 'pg';
import request from 'supertest';
import { AccountsApi } from '../support/accounts-api.js';
import { expectProblem } from '../support/problems.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

// The global advisory lock chronicle_append takes its positions under (migration 1795680000009):
// held from outside, every append waits inside PostgreSQL, with no timeout of the app's to end it.
const CRITICAL_SECTION_LOCK = '7262873648392817';
const DEADLINE_MS = 1_000;

let app: TestApp;
let locker: pg.Client | undefined;
beforeAll(async () => {
  app = await createTestApp({
    env: {
      ANSWER_DEADLINE_MS: String(DEADLINE_MS),
      MIN_POSITION_WAIT_MS: '500',
      DATABASE_QUERY_TIMEOUT_MS: '0',
      DATABASE_STATEMENT_TIMEOUT_MS: '60000',
    },
  });
});
afterAll(async () => {
  await locker?.end().catch(() => undefined);
  await app?.close();
});

it('answers 503 with Retry-After once the deadline passes, whatever holds the answer up; the command sent again is applied once', async () => {
  const api = new AccountsApi(app.http);
  const id = await api.open({ owner: 'Late Answer', currency: 'EUR' });
  locker = new pg.Client({ connectionString: app.database.url });
  await locker.connect();
  await locker.query('SELECT pg_advisory_lock($1)', [CRITICAL_SECTION_LOCK]);

  const deposit = () =>
    request(app.http)
      .post(`/accounts/${id}/deposits`)
      .set('Content-Type', 'application/json')
      .set('Idempotency-Key', 'late-1')
      .send({ amount: 70 });
  const started = Date.now();
  const late = await deposit();
  const tookMs = Date.now() - started;
  expectProblem(late, 503, { type: 'urn:chronicle:problem:deadline-exceeded' });
  expect({
    retryAfter: late.headers['retry-after'],
    etag: late.headers.etag,
    inTime: tookMs < DEADLINE_MS + 1_000,
  }).toEqual({ retryAfter: '5', etag: undefined, inTime: true });

  // The append was waiting, not lost: once the lock goes, it is stored, and the retry gets its answer.
  await locker.query('SELECT pg_advisory_unlock($1)', [CRITICAL_SECTION_LOCK]);
  const again = await until(deposit, (response) => response.status === 200, 'the deposit sent again to succeed');
  expect(again.body).toMatchObject({ balance: 70 });
  const events = (await request(app.http).get(`/accounts/${id}/events`)).body.items as { type: string }[];
  expect(events.filter((event) => event.type === 'MoneyDeposited')).toHaveLength(1);
});
