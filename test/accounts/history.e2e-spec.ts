import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { AccountsApi, expectProblem, problemType, type EventBody } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

let app: TestApp;
let api: AccountsApi;

beforeAll(async () => {
  app = await createTestApp();
  api = new AccountsApi(app.http);
});
afterAll(() => app?.close());

/** The account after each of its events; index 0 is version 1. */
const states = [
  { version: 1, balance: 0, status: 'open' },
  { version: 2, balance: 1_000, status: 'open' },
  { version: 3, balance: 700, status: 'open' },
  { version: 4, balance: -50, status: 'open' },
  { version: 5, balance: 0, status: 'open' },
  { version: 6, balance: 0, status: 'closed' },
];

describe('an account with a history', () => {
  let id: string;
  let events: EventBody[];

  beforeAll(async () => {
    // A few milliseconds between commands, so that every event has an instant of its
    // own (recordedAt is kept to the millisecond) and asOf can tell them apart.
    const gap = () => sleep(3);
    id = await api.open({ owner: 'Ada', overdraftLimit: 100 });
    await gap();
    await api.deposited(id, 1_000);
    await gap();
    await api.withdraw(id, 300).expect(200);
    await gap();
    await api.withdraw(id, 750).expect(200);
    await gap();
    await api.deposited(id, 50);
    await gap();
    await api.close(id).expect(200);
    events = await api.events(id);
  });

  describe('GET /accounts/{id}/events', () => {
    it('lists every event in version order, in the shape of API.md', async () => {
      expect(events.map((e) => [e.version, e.type, e.data])).toEqual([
        [1, 'AccountOpened', { owner: 'Ada', currency: 'EUR', overdraftLimit: 100 }],
        [2, 'MoneyDeposited', { amount: 1_000 }],
        [3, 'MoneyWithdrawn', { amount: 300 }],
        [4, 'MoneyWithdrawn', { amount: 750 }],
        [5, 'MoneyDeposited', { amount: 50 }],
        [6, 'AccountClosed', {}],
      ]);
      for (const event of events) {
        expect(event).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          position: expect.any(Number),
          streamId: id,
          streamType: 'Account',
          version: expect.any(Number),
          type: expect.any(String),
          // AccountOpened is at schema version 2 since it gained `currency`.
          schemaVersion: event.type === 'AccountOpened' ? 2 : 1,
          data: expect.any(Object),
          metadata: expect.objectContaining({ correlationId: expect.any(String), causationId: expect.any(String) }),
          recordedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        });
      }
      const positions = events.map((e) => e.position);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(new Set(positions).size).toBe(positions.length);
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    });

    it('pages with fromVersion and limit', async () => {
      const page = (query: object) => request(app.http).get(`/accounts/${id}/events`).query(query);
      const versions = async (query: object) => {
        const response = await page(query);
        expect(response.status).toBe(200);
        return (response.body.items as EventBody[]).map((e) => e.version);
      };
      expect(await versions({})).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await versions({ fromVersion: 3 })).toEqual([3, 4, 5, 6]);
      expect(await versions({ limit: 2 })).toEqual([1, 2]);
      expect(await versions({ fromVersion: 2, limit: 3 })).toEqual([2, 3, 4]);
      expect(await versions({ fromVersion: 6, limit: 1000 })).toEqual([6]);
      expect(await versions({ fromVersion: 7 })).toEqual([]);
      expect((await page({ fromVersion: 2, limit: 1 })).body.items).toEqual([events[1]]);
    });

    it.each<[object, string]>([
      [{ fromVersion: 0 }, 'fromVersion'],
      [{ fromVersion: 'abc' }, 'fromVersion'],
      [{ fromVersion: 1.5 }, 'fromVersion'],
      [{ limit: 0 }, 'limit'],
      [{ limit: 1001 }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ limit: ' 5' }, 'limit'],
      [{ after: 3 }, 'after'],
    ])('answers 400 to %j', async (query, field) => {
      const response = await request(app.http).get(`/accounts/${id}/events`).query(query);
      expectProblem(response, 400, { type: problemType('invalid-request'), fields: [field] });
    });

    it('answers 404 for an account that does not exist', async () => {
      const response = await request(app.http).get('/accounts/0196a4c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6/events');
      expectProblem(response, 404, { type: problemType('not-found') });
    });
  });

  describe('GET /accounts/{id}?version=N', () => {
    it('answers the state right after event N, for every N', async () => {
      for (const [i, state] of states.entries()) {
        const response = await api.get(id, { version: state.version });
        expect(response.status).toBe(200);
        expect(response.headers.etag).toBe(`"${state.version}"`);
        expect(response.body).toEqual({
          id,
          owner: 'Ada',
          currency: 'EUR',
          overdraftLimit: 100,
          ...state,
          openedAt: events[0].recordedAt,
          updatedAt: events[i].recordedAt,
        });
      }
    });

    it('answers 404 past the current version', async () => {
      expectProblem(await api.get(id, { version: 7 }), 404, { type: problemType('not-found') });
      expectProblem(await api.get(id, { version: 2_147_483_647 }), 404);
    });

    it.each(['abc', '0', '-1', '1.5', '2147483648', '1e3', '0x10'])('answers 400 to version=%s', async (version) => {
      expectProblem(await api.get(id, { version }), 400, { type: problemType('invalid-request'), fields: ['version'] });
    });
  });

  describe('GET /accounts/{id}?asOf=', () => {
    it('recorded every event at an instant of its own (what the tests below rely on)', () => {
      const instants = events.map((e) => Date.parse(e.recordedAt));
      for (let i = 1; i < instants.length; i++) expect(instants[i]).toBeGreaterThan(instants[i - 1]);
    });

    it("includes an event when given the event's own recordedAt, and nothing recorded later", async () => {
      for (const [i, event] of events.entries()) {
        const response = await api.get(id, { asOf: event.recordedAt });
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ ...states[i], updatedAt: event.recordedAt });
      }
    });

    it('leaves the event out one millisecond before it', async () => {
      for (const [i, event] of events.entries()) {
        if (i === 0) continue;
        const before = new Date(Date.parse(event.recordedAt) - 1).toISOString();
        expect((await api.get(id, { asOf: before })).body).toMatchObject(states[i - 1]);
      }
    });

    it('reads an instant with microseconds or another UTC offset as the same instant', async () => {
      const event = events[2];
      const micro = event.recordedAt.replace('Z', '999Z');
      const at = new Date(event.recordedAt);
      const plusTwo = new Date(at.getTime() + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
      for (const asOf of [micro, plusTwo]) {
        expect((await api.get(id, { asOf })).body).toMatchObject(states[2]);
      }
    });

    it('answers the current state for an instant in the future', async () => {
      expect((await api.get(id, { asOf: '2999-01-01T00:00:00Z' })).body).toMatchObject(states[5]);
    });

    it('answers 404 for an instant before the first event', async () => {
      const before = new Date(Date.parse(events[0].recordedAt) - 1).toISOString();
      expectProblem(await api.get(id, { asOf: before }), 404, { type: problemType('not-found') });
      expectProblem(await api.get(id, { asOf: '2000-01-01T00:00:00Z' }), 404);
    });

    it('answers 400 naming asOf when version is sent too, rather than picking one', async () => {
      const response = await api.get(id, { asOf: events[2].recordedAt, version: 1 });
      expectProblem(response, 400, { type: problemType('invalid-request'), fields: ['asOf'] });
    });

    it.each([
      'yesterday',
      '1700000000000',
      '2026-13-01T00:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-11-27 10:00:00Z',
      // Valid ISO 8601, but no calendar date and time JavaScript can read.
      '2026-W48-5',
      '2026-331',
      '2026-11-27T10:00:00,5Z',
    ])('answers 400 to asOf=%s', async (asOf) => {
      expectProblem(await api.get(id, { asOf }), 400, { type: problemType('invalid-request'), fields: ['asOf'] });
    });
  });
});

it('answers 400 to a query parameter it does not know', async () => {
  const id = await api.open();
  expectProblem(await api.get(id, { at: 3 }), 400, { fields: ['at'] });
});
