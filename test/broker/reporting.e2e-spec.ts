/**
 * The reporting context end to end in one app: without NATS the relay does not exist and
 * the report is empty; with NATS the accounts' events travel through JetStream into the
 * report, which then equals what the log implies.
 */
import request from 'supertest';
import { AccountsApi, expectProblem } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';
import { dailyTotalsOf, type DailyTotalBody } from './daily-totals.js';
import { JetStreamProbe, NATS_URL, uniqueStream } from './jetstream-harness.js';

const report = (app: TestApp, query: Record<string, string | number> = {}) =>
  request(app.http).get('/reports/daily-totals').query(query);

const followerNames = async (app: TestApp): Promise<string[]> => {
  const response = await request(app.http).get('/projections');
  expect(response.status).toBe(200);
  return (response.body.items as { name: string }[]).map((f) => f.name);
};

describe('without NATS_URL', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app?.close());

  it('runs no relay, and the report is empty', async () => {
    const api = new AccountsApi(app.http);
    const id = await api.open({ owner: 'No Broker', currency: 'EUR' });
    const { body } = await api.deposited(id, 500);
    await api.logThrough(body.position);
    // The example's followers, and no relay; a clone's own followers may join them.
    const names = await followerNames(app);
    expect(names).toEqual(expect.arrayContaining(['account-statements', 'account-summaries', 'transfer-process']));
    expect(names).not.toContain('nats-relay');
    const response = await report(app);
    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: { items: [] } });
  });

  it.each([
    [{ from: '2026-02-30' }, ['from']],
    [{ from: '27.11.2026', to: 'yesterday' }, ['from', 'to']],
    [{ currency: 'eur' }, ['currency']],
    [{ currency: 'XYZ', limit: 0 }, ['currency', 'limit']],
  ])('refuses %j, naming %j', async (query, fields) => {
    expectProblem(await report(app, query), 400, { fields });
  });
});

describe('with NATS_URL', () => {
  const stream = uniqueStream();
  let app: TestApp;
  let probe: JetStreamProbe;
  beforeAll(async () => {
    probe = await JetStreamProbe.open();
    app = await createTestApp({ env: { NATS_URL, NATS_STREAM: stream, FOLLOWER_POLL_MS: '100' } });
  });
  afterAll(async () => {
    await app?.close();
    await probe?.close(stream);
  });

  it('relays the log to JetStream, and the reporting context turns it into daily totals per currency', async () => {
    const api = new AccountsApi(app.http);
    const euro = await api.open({ owner: 'Ada Lovelace', currency: 'EUR' });
    const dollar = await api.open({ owner: 'Grace Hopper', currency: 'USD' });
    for (const amount of [1_000, 250, 4_000]) await api.deposited(euro, amount);
    await api.deposited(dollar, 7_000);
    expect((await api.withdraw(euro, 300)).status).toBe(200);
    expect((await api.withdraw(dollar, 99_999)).status).toBe(422);
    const last = await api.withdraw(dollar, 2_000);
    expect(last.status).toBe(200);

    const log = await api.logThrough(last.body.position);
    const expected = dailyTotalsOf(log);
    expect(expected.map((t) => [t.currency, t.depositTotal, t.withdrawalTotal])).toEqual(
      expect.arrayContaining([
        ['EUR', 5_250, 300],
        ['USD', 7_000, 2_000],
      ]),
    );
    const reported = await until(
      async () => (await report(app)).body.items as DailyTotalBody[],
      (items) => JSON.stringify(items) === JSON.stringify(expected),
      'the daily totals to equal what the log implies',
    );
    expect(reported).toEqual(expected);
    const usd = await report(app, { currency: 'USD', from: expected[0].day, to: expected.at(-1)!.day });
    expect(usd.body.items).toEqual(expected.filter((t) => t.currency === 'USD'));

    expect(await followerNames(app)).toContain('nats-relay');
    const consumer = await probe.manager.consumers.info(stream, 'reporting-daily-totals');
    expect(consumer.config.filter_subject).toBe(`${stream}.Account.>`);
    expect((await probe.messages(stream)).length).toBe(log.length);
  });
});
