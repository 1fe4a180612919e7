import request from 'supertest';
import { expectProblem } from '../support/problems.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signToken, TEST_JWT_SECRET } from '../support/tokens.js';
// example:start
import { until } from '../support/until.js';
// example:end

const ISSUER = 'https://id.example.com';
const AUDIENCE = 'chronicle';
const AUTH_ENV = { AUTH_JWT_SECRET: TEST_JWT_SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE };

const token = (claims: Record<string, unknown>, options: Parameters<typeof signToken>[1] = {}) =>
  signToken(claims, { issuer: ISSUER, audience: AUDIENCE, ...options });
const alice = bearer(token({ sub: 'alice', roles: ['user'] }));
const admin = bearer(token({ sub: 'root', roles: ['user', 'admin'] }));

/** A token whose header says `alg: none` and which carries no signature. */
function unsigned(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: ISSUER, aud: AUDIENCE, ...claims })}.`;
}

function expectUnauthorized(response: request.Response): void {
  expectProblem(response, 401);
  expect(response.headers['www-authenticate']).toMatch(/^Bearer\b/);
}

describe('with AUTH_JWT_SECRET set', () => {
  let app: TestApp;
  beforeAll(async () => (app = await createTestApp({ env: AUTH_ENV })));
  afterAll(() => app?.close());

  it('keeps /health and the API docs public', async () => {
    expect((await request(app.http).get('/health')).status).toBe(200);
    expect((await request(app.http).get('/docs-json')).body.components.securitySchemes).toHaveProperty('bearer');
  });

  it.each([
    ['no Authorization header', {}],
    ['another scheme', { Authorization: `Basic ${Buffer.from('alice:secret').toString('base64')}` }],
    ['a malformed token', { Authorization: 'Bearer not-a-jwt' }],
    ['an expired token', bearer(token({ sub: 'alice' }, { expiresIn: -60 }))],
    ['a token signed with another secret', bearer(token({ sub: 'alice' }, { secret: 'x'.repeat(40) }))],
    ['an unsigned token (alg: none)', bearer(unsigned({ sub: 'alice', roles: ['admin'] }))],
    ['a token for another audience', bearer(token({ sub: 'alice' }, { audience: 'another-api' }))],
    ['a token from another issuer', bearer(token({ sub: 'alice' }, { issuer: 'https://evil.example.com' }))],
    ['a token without a subject', bearer(token({ roles: ['admin'] }))],
  ])('answers %s with 401 and WWW-Authenticate: Bearer', async (_, headers) => {
    expectUnauthorized(await request(app.http).get('/notifications').set(headers));
    expectUnauthorized(
      await request(app.http)
        .post('/projections/some-view/rebuild')
        .set('Content-Type', 'application/json')
        .set(headers),
    );
  });

  it('says why an expired token is refused', async () => {
    const response = await request(app.http)
      .get('/notifications')
      .set(bearer(token({ sub: 'alice' }, { expiresIn: -60 })));
    expectUnauthorized(response);
    expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(response.body.detail).toMatch(/expired/);
  });

  it('guards the notification stream too', async () => {
    expectUnauthorized(await request(app.http).get('/notifications/stream'));
  });

  it('answers a valid token without the admin role with 403 on a rebuild, and lets an admin through', async () => {
    expectProblem(
      await request(app.http).post('/projections/some-view/rebuild').set('Content-Type', 'application/json').set(alice),
      403,
    );
    expectProblem(
      await request(app.http).post('/projections/some-view/rebuild').set('Content-Type', 'application/json').set(admin),
      404,
    );
  });

  // example:start
  it('lets an admin rebuild', async () => {
    const started = await request(app.http)
      .post('/projections/account-summaries/rebuild')
      .set('Content-Type', 'application/json')
      .set(admin);
    expect({ status: started.status, body: started.body }).toEqual({
      status: 202,
      body: { name: 'account-summaries', status: 'rebuilding' },
    });
    await until(
      () => request(app.http).get('/projections').set(admin),
      (response) => response.body.items.every((item: { rebuildingHere: boolean }) => !item.rebuildingHere),
      'the rebuild to end',
    );
  });

  it('lets only an admin erase personal data, and records who did', async () => {
    const { id } = (await request(app.http).post('/accounts').set(alice).send({ owner: 'Ada' })).body;
    expectProblem(
      await request(app.http)
        .delete(`/accounts/${id}/personal-data`)
        .set('Content-Type', 'application/json')
        .set(alice),
      403,
    );
    expect((await request(app.http).get(`/accounts/${id}`).set(alice)).body.owner).toBe('Ada');
    expect(
      (
        await request(app.http)
          .delete(`/accounts/${id}/personal-data`)
          .set('Content-Type', 'application/json')
          .set(admin)
      ).status,
    ).toBe(200);
    const events = (await request(app.http).get(`/accounts/${id}/events`).set(alice)).body.items;
    expect(events.at(-1)).toMatchObject({ type: 'AccountPersonalDataErased', metadata: { actorId: 'root' } });
  });

  it("stores the token's subject as the actorId of every event a command appends, also its process's", async () => {
    const open = async (owner: string) => (await request(app.http).post('/accounts').set(alice).send({ owner })).body;
    const from = await open('Ada');
    const to = await open('Grace');
    expect(
      (await request(app.http).post(`/accounts/${from.id}/deposits`).set(admin).send({ amount: 500 })).status,
    ).toBe(200);
    const transfer = await request(app.http)
      .post('/transfers')
      .set(alice)
      .send({ fromAccountId: from.id, toAccountId: to.id, amount: 200 });
    expect(transfer.status).toBe(202);
    await until(
      () => request(app.http).get(`/transfers/${transfer.body.id}`).set(alice),
      (response) => response.body.status === 'completed',
      'the transfer to complete',
    );
    type Event = { type: string; metadata: { actorId?: string } };
    const events = async (id: string) =>
      (await request(app.http).get(`/accounts/${id}/events`).set(alice)).body.items as Event[];
    const actors = (list: Event[]) => list.map((event) => [event.type, event.metadata.actorId]);
    expect(actors(await events(from.id))).toEqual([
      ['AccountOpened', 'alice'],
      ['MoneyDeposited', 'root'],
      ['TransferSent', 'alice'],
      // Recorded before the transfer completes, so present once it has.
      ['TransferDelivered', 'alice'],
    ]);
    expect(actors(await events(to.id))).toEqual([
      ['AccountOpened', 'alice'],
      ['TransferReceived', 'alice'],
    ]);
  });
  // example:end
});

describe('with authentication and a rate limit', () => {
  let app: TestApp;
  beforeAll(async () => (app = await createTestApp({ env: { ...AUTH_ENV, RATE_LIMIT_PER_MINUTE: '1' } })));
  afterAll(() => app?.close());

  it('counts requests before it checks their tokens, so forged tokens cannot be tried without limit', async () => {
    const forged = bearer(token({ sub: 'alice' }, { secret: 'y'.repeat(40) }));
    expectUnauthorized(await request(app.http).get('/notifications').set(forged));
    expectProblem(await request(app.http).get('/notifications').set(forged), 429);
  });
});
