import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import request from 'supertest';
import { AccountsApi, expectProblem, problemType, type EventBody } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

let app: TestApp;
let api: AccountsApi;
let db: pg.Client;

beforeAll(async () => {
  app = await createTestApp();
  api = new AccountsApi(app.http);
  db = new pg.Client({ connectionString: app.database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await app?.close();
});

/** Stores an event row as older (or newer) code would have, bypassing the app; returns its position. */
async function insertRow(
  streamId: string,
  version: number,
  type: string,
  schemaVersion: number,
  data: object,
): Promise<number> {
  const { rows } = await db.query(
    `INSERT INTO events (event_id, stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at, transaction_id)
     VALUES ($1, $2, 'Account', $3, $4, $5, $6, $7, now(), pg_current_xact_id())
     RETURNING position`,
    [
      randomUUID(),
      streamId,
      version,
      type,
      schemaVersion,
      JSON.stringify(data),
      JSON.stringify({ correlationId: randomUUID(), causationId: randomUUID() }),
    ],
  );
  return Number(rows[0].position);
}

/** The log from the start until it holds `position` (the log serves rows once older transactions ended). */
async function logUpTo(position: number): Promise<EventBody[]> {
  for (let tries = 0; ; tries++) {
    const log = await api.wholeLog();
    if (log.some((e) => e.position === position) || tries > 50) return log;
    await sleep(50);
  }
}

describe('AccountOpened stored at schema version 1 (no currency)', () => {
  const id = randomUUID();
  let position: number;

  beforeAll(async () => {
    position = await insertRow(id, 1, 'AccountOpened', 1, { owner: 'Old Ada', overdraftLimit: 25 });
  });

  const opened = () => ({
    position,
    streamId: id,
    version: 1,
    type: 'AccountOpened',
    schemaVersion: 2,
    data: { owner: 'Old Ada', currency: 'EUR', overdraftLimit: 25 },
  });

  it('reads as version 2 with currency EUR in GET /accounts/{id}/events', async () => {
    const [event] = await api.events(id);
    expect(event).toMatchObject(opened());
  });

  it('reads as version 2 in the notification log', async () => {
    const log = await logUpTo(position);
    expect(log.find((e) => e.position === position)).toMatchObject(opened());
  });

  it('loads the account in GET /accounts/{id}, now and at ?version=1', async () => {
    const now = await api.get(id);
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ id, owner: 'Old Ada', currency: 'EUR', overdraftLimit: 25, version: 1 });
    const then = await api.get(id, { version: 1 });
    expect(then.status).toBe(200);
    expect(then.body).toMatchObject({ id, currency: 'EUR', balance: 0, version: 1 });
  });

  it('takes a deposit: the account loads from the old event and appends a current one', async () => {
    const response = await api.deposited(id, 40);
    expect(response.body).toMatchObject({ id, version: 2 });
    expect((await api.get(id)).body).toMatchObject({ balance: 40, currency: 'EUR', version: 2 });
    const events = await api.events(id);
    expect(events.map((e) => [e.version, e.type, e.schemaVersion, e.data])).toEqual([
      [1, 'AccountOpened', 2, { owner: 'Old Ada', currency: 'EUR', overdraftLimit: 25 }],
      [2, 'MoneyDeposited', 1, { amount: 40 }],
    ]);
    // Stored rows are never rewritten: the first one is still at version 1.
    const { rows } = await db.query('SELECT schema_version, data FROM events WHERE stream_id = $1 ORDER BY version', [
      id,
    ]);
    expect(rows[0]).toEqual({ schema_version: 1, data: { owner: 'Old Ada', overdraftLimit: 25 } });
  });

  it('reaches the account-summaries view through its follower', async () => {
    const response = await request(app.http).get('/accounts').query({ owner: 'Old Ada', minPosition: position });
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([
      expect.objectContaining({ id, owner: 'Old Ada', currency: 'EUR', overdraftLimit: 25 }),
    ]);
  });

  it('keeps a version 2 event as it is', async () => {
    const id2 = await api.open({ owner: 'New Ada', currency: 'EUR' });
    const [event] = await api.events(id2);
    expect(event).toMatchObject({
      type: 'AccountOpened',
      schemaVersion: 2,
      data: { owner: 'New Ada', currency: 'EUR' },
    });
  });
});

// Last in the file: the summaries follower stops at this event for good.
describe('an AccountOpened at a schema version no code knows', () => {
  const id = randomUUID();
  let position: number;

  beforeAll(async () => {
    position = await insertRow(id, 1, 'AccountOpened', 9, { owner: 'Future Ada', currency: 'EUR', limit: 3 });
  });

  it('is a 500 problem naming the event when the account is loaded', async () => {
    const response = await api.get(id);
    expectProblem(response, 500, { type: problemType('unreadable-event') });
    expect(response.body.detail).toBe(
      `Cannot read the event at position ${position} (type AccountOpened, schema version 9): ` +
        'the code reads schema version 2, older than this one',
    );
    expectProblem(await api.deposit(id, 5), 500, { type: problemType('unreadable-event') });
  });

  it('is served as stored by the stream and the log', async () => {
    const stored = {
      position,
      type: 'AccountOpened',
      schemaVersion: 9,
      data: { owner: 'Future Ada', currency: 'EUR', limit: 3 },
    };
    expect((await api.events(id))[0]).toMatchObject(stored);
    expect((await logUpTo(position)).find((e) => e.position === position)).toMatchObject(stored);
  });

  it('stops the followers that handle it, which report it', async () => {
    const failing = async () => {
      for (let tries = 0; tries < 100; tries++) {
        const response = await request(app.http).get('/projections').expect(200);
        const summaries = response.body.items.find((f: { name: string }) => f.name === 'account-summaries');
        if (summaries?.lastError) return summaries;
        await sleep(50);
      }
      throw new Error('the account-summaries follower never reported the event');
    };
    const summaries = await failing();
    expect(summaries).toMatchObject({
      status: 'failing',
      checkpoint: position - 1,
      lastError: {
        position,
        type: 'AccountOpened',
        message: expect.stringContaining(`position ${position} (type AccountOpened, schema version 9)`),
      },
    });
  });
});
