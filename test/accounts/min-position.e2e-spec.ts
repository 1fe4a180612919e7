import { jest } from '@jest/globals';
import request from 'supertest';
import { FollowersService } from '#event-sourcing';
import { AccountsApi } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

const FAR = 1_000_000_000_000;

/** Runs the followers. */
let app: TestApp;
/** A second instance on the same database, running no followers, that waits 300 ms at most. */
let other: TestApp;
let api: AccountsApi;

beforeAll(async () => {
  app = await createTestApp();
  other = await createTestApp({
    database: app.database,
    env: { FOLLOWERS: 'off', MIN_POSITION_WAIT_MS: '300', FOLLOWER_POLL_MS: '20' },
  });
  api = new AccountsApi(app.http);
});
afterAll(async () => {
  await other?.close();
  await app?.close();
});

describe('?minPosition=', () => {
  it("wakes when this process's follower moves past the position, without polling its checkpoint", async () => {
    const first = await api.post('/accounts', { owner: 'Waiter One' }).expect(201);
    // The stored checkpoint seems never to move: only a wake-up can end the wait in time.
    const checkpointReads = jest.spyOn(app.app.get(FollowersService), 'checkpoint').mockResolvedValue(0);
    try {
      const reading = request(app.http)
        .get('/accounts')
        .query({ owner: 'Waiter Two', minPosition: first.body.position + 1 })
        .then((response) => response);
      await until(
        async () => checkpointReads.mock.calls.length,
        (reads) => reads > 0,
        'the read to wait',
      );
      const second = await api.post('/accounts', { owner: 'Waiter Two' }).expect(201);

      const response = await reading;
      expect(response.status).toBe(200);
      expect(response.headers['x-projection-stale']).toBeUndefined();
      expect(Number(response.headers['x-projection-position'])).toBeGreaterThanOrEqual(second.body.position);
      expect(response.body.items).toEqual([expect.objectContaining({ id: second.body.id })]);
    } finally {
      checkpointReads.mockRestore();
    }
  });

  it('answers a position the view has not reached by the end of the wait with X-Projection-Stale: true', async () => {
    const opened = await api.post('/accounts', { owner: 'Stale Reader' }).expect(201);
    const id = opened.body.id;
    // The statement exists once the view has the account: waited for with until, since a busy
    // machine may keep the follower longer than one read's wait.
    await until(
      () => request(app.http).get(`/accounts/${id}/statement`).query({ minPosition: opened.body.position }),
      (response) => response.status === 200,
      'the statement view to have the account',
    );
    for (const path of ['/accounts', `/accounts/${id}/statement`]) {
      const response = await request(other.http).get(path).query({ minPosition: FAR });
      expect({ path, status: response.status, stale: response.headers['x-projection-stale'] }).toEqual({
        path,
        status: 200,
        stale: 'true',
      });
      expect(Number(response.headers['x-projection-position'])).toBeLessThan(FAR);
    }
  });
});
