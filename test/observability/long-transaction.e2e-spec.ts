import type { AddressInfo } from 'node:net';
import pg from 'pg';
import request from 'supertest';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACCOUNT_STATEMENTS } from '../../src/contexts/accounts/application/account-statements/get-statement.query.js';
import { ACCOUNT_SUMMARIES } from '../../src/contexts/accounts/application/account-summaries/list-accounts.query.js';
import type { FollowerStatus } from '#event-sourcing';
import { AccountsApi } from '../support/accounts-api.js';
import { valueOf } from '../support/prometheus.js';
import { SseClient } from '../support/sse-client.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase } from '../support/test-database.js';

// Several of the app's polls: long enough for a follower that could advance to do so.
const POLL_MS = 50;
const SETTLE_MS = 10 * POLL_MS;

let app: TestApp;
let api: AccountsApi;
let baseUrl: string;

beforeAll(async () => {
  app = await createTestApp({ env: { FOLLOWER_POLL_MS: String(POLL_MS), READY_MAX_FOLLOWER_LAG_SECONDS: '1' } });
  await app.app.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(app.http.address() as AddressInfo).port}`;
  api = new AccountsApi(app.http);
});
afterAll(() => app?.close());

interface Projections {
  items: FollowerStatus[];
  oldestAppendSeconds: number;
}

async function projections(): Promise<Projections> {
  const response = await request(app.http).get('/projections');
  expect(response.status).toBe(200);
  return response.body;
}

async function follower(name: string): Promise<FollowerStatus> {
  return (await projections()).items.find((item) => item.name === name)!;
}

/** Polls `probe` until it returns something other than undefined; fails after `timeoutMs`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(POLL_MS);
  }
}

/** A session that opened a transaction and took a transaction id, then sits idle in it. */
async function idleTransaction(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT txid_current()');
  return client;
}

async function end(client: pg.Client, statement = 'ROLLBACK'): Promise<void> {
  await client.query(statement);
  await client.end();
}

describe('a transaction that appended nothing, open in this database and in another', () => {
  it('holds back no follower, notification or stream: events committed meanwhile reach them all', async () => {
    const id = await api.open();
    const other = await createTestDatabase();
    const holders = [await idleTransaction(app.database.url), await idleTransaction(other.url)];
    const stream = await SseClient.open(`${baseUrl}/notifications/stream`);
    try {
      await stream.until((client) => client.messages.length > 0);
      const positions: number[] = [];
      for (const amount of [1, 2, 3]) positions.push((await api.deposited(id, amount)).body.position as number);
      const last = positions[positions.length - 1];

      // All while both transactions are still open.
      await stream.until((client) => client.events().some((event) => event.position === last));
      const page = await request(app.http).get('/notifications').query({ after: positions[0] - 1 });
      expect(page.body.items.map((event: { position: number }) => event.position)).toEqual(
        expect.arrayContaining(positions),
      );
      const views = await eventually('every follower read the deposits', async () => {
        const now = await projections();
        return now.items.every((item) => item.checkpoint >= last) ? now : undefined;
      });
      for (const item of views.items) expect(item).toMatchObject({ heldBack: false, lagPositions: 0 });
      expect(views.oldestAppendSeconds).toBe(0);
      const statement = await request(app.http).get(`/accounts/${id}/statement`).query({ minPosition: last });
      expect(statement.body.items.map((line: { amount: number }) => line.amount)).toEqual([1, 2, 3]);
      expect((await request(app.http).get('/health/ready')).status).toBe(200);
    } finally {
      stream.close();
      for (const holder of holders) await end(holder);
      await other.drop();
    }
  });
});

describe('an append that does not end', () => {
  it('holds followers back from the positions after its own, visibly with its age; they lose nothing and resume when it ends', async () => {
    const id = await api.open();
    const opened = (await api.deposited(id, 100)).body.position as number;
    await eventually('the views caught up', async () =>
      (await follower(ACCOUNT_SUMMARIES)).checkpoint >= opened ? true : undefined,
    );

    // An append in a transaction left open: it took a position, and its marker with it.
    const holder = new pg.Client({ connectionString: app.database.url });
    await holder.connect();
    let positions: number[];
    try {
      await holder.query('BEGIN');
      await holder.query(
        `SELECT chronicle_append('held-stream', 'Thing', NULL, ARRAY[gen_random_uuid()], ARRAY['Held'], ARRAY[1],
                                 ARRAY['{}'::jsonb], ARRAY['{}'::jsonb], NULL, NULL, NULL)`,
      );

      positions = [];
      for (const amount of [1, 2, 3]) positions.push((await api.deposited(id, amount)).body.position as number);
      await sleep(SETTLE_MS);

      const before = await projections();
      const summaries = before.items.find((item) => item.name === ACCOUNT_SUMMARIES)!;
      expect(summaries).toMatchObject({ heldBack: true, status: 'catching-up', lastError: null });
      expect(summaries.checkpoint).toBeLessThan(positions[0]);
      expect(summaries.lagPositions).toBeGreaterThanOrEqual(3);
      expect(before.oldestAppendSeconds).toBeGreaterThan(0);

      const text = (await request(app.http).get('/metrics')).text;
      const labels = { follower: ACCOUNT_SUMMARIES };
      expect(valueOf(text, 'chronicle_follower_held_back', labels)).toBe(1);
      expect(valueOf(text, 'chronicle_follower_lag_events', labels)).toBeGreaterThanOrEqual(3);
      expect(valueOf(text, 'chronicle_follower_position', labels)).toBe(summaries.checkpoint);
      expect(valueOf(text, 'chronicle_oldest_append_age_seconds')).toBeGreaterThan(0);

      // The pause lasts: the follower stays put while its lag and the append's age grow.
      await sleep(SETTLE_MS);
      const later = await projections();
      const laterSummaries = later.items.find((item) => item.name === ACCOUNT_SUMMARIES)!;
      expect(laterSummaries.checkpoint).toBe(summaries.checkpoint);
      expect(laterSummaries.lagSeconds).toBeGreaterThan(summaries.lagSeconds);
      expect(later.oldestAppendSeconds).toBeGreaterThan(before.oldestAppendSeconds);

      const notReady = await eventually('readiness failed', async () => {
        const response = await request(app.http).get('/health/ready');
        return response.status === 503 ? response : undefined;
      });
      expect(notReady.body.detail).toMatch(/account-summaries \(\d+ s, held back\)/);
    } finally {
      await end(holder);
    }

    const last = positions[positions.length - 1];
    const listed = await request(app.http).get('/accounts').query({ minPosition: last });
    expect(listed.headers['x-projection-position']).toBe(String(last));
    expect(listed.body.items.find((item: { id: string }) => item.id === id)).toMatchObject({ balance: 106 });
    const statement = await request(app.http).get(`/accounts/${id}/statement`).query({ minPosition: last });
    expect(statement.body.items.map((line: { amount: number }) => line.amount)).toEqual([100, 1, 2, 3]);

    // Every follower, not only the views: readiness counts the transfer process too, whose events were held back as long.
    const after = await eventually('every follower caught up', async () => {
      const now = await projections();
      const views = now.items.filter((item) => [ACCOUNT_SUMMARIES, ACCOUNT_STATEMENTS].includes(item.name));
      return now.items.every((item) => item.checkpoint >= last) ? { now, views } : undefined;
    });
    for (const view of after.views) expect(view).toMatchObject({ heldBack: false, lagPositions: 0, status: 'live' });
    expect(after.now.oldestAppendSeconds).toBe(0);
    expect((await request(app.http).get('/health/ready')).status).toBe(200);
  });
});
