import pg from 'pg';
import request from 'supertest';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACCOUNT_STATEMENTS } from '../../src/contexts/accounts/application/account-statements/get-statement.query.js';
import { ACCOUNT_SUMMARIES } from '../../src/contexts/accounts/application/account-summaries/list-accounts.query.js';
import type { FollowerStatus } from '#event-sourcing';
import { AccountsApi } from '../support/accounts-api.js';
import { valueOf } from '../support/prometheus.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

// Several of the app's polls: long enough for a follower that could advance to do so.
const POLL_MS = 50;
const SETTLE_MS = 10 * POLL_MS;

let app: TestApp;
let api: AccountsApi;

beforeAll(async () => {
  app = await createTestApp({ env: { FOLLOWER_POLL_MS: String(POLL_MS), READY_MAX_FOLLOWER_LAG_SECONDS: '1' } });
  api = new AccountsApi(app.http);
});
afterAll(() => app?.close());

async function projections(): Promise<{ items: FollowerStatus[]; oldestTransactionSeconds: number }> {
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

describe('a long open transaction elsewhere in the database', () => {
  it('pauses followers visibly in /projections, /metrics and readiness; they lose nothing and resume when it ends', async () => {
    const id = await api.open();
    const opened = (await api.deposited(id, 100)).body.position as number;
    await eventually('the views caught up', async () =>
      (await follower(ACCOUNT_SUMMARIES)).checkpoint >= opened ? true : undefined,
    );

    // Taking a transaction id is what holds back the log's readers, here and on every database of the server.
    const holder = new pg.Client({ connectionString: app.database.url });
    await holder.connect();
    let positions: number[];
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_current_xact_id()');

      positions = [];
      for (const amount of [1, 2, 3]) positions.push((await api.deposited(id, amount)).body.position as number);
      await sleep(SETTLE_MS);

      const before = await projections();
      const summaries = before.items.find((item) => item.name === ACCOUNT_SUMMARIES)!;
      expect(summaries).toMatchObject({ heldBack: true, status: 'catching-up', lastError: null });
      expect(summaries.checkpoint).toBeLessThan(positions[0]);
      expect(summaries.lagPositions).toBeGreaterThanOrEqual(3);
      expect(before.oldestTransactionSeconds).toBeGreaterThan(0);

      const text = (await request(app.http).get('/metrics')).text;
      const labels = { follower: ACCOUNT_SUMMARIES };
      expect(valueOf(text, 'chronicle_follower_held_back', labels)).toBe(1);
      expect(valueOf(text, 'chronicle_follower_lag_events', labels)).toBeGreaterThanOrEqual(3);
      expect(valueOf(text, 'chronicle_follower_position', labels)).toBe(summaries.checkpoint);
      expect(valueOf(text, 'chronicle_oldest_transaction_age_seconds')).toBeGreaterThan(0);

      // The pause lasts: the follower stays put while its lag grows.
      await sleep(SETTLE_MS);
      const later = await follower(ACCOUNT_SUMMARIES);
      expect(later.checkpoint).toBe(summaries.checkpoint);
      expect(later.lagSeconds).toBeGreaterThan(summaries.lagSeconds);

      const notReady = await eventually('readiness failed', async () => {
        const response = await request(app.http).get('/health/ready');
        return response.status === 503 ? response : undefined;
      });
      expect(notReady.body.detail).toMatch(/account-summaries \(\d+ s, held back\)/);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
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
      return now.items.every((item) => item.checkpoint >= last) ? views : undefined;
    });
    for (const view of after) expect(view).toMatchObject({ heldBack: false, lagPositions: 0, status: 'live' });
    expect((await request(app.http).get('/health/ready')).status).toBe(200);
  });
});
