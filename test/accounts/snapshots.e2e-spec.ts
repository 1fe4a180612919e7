import { Account } from '../../src/contexts/accounts/domain/account.aggregate.js';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import request from 'supertest';
import { AccountsApi, type EventBody } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** Snapshots every 10 events, and a second instance on the same database that neither reads nor writes them. */
let app: TestApp;
let plain: TestApp;
let api: AccountsApi;
let db: pg.Client;

beforeAll(async () => {
  app = await createTestApp({ env: { SNAPSHOT_EVERY_ACCOUNT: '10' } });
  plain = await createTestApp({ database: app.database, env: { SNAPSHOT_EVERY_ACCOUNT: '0', FOLLOWERS: 'off' } });
  api = new AccountsApi(app.http);
  db = new pg.Client({ connectionString: app.database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await plain?.close();
  await app?.close();
});

const snapshotRows = async (id: string) =>
  (await db.query('SELECT version, schema_version FROM snapshots WHERE stream_id = $1 ORDER BY version', [id]))
    .rows as {
    version: number;
    schema_version: number;
  }[];

/** Polls until the snapshots of a stream reach `version` (they are written after the command answered). */
async function snapshotsThrough(id: string, version: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await snapshotRows(id);
    if (rows.some((r) => r.version >= version)) return;
    if (Date.now() > deadline) throw new Error(`No snapshot of ${id} at ${version} or later: ${JSON.stringify(rows)}`);
    await sleep(20);
  }
}

const fetchBoth = async (id: string, query: Record<string, string | number>) => {
  const [withSnapshots, replayed] = await Promise.all([
    request(app.http).get(`/accounts/${id}`).query(query),
    request(plain.http).get(`/accounts/${id}`).query(query),
  ]);
  return {
    withSnapshots: { status: withSnapshots.status, etag: withSnapshots.headers.etag, body: withSnapshots.body },
    replayed: { status: replayed.status, etag: replayed.headers.etag, body: replayed.body },
  };
};

async function expectSameEverywhere(id: string, events: EventBody[]): Promise<void> {
  for (const event of events) {
    const { withSnapshots, replayed } = await fetchBoth(id, { version: event.version });
    expect(withSnapshots.status).toBe(200);
    expect({ version: event.version, ...withSnapshots }).toEqual({ version: event.version, ...replayed });
  }
  // Instants at, just before and just after some events (several events may share a millisecond).
  for (const event of events.filter((_, i) => i % 7 === 0 || i === events.length - 1)) {
    const at = Date.parse(event.recordedAt);
    for (const asOf of [at - 1, at, at + 1].map((t) => new Date(t).toISOString())) {
      const { withSnapshots, replayed } = await fetchBoth(id, { asOf });
      expect({ asOf, ...withSnapshots }).toEqual({ asOf, ...replayed });
    }
  }
  const current = await fetchBoth(id, {});
  expect(current.withSnapshots).toEqual(current.replayed);
  expect(current.withSnapshots.body.version).toBe(events.length);
}

describe('snapshots of an account with a long history', () => {
  let id: string;
  let other: string;
  let events: EventBody[];

  beforeAll(async () => {
    id = await api.open({ owner: 'Ada', overdraftLimit: 500 });
    other = await api.open({ owner: 'Grace' });
    await api.deposited(id, 10_000);
    // A transfer, so the ids of transfers taken part in are part of the state.
    const transfer = await api.post('/transfers', { fromAccountId: id, toAccountId: other, amount: 700 });
    expect(transfer.status).toBe(202);
    // 119 events in all: the next save is the tenth since the last snapshot (the last test needs it).
    for (let i = 0; i < 114; i++) {
      if (i % 3 === 2) await api.withdraw(id, 7 + i).expect(200);
      else await api.deposited(id, 11 + i);
    }
    // Completed: the source's last step (TransferDelivered) is in, so its stream stays as read below.
    const deadline = Date.now() + 20_000;
    while ((await request(app.http).get(`/transfers/${transfer.body.id}`)).body.status !== 'completed') {
      if (Date.now() > deadline) throw new Error('The transfer never completed');
      await sleep(25);
    }
    await api.deposited(id, 1);
    events = await api.events(id);
    await snapshotsThrough(id, events.length - 10);
  });

  it('wrote snapshots about every 10 events', async () => {
    expect(events.length).toBeGreaterThanOrEqual(118);
    const rows = await snapshotRows(id);
    expect(rows.length).toBeGreaterThanOrEqual(10);
    expect(rows.every((r) => r.schema_version === Account.snapshots.version)).toBe(true);
    expect(rows[0].version).toBe(10);
  });

  it('answers every version and some instants as a full replay does', async () => {
    await expectSameEverywhere(id, events);
  });

  it('uses the snapshots (a tampered one shows), on the snapshot instance only', async () => {
    const [{ version }] = (await db.query('SELECT max(version) AS version FROM snapshots WHERE stream_id = $1', [id]))
      .rows as { version: number }[];
    await db.query(
      `UPDATE snapshots SET state = jsonb_set(state, '{balance}', '123456789') WHERE stream_id = $1 AND version = $2`,
      [id, version],
    );
    const { withSnapshots, replayed } = await fetchBoth(id, { version });
    expect(withSnapshots.body.balance).toBe(123_456_789);
    expect(replayed.body.balance).not.toBe(123_456_789);
  });

  it('ignores snapshots of another schema version, and replaces them on the next save', async () => {
    await db.query(`UPDATE snapshots SET schema_version = 999, state = '{"balance": 1}' WHERE stream_id = $1`, [id]);
    await expectSameEverywhere(id, events);

    await api.deposited(id, 5);
    await snapshotsThrough(id, events.length + 1);
    const rows = await snapshotRows(id);
    expect(rows.filter((r) => r.schema_version === Account.snapshots.version).map((r) => r.version)).toEqual([
      events.length + 1,
    ]);
    const current = await fetchBoth(id, {});
    expect(current.withSnapshots).toEqual(current.replayed);
  });
});
