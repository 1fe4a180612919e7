import request from 'supertest';
import { AccountsApi, expectProblem } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** Strings that would change a query built by pasting them into SQL text. */
const TEXTS = [
  "'; DROP TABLE events; --",
  '" OR 1=1 --',
  "Robert'); DROP TABLE account_summaries;--",
  "%' OR '%'='",
  "\\'; SELECT pg_sleep(10); --",
  'C:\\temp\\new\\table',
  "$1 $$ $tag$ E'\\x41'",
  '/* comment */ UNION SELECT * FROM idempotency_keys',
  'Zoë Ünïcødé 日本語 🚀 \u202eevil',
];
/** Header values must be visible ASCII (API.md), so the header variants carry no spaces. */
const HEADER_TEXTS = ["';DROP/**/TABLE/**/events;--", '"OR"1"="1"--', "\\';SELECT/**/pg_sleep(10);--", '$1$$'];

let app: TestApp;
let api: AccountsApi;
beforeAll(async () => {
  app = await createTestApp();
  api = new AccountsApi(app.http);
});
afterAll(() => app?.close());

describe('text that looks like SQL is data, stored and returned verbatim', () => {
  it.each(TEXTS)('owner %j', async (owner) => {
    const opened = await api.post('/accounts', { owner });
    expect(opened.status).toBe(201);
    const { id, position } = opened.body as { id: string; position: number };
    expect((await api.get(id)).body.owner).toBe(owner);
    const [event] = await api.events(id);
    expect(event.data.owner).toBe(owner);
    // Authentication is off here: the event names no actor.
    expect(event.metadata).not.toHaveProperty('actorId');
    const list = await request(app.http).get('/accounts').query({ owner, minPosition: position });
    expect({ status: list.status, owners: list.body.items.map((item: { owner: string }) => item.owner) }).toEqual({
      status: 200,
      owners: [owner],
    });
  });

  it.each(HEADER_TEXTS)('Idempotency-Key and X-Correlation-Id %j', async (text) => {
    const id = await api.open({ owner: 'headers' });
    // The id first: a key that opens with a quote is read as the IETF draft's quoted form.
    const headers = { 'Idempotency-Key': `${id}${text}`, 'X-Correlation-Id': text };
    const first = await api.deposit(id, 100, headers);
    expect(first.status).toBe(200);
    expect((await api.deposit(id, 100, headers)).body).toEqual(first.body);
    const events = await api.events(id);
    expect(events.map((event) => event.type)).toEqual(['AccountOpened', 'MoneyDeposited']);
    expect(events[1].metadata).toMatchObject({ idempotencyKey: `${id}${text}`, correlationId: text });
  });

  it.each(TEXTS)('a projection name %j is just an unknown one', async (name) => {
    expectProblem(
      await request(app.http)
        .post(`/projections/${encodeURIComponent(name)}/rebuild`)
        .set('Content-Type', 'application/json'),
      404,
    );
  });

  it('leaves every table in place', async () => {
    const log = await api.wholeLog();
    const opened = log.filter((event) => event.type === 'AccountOpened').map((event) => event.data.owner);
    expect(opened).toEqual(expect.arrayContaining(TEXTS));
    const list = await request(app.http)
      .get('/accounts')
      .query({ limit: 1000, minPosition: log.at(-1)!.position });
    expect(list.body.items).toHaveLength(opened.length);
    expect((await request(app.http).get('/health')).status).toBe(200);
  });
});
