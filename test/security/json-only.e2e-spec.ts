import { jest } from '@jest/globals';
import pg from 'pg';
import request from 'supertest';
import { FollowersService } from '#event-sourcing';
import { expectProblem, problemType } from '../support/problems.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signToken, TEST_JWT_SECRET } from '../support/tokens.js';

type Method = 'get' | 'post' | 'delete';

/** What a page on another site can send without a CORS preflight (a "simple request"), and other bodies that are not JSON. */
const NOT_JSON: [string, (test: request.Test, body: object | undefined) => request.Test][] = [
  ['no Content-Type', (test) => test],
  ['text/plain', (test, body) => test.set('Content-Type', 'text/plain').send(JSON.stringify(body ?? {}))],
  ['a form', (test) => test.type('form').send('owner=Mallory&amount=100')],
  ['multipart', (test) => test.set('Content-Type', 'multipart/form-data; boundary=x').send('--x--')],
  [
    'application/problem+json',
    (test, body) => test.set('Content-Type', 'application/problem+json').send(JSON.stringify(body ?? {})),
  ],
];

describe.each([
  ['authentication off', {}, {}],
  ['authentication on', { AUTH_JWT_SECRET: TEST_JWT_SECRET }, bearer(signToken({ sub: 'root', roles: ['admin'] }))],
])('with %s, every state-changing request', (_, env, headers) => {
  let app: TestApp;
  // example:start
  let id: string;
  let other: string;
  // example:end
  let rebuild: ReturnType<typeof jest.spyOn>;

  const send = (method: Method, path: string) => request(app.http)[method](path).set(headers);
  const json = (method: Method, path: string, body?: object) => {
    const test = send(method, path).set('Content-Type', 'application/json');
    return body === undefined ? test : test.send(body);
  };

  // The store itself, not the notification log, which shows an event only once every earlier one is visible.
  const stored = async () => {
    const db = new pg.Client({ connectionString: app.database.url });
    await db.connect();
    try {
      return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0].n;
    } finally {
      await db.end();
    }
  };

  beforeAll(async () => {
    app = await createTestApp({ env });
    // example:start
    id = (await json('post', '/accounts', { owner: 'Ada Lovelace' }).expect(201)).body.id;
    other = (await json('post', '/accounts', { owner: 'Grace Hopper' }).expect(201)).body.id;
    // example:end
    rebuild = jest.spyOn(app.app.get(FollowersService), 'rebuild');
  });
  afterAll(() => app?.close());

  const commands = (): [Exclude<Method, 'get'>, string, object | undefined][] => [
    ['post', '/projections/account-summaries/rebuild', undefined],
    // example:start
    ['post', '/accounts', { owner: 'Mallory' }],
    ['post', `/accounts/${id}/deposits`, { amount: 100 }],
    ['post', `/accounts/${id}/withdrawals`, { amount: 1 }],
    ['post', `/accounts/${id}/close`, undefined],
    ['delete', `/accounts/${id}/personal-data`, undefined],
    ['post', '/transfers', { fromAccountId: id, toAccountId: other, amount: 1 }],
    // example:end
  ];

  it.each(NOT_JSON)('that is not application/json (%s) answers 415 and changes nothing', async (_, as) => {
    const before = await stored();
    for (const [method, path, body] of commands()) {
      const response = await as(send(method, path), body);
      expectProblem(response, 415, { type: problemType('unsupported-media-type') });
      expect(response.body.detail).toMatch(/Content-Type: application\/json/);
    }
    expect(await stored()).toBe(before);
    expect(rebuild).not.toHaveBeenCalled();
    // example:start
    const account = await send('get', `/accounts/${id}`).expect(200);
    expect(account.body).toMatchObject({ owner: 'Ada Lovelace', status: 'open', balance: 0 });
    // example:end
  });

  it('is taken with Content-Type: application/json, a command without a body too', async () => {
    // Routed, hence no 415: the follower does not exist.
    expectProblem(await json('post', '/projections/no-such-view/rebuild'), 404);
    // example:start
    const closed = await json('post', `/accounts/${other}/close`);
    expect({ status: closed.status, body: closed.body }).toMatchObject({ status: 200, body: { version: 2 } });
    await json('delete', `/accounts/${other}/personal-data`).expect(200);
    await json('post', `/accounts/${id}/deposits`, { amount: 5 })
      .set('Content-Type', 'application/json; charset=utf-8')
      .expect(200);
    // example:end
  });
});

describe('the Swagger UI at /docs', () => {
  let app: TestApp;
  beforeAll(async () => (app = await createTestApp()));
  afterAll(() => app?.close());

  it('sends Content-Type: application/json with every command it tries out, those without a body too', async () => {
    const init = await request(app.http).get('/docs/swagger-ui-init.js').expect(200);
    const options = /let options = ([\s\S]*?);\s*url = options\.swaggerUrl/.exec(init.text)?.[1];
    // The options as the browser evaluates them.
    const { requestInterceptor } = new Function(`return ${options}`)().customOptions as {
      requestInterceptor: (request: { method: string; headers: Record<string, string> }) => unknown;
    };
    expect(requestInterceptor({ method: 'POST', headers: {} })).toEqual({
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(requestInterceptor({ method: 'GET', headers: {} })).toEqual({ method: 'GET', headers: {} });
  });
});
