import request from 'supertest';
import { AccountsApi } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signToken, TEST_JWT_SECRET } from '../support/tokens.js';
import { until } from '../support/until.js';

const OWNER = 'Ada Cached-Lovelace';

/** Each read that shows the owner of account `id`; `position` is what a view read waits for. */
const readsOf = (id: string, position: number, firstPosition: number): [string, string][] => [
  ['a full page of the log', `/notifications?after=${firstPosition - 1}&limit=2`],
  ["the account's events", `/accounts/${id}/events`],
  ['the account now', `/accounts/${id}`],
  ['the account at version 1', `/accounts/${id}?version=1`],
  ['the accounts view', `/accounts?minPosition=${position}`],
];

describe('conditional GETs', () => {
  let app: TestApp;
  let api: AccountsApi;
  beforeAll(async () => {
    app = await createTestApp();
    api = new AccountsApi(app.http);
  });
  afterAll(() => app?.close());

  it('answers a conditional GET of every read that showed the owner with 200 and the erased body', async () => {
    const id = await api.open({ owner: OWNER });
    const deposited = await api.deposited(id, 100);
    await api.open({ owner: 'Grace Hopper' });
    const [opened] = await api.events(id);
    const reads = readsOf(id, deposited.body.position, opened.position);

    const before = new Map<string, request.Response>();
    for (const [what, path] of reads) {
      // A page of the log shows an event once every transaction older than its own has ended.
      const response = await until(
        () => request(app.http).get(path),
        (r) => r.status !== 200 || !path.startsWith('/notifications') || r.body.items.length === 2,
        `a full page at ${path}`,
      );
      expect({ what, status: response.status, owner: response.text.includes(OWNER) }).toEqual({
        what,
        status: 200,
        owner: true,
      });
      expect({ what, cacheControl: response.headers['cache-control'] }).toEqual({
        what,
        cacheControl: expect.not.stringMatching(/public|immutable|max-age/),
      });
      before.set(what, response);
    }
    const fullPage = before.get(reads[0][0])!;
    // Unchanged, a page of the log revalidates with 304.
    const unchanged = await request(app.http).get(reads[0][1]).set('If-None-Match', fullPage.headers.etag);
    expect(unchanged.status).toBe(304);

    const erased = await request(app.http)
      .delete(`/accounts/${id}/personal-data`)
      .set('Content-Type', 'application/json')
      .expect(200);

    for (const [what, path] of readsOf(id, erased.body.position, opened.position)) {
      const response = await request(app.http).get(path).set('If-None-Match', before.get(what)!.headers.etag);
      expect({ what, status: response.status, owner: response.text.includes(OWNER) }).toEqual({
        what,
        status: 200,
        owner: false,
      });
      expect({ what, erased: response.text.includes('"owner":"[erased]"') }).toEqual({ what, erased: true });
    }
  });

  it('revalidates a read whose ETag is a hash of its bytes with 304, a response its contract declares', async () => {
    const id = await api.open({ owner: OWNER });
    const { position } = (await api.deposited(id, 100)).body;
    // The contract check of createTestApp fails the file on a 304 that openapi.json does not declare.
    for (const path of [
      `/accounts?minPosition=${position}`,
      `/accounts/${id}/statement?minPosition=${position}`,
      `/accounts/${id}/events`,
      '/health',
    ]) {
      const first = await request(app.http).get(path).expect(200);
      const again = await request(app.http).get(path).set('If-None-Match', first.headers.etag);
      expect({ path, status: again.status, body: again.text }).toEqual({ path, status: 304, body: '' });
    }
  });

  it("answers an aggregate's read whole, whatever If-None-Match says: its ETag is a version", async () => {
    const id = await api.open({ owner: OWNER });
    const first = await request(app.http).get(`/accounts/${id}`).expect(200);
    await request(app.http).get(`/accounts/${id}`).set('If-None-Match', first.headers.etag).expect(200);
  });
});

describe('with AUTH_JWT_SECRET set', () => {
  const ISSUER = 'https://id.example.com';
  const AUDIENCE = 'chronicle';
  const admin = bearer(
    signToken(
      { sub: 'root', roles: ['user', 'admin'] },
      { issuer: ISSUER, audience: AUDIENCE, secret: TEST_JWT_SECRET },
    ),
  );
  let app: TestApp;
  let api: AccountsApi;
  beforeAll(async () => {
    app = await createTestApp({
      env: { AUTH_JWT_SECRET: TEST_JWT_SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE },
    });
    api = new AccountsApi(app.http);
  });
  afterAll(() => app?.close());

  it('lets no shared cache keep an answer to a request with credentials', async () => {
    const id = await api.open({ owner: OWNER }, admin);
    const deposited = await api.deposit(id, 100, admin).expect(200);
    const [opened] = (await request(app.http).get(`/accounts/${id}/events`).set(admin).expect(200)).body.items;
    const answers = [
      ...readsOf(id, deposited.body.position, opened.position).map(([what, path]) => ({
        what,
        response: request(app.http).get(path).set(admin),
      })),
      { what: 'the last page of the log', response: request(app.http).get('/notifications?limit=1000').set(admin) },
      { what: 'a statement', response: request(app.http).get(`/accounts/${id}/statement`).set(admin) },
      { what: 'the followers', response: request(app.http).get('/projections').set(admin) },
      { what: 'a command', response: api.deposit(id, 5, admin) },
      { what: 'a refusal', response: request(app.http).get('/accounts/nope').set(admin) },
    ];
    for (const { what, response } of answers) {
      const { status, headers } = await response;
      expect({ what, status: status < 500, cacheControl: headers['cache-control'] }).toEqual({
        what,
        status: true,
        cacheControl: expect.stringMatching(/^(private, no-cache|no-store)$/),
      });
    }
  });
});
