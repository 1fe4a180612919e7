import request from 'supertest';
import { AccountsApi, type EventBody } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signToken, TEST_JWT_SECRET } from '../support/tokens.js';

// Keys are scoped to (subject, method, route) and sent as sf-strings (docs/API.md, "Idempotency-Key").
let app: TestApp;
let api: AccountsApi;

const as = (sub: string) => bearer(signToken({ sub, roles: ['user'] }));
// Read as the account's owner, whatever the rules on who may read an account.
const eventsOf = async (id: string, owner: string): Promise<EventBody[]> =>
  (await request(app.http).get(`/accounts/${id}/events`).set(as(owner)).expect(200)).body.items;

beforeAll(async () => {
  app = await createTestApp({ env: { AUTH_JWT_SECRET: TEST_JWT_SECRET } });
  api = new AccountsApi(app.http);
});
afterAll(() => app?.close());

describe('Idempotency-Key, with authentication on', () => {
  it('opens an account for each of two callers who send one key with one body', async () => {
    const body = { owner: 'Ada', currency: 'CHF' };
    const alices = await api.post('/accounts', body, { ...as('alice'), 'Idempotency-Key': 'open-1' });
    const bobs = await api.post('/accounts', body, { ...as('bob'), 'Idempotency-Key': 'open-1' });

    expect([alices.status, bobs.status]).toEqual([201, 201]);
    expect(bobs.body.id).not.toBe(alices.body.id);
    expect(await eventsOf(bobs.body.id, 'bob')).toHaveLength(1);
    const again = await api.post('/accounts', body, { ...as('bob'), 'Idempotency-Key': 'open-1' });
    expect(again.body).toEqual(bobs.body);
  });

  it("keeps one caller's key on one route apart from the same key on another", async () => {
    const headers = { ...as('carol'), 'Idempotency-Key': 'carol-1' };
    const opened = await api.post('/accounts', { owner: 'Carol' }, headers);
    expect(opened.status).toBe(201);

    const deposited = await api.deposit(opened.body.id, 50, headers);
    expect({ status: deposited.status, body: deposited.body }).toMatchObject({
      status: 200,
      body: { version: 2, balance: 50 },
    });
    expect(await eventsOf(opened.body.id, 'carol')).toHaveLength(2);
  });

  it('scopes a key to the route template: the same key on another account of that route is a reuse (422)', async () => {
    const erin = as('erin');
    const a = await api.open({ owner: 'Erin' }, erin);
    const b = await api.open({ owner: 'Erin' }, erin);
    const headers = { ...erin, 'Idempotency-Key': 'erin-deposit' };

    expect((await api.deposit(a, 10, headers)).status).toBe(200);
    expect((await api.deposit(b, 10, headers)).status).toBe(422);
    expect(await eventsOf(b, 'erin')).toHaveLength(1);
  });

  it('takes a quoted key (an sf-string) for its bare form, and the reverse', async () => {
    const body = { owner: 'Dora' };
    const quoted = await api.post('/accounts', body, { ...as('dora'), 'Idempotency-Key': '"dora-1"' });
    const bare = await api.post('/accounts', body, { ...as('dora'), 'Idempotency-Key': 'dora-1' });
    const first = await api.post('/accounts', body, { ...as('dora'), 'Idempotency-Key': 'dora-2' });
    const second = await api.post('/accounts', body, { ...as('dora'), 'Idempotency-Key': '"dora-2"' });

    expect(quoted.status).toBe(201);
    expect(bare.body).toEqual(quoted.body);
    expect(second.body).toEqual(first.body);
    expect(first.body.id).not.toBe(quoted.body.id);
    const [opened] = await eventsOf(quoted.body.id, 'dora');
    expect(opened.metadata.idempotencyKey).toBe('dora-1');
  });
});
