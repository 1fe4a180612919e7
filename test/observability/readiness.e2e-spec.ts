import { randomUUID } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { newEvent } from '../support/event-store-contract.js';
import { appendEvents } from '../support/notification-log.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

async function sql(app: TestApp, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: app.database.url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

function expectNotReady(response: request.Response, detail: RegExp): void {
  expect({ status: response.status, body: response.body }).toMatchObject({
    status: 503,
    body: { type: 'urn:chronicle:problem:not-ready', title: 'Not ready', status: 503 },
  });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.headers['retry-after']).toBe('5');
  expect(response.body.detail).toMatch(detail);
}

describe('GET /health/ready', () => {
  let app: TestApp;

  beforeAll(async () => (app = await createTestApp()));
  afterAll(() => app?.close());

  it('answers 200 when the database answers, migrations ran and followers keep up', async () => {
    await appendEvents(app, randomUUID(), newEvent());
    const response = await request(app.http).get('/health/ready');
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' }, migrations: { status: 'up' }, followers: { status: 'up' } },
    });
  });

  it('answers 503 naming a migration that has not run, and 200 once it has', async () => {
    const [row] = (await sql(app, 'DELETE FROM migrations WHERE id = (SELECT max(id) FROM migrations) RETURNING *'))
      .rows as { id: number; timestamp: string; name: string }[];
    try {
      const response = await request(app.http).get('/health/ready');
      expectNotReady(response, new RegExp(`migrations not applied: ${row.name}`));
      expect(response.body.checks).toMatchObject({ migrations: { status: 'down' }, database: { status: 'up' } });
    } finally {
      await sql(app, 'INSERT INTO migrations (id, timestamp, name) VALUES ($1, $2, $3)', [
        row.id,
        row.timestamp,
        row.name,
      ]);
    }
    expect((await request(app.http).get('/health/ready')).status).toBe(200);
  });
});

describe('GET /health/ready with no instance running followers', () => {
  let app: TestApp;

  // No instance runs followers: events wait unprocessed, as when every follower is stuck.
  beforeAll(async () => (app = await createTestApp({ env: { FOLLOWERS: 'off' } })));
  afterAll(() => app?.close());

  // example:start
  it('answers 503 naming the followers, while GET /health stays 200 (live, not ready)', async () => {
    await appendEvents(app, randomUUID(), newEvent());
    // An hour-old event rather than an hour's wait; no follower has processed it.
    await sql(app, "UPDATE events SET recorded_at = now() - interval '1 hour'");

    const response = await request(app.http).get('/health/ready');
    expectNotReady(
      response,
      /followers more than 60 s behind the log: account-statements \(\d+ s(, held back)?\), account-summaries/,
    );
    expect(response.body.checks).toMatchObject({ followers: { status: 'down' }, database: { status: 'up' } });
    expect((await request(app.http).get('/health')).status).toBe(200);
  });
  // example:end

  it('does not look at followers when READY_MAX_FOLLOWER_LAG_SECONDS is 0', async () => {
    const unchecked = await createTestApp({
      database: app.database,
      env: { FOLLOWERS: 'off', READY_MAX_FOLLOWER_LAG_SECONDS: '0' },
    });
    try {
      const response = await request(unchecked.http).get('/health/ready');
      expect(response.status).toBe(200);
      expect(response.body.details.followers).toMatchObject({ status: 'up', checked: false });
    } finally {
      await unchecked.close();
    }
  });
});
