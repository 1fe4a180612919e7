import pg from 'pg';
import request from 'supertest';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACCOUNT_STATEMENTS } from '../../src/contexts/accounts/application/account-statements/get-statement.query.js';
import { ACCOUNT_SUMMARIES } from '../../src/contexts/accounts/application/account-summaries/list-accounts.query.js';
import type { FollowerStatus } from '#event-sourcing';
import { AccountsApi } from '../support/accounts-api.js';
import { valueOf } from '../support/prometheus.js';
import { appAs, deliveriesDuringIdleTransactions } from '../support/never-stall.js';
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

async function end(client: pg.Client): Promise<void> {
  await client.query('ROLLBACK');
  await client.end();
}

// The long version (30 s, with the latencies reported) is test/faults/never-stall.e2e-spec.ts.
describe.each([
  ['the role that made the database', false],
  ['a role that is no superuser and has no pg_read_all_stats', true],
])(
  'a transaction that appended nothing, open in this database and in another, with the app connected as %s',
  (_, ordinary) => {
    let target: Awaited<ReturnType<typeof appAs>>;
    beforeAll(async () => {
      target = await appAs(ordinary, { FOLLOWER_POLL_MS: String(POLL_MS), READY_MAX_FOLLOWER_LAG_SECONDS: '1' });
    });
    afterAll(() => target?.close());

    it('holds back no follower, notification, stream or readiness: events committed meanwhile reach them all', async () => {
      const latencies = await deliveriesDuringIdleTransactions(target, SETTLE_MS);
      expect(latencies.length).toBeGreaterThan(0);
    });
  },
);

describe('a checkpoint of a follower this app does not run', () => {
  it('is left out of /projections, the metrics and readiness, however far behind it is', async () => {
    await api.deposited(await api.open(), 1);
    const client = new pg.Client({ connectionString: app.database.url });
    await client.connect();
    try {
      await client.query(`INSERT INTO followers (name, position) VALUES ('retired-view', 0)`);
      // Its lag is the age of the log's first event: past the readiness bound of 1 s.
      await eventually('the retired checkpoint is more than 1 s behind', async () => {
        const { rows } = await client.query(`SELECT now() - min(recorded_at) > interval '2 s' AS old FROM events`);
        return rows[0].old ? true : undefined;
      });
    } finally {
      await client.end();
    }

    const names = (await projections()).items.map((item) => item.name);
    expect(names).toContain(ACCOUNT_SUMMARIES);
    expect(names).not.toContain('retired-view');
    expect((await request(app.http).get('/metrics')).text).not.toContain('retired-view');
    const ready = await request(app.http).get('/health/ready');
    expect(ready.status).toBe(200);
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
