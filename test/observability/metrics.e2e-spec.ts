import request from 'supertest';
// example:start
import { ACCOUNT_SUMMARIES } from '../../src/contexts/accounts/application/account-summaries/list-accounts.query.js';
import { AccountsApi } from '../support/accounts-api.js';
// example:end
import { samples, valueOf } from '../support/prometheus.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signToken, TEST_JWT_SECRET } from '../support/tokens.js';

const METRICS_TOKEN = 'scrape-me-0123456789abcdef';

async function scrape(app: TestApp): Promise<string> {
  const response = await request(app.http).get('/metrics');
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text;
}

describe('GET /metrics', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ env: { FOLLOWER_POLL_MS: '50' } });
  });
  afterAll(() => app?.close());

  it('times requests by route template and status, never by the raw URL', async () => {
    expect(
      (await request(app.http).post('/projections/view-4711/rebuild').set('Content-Type', 'application/json')).status,
    ).toBe(404);
    expect((await request(app.http).get('/no-such-route')).status).toBe(404);

    const text = await scrape(app);
    const labels = { method: 'POST', route: '/projections/:name/rebuild', status_code: '404' };
    expect(valueOf(text, 'chronicle_http_request_duration_seconds_count', labels)).toBe(1);
    expect(valueOf(text, 'chronicle_http_request_duration_seconds_count', { route: 'none', status_code: '404' })).toBe(
      1,
    );
    const routes = samples(text, 'chronicle_http_request_duration_seconds_count').map((sample) => sample.labels.route);
    expect(routes).not.toContainEqual(expect.stringMatching(/view-4711|no-such-route/));
    expect(text).not.toContain('view-4711');
    expect(text).not.toContain('no-such-route');
  });

  it('shows the pool, the oldest transaction and the process', async () => {
    const text = await scrape(app);
    expect(valueOf(text, 'chronicle_db_pool_connections')).toBeGreaterThan(0);
    expect(valueOf(text, 'chronicle_db_pool_idle_connections')).toBeGreaterThanOrEqual(0);
    expect(valueOf(text, 'chronicle_db_pool_waiting_requests')).toBe(0);
    expect(valueOf(text, 'chronicle_oldest_transaction_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(valueOf(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  // example:start
  it('counts appended events by stream type, and a conflict that If-Match provoked', async () => {
    const api = new AccountsApi(app.http);
    const id = await api.open();
    expect((await api.deposit(id, 10)).status).toBe(200);
    expect((await api.deposit(id, 10, { 'If-Match': '"1"' })).status).toBe(409);

    const text = await scrape(app);
    expect(valueOf(text, 'chronicle_events_appended_total', { stream_type: 'Account' })).toBe(2);
    expect(valueOf(text, 'chronicle_concurrency_conflicts_total', { stream_type: 'Account' })).toBe(1);
    expect(samples(text, 'chronicle_command_retries_total')).toEqual([]);
  });

  it('shows every follower position and lag', async () => {
    const api = new AccountsApi(app.http);
    const id = await api.open();
    const { position } = (await api.deposit(id, 5)).body as { position: number };
    const caughtUp = await request(app.http).get(`/accounts?minPosition=${position}`);
    expect(caughtUp.headers['x-projection-position']).toBe(String(position));

    const text = await scrape(app);
    const follower = { follower: ACCOUNT_SUMMARIES };
    expect(valueOf(text, 'chronicle_follower_position', follower)).toBeGreaterThanOrEqual(position);
    expect(valueOf(text, 'chronicle_follower_lag_events', follower)).toBe(0);
    expect(valueOf(text, 'chronicle_follower_lag_seconds', follower)).toBe(0);
    expect(valueOf(text, 'chronicle_follower_held_back', follower)).toBe(0);
    expect(valueOf(text, 'chronicle_follower_failing', follower)).toBe(0);
    expect(samples(text, 'chronicle_follower_position').map((s) => s.labels.follower)).toEqual(
      expect.arrayContaining(['account-statements', 'account-summaries', 'transfer-process']),
    );
  });

  it('counts retries when another instance wrote to the same account first', async () => {
    const other = await createTestApp({ database: app.database, env: { FOLLOWERS: 'off' } });
    try {
      const api = new AccountsApi(app.http);
      const id = await api.open();
      const apis = [api, new AccountsApi(other.http)];
      const retries = async () =>
        [await scrape(app), await scrape(other)]
          .flatMap((text) => samples(text, 'chronicle_command_retries_total', { stream_type: 'Account' }))
          .reduce((sum, sample) => sum + sample.value, 0);
      // Which writer wins is up to the scheduler: keep racing until one had to try again.
      let deposits = 0;
      for (let round = 0; round < 20 && (await retries()) === 0; round++) {
        const answers = await Promise.all(
          Array.from({ length: 8 }, (_, i) => apis[i % 2].deposit(id, 1).then((r) => r.status)),
        );
        expect(answers.every((status) => status === 200)).toBe(true);
        deposits += answers.length;
      }
      expect(await retries()).toBeGreaterThan(0);
      const account = await request(app.http).get(`/accounts/${id}`);
      expect(account.body).toMatchObject({ balance: deposits, version: deposits + 1 });
    } finally {
      await other.close();
    }
  });
  // example:end
});

describe('GET /metrics with authentication on', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ env: { AUTH_JWT_SECRET: TEST_JWT_SECRET, METRICS_TOKEN } });
  });
  afterAll(() => app?.close());

  it('wants METRICS_TOKEN, not a JWT, and keeps the health probes open', async () => {
    const missing = await request(app.http).get('/metrics');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    const jwt = await request(app.http)
      .get('/metrics')
      .set(bearer(signToken({ sub: 'alice', roles: ['admin'] })));
    expect(jwt.status).toBe(401);

    const scraped = await request(app.http).get('/metrics').set(bearer(METRICS_TOKEN));
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('chronicle_oldest_transaction_age_seconds');
    expect((await request(app.http).get('/health/ready')).status).toBe(200);
    expect((await request(app.http).get('/notifications')).status).toBe(401);
  });
});
