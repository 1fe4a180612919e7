import request from 'supertest';
import { expectProblem } from '../support/problems.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const LIMIT = 3;

describe('the rate limit (RATE_LIMIT_PER_MINUTE), behind one trusted proxy', () => {
  let app: TestApp;
  beforeAll(
    async () => (app = await createTestApp({ env: { RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUST_PROXY_HOPS: '1' } })),
  );
  afterAll(() => app?.close());

  const from = (client: string) => ({ 'X-Forwarded-For': client });

  it('answers the request past the limit with a 429 problem and Retry-After, never counting /health', async () => {
    for (let i = 0; i < LIMIT; i++) {
      expect((await request(app.http).get('/health').set(from('198.51.100.1'))).status).toBe(200);
      expect((await request(app.http).get('/notifications').set(from('198.51.100.1'))).status).toBe(200);
    }
    const refused = await request(app.http).get('/projections').set(from('198.51.100.1'));
    expectProblem(refused, 429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect((await request(app.http).get('/notifications').set(from('198.51.100.1'))).status).toBe(429);
    expect((await request(app.http).get('/health').set(from('198.51.100.1'))).status).toBe(200);
  });

  it('counts each client apart', async () => {
    expect((await request(app.http).get('/notifications').set(from('198.51.100.2'))).status).toBe(200);
  });
});

describe('the rate limit with no trusted proxy', () => {
  let app: TestApp;
  beforeAll(async () => (app = await createTestApp({ env: { RATE_LIMIT_PER_MINUTE: '1' } })));
  afterAll(() => app?.close());

  it('ignores X-Forwarded-For, so a client cannot escape the limit by making one up', async () => {
    expect((await request(app.http).get('/notifications').set('X-Forwarded-For', '192.0.2.1')).status).toBe(200);
    const response = await request(app.http).get('/notifications').set('X-Forwarded-For', '192.0.2.2');
    expectProblem(response, 429);
  });
});

describe('the body limit (BODY_LIMIT)', () => {
  let app: TestApp;
  beforeAll(async () => (app = await createTestApp({ env: { BODY_LIMIT: '1kb' } })));
  afterAll(() => app?.close());

  // The limit holds before routing: a route that reads no body refuses a large one too.
  it('answers a body over it with a 413 problem', async () => {
    const rebuild = (size: number) =>
      request(app.http)
        .post('/projections/no-such-view/rebuild')
        .send({ note: 'x'.repeat(size) });
    expectProblem(await rebuild(2_000), 413);
    // Under the limit the body passes the parser and the route answers: it takes no body.
    expectProblem(await rebuild(200), 400, { fields: ['note'] });
  });
});
