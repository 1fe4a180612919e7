import request from 'supertest';
import { AccountsApi } from '../support/accounts-api.js';
import { StreamingReplica } from '../support/streaming-replica.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

let pair: StreamingReplica;
let app: TestApp;
let api: AccountsApi;

beforeAll(async () => {
  pair = await StreamingReplica.start();
  app = await createTestApp({
    database: { url: pair.primaryUrl, drop: async () => undefined },
    env: { DATABASE_REPLICA_URLS: pair.standbyUrl, REPLICA_CHECK_MS: '50', FOLLOWER_POLL_MS: '20' },
  });
  api = new AccountsApi(app.http);
});
afterAll(async () => {
  await app?.close();
  await pair?.stop();
});

const rotation = async () => {
  const response = await request(app.http).get('/health/ready').expect(200);
  return response.body.details.replicas.replicas[0].inRotation as boolean;
};

describe('a read replica that stops and starts again under load', () => {
  it('fails no read: the primary answers while it is out of the rotation, and it is back once it runs', async () => {
    await until(rotation, (inRotation) => inRotation, 'the replica in the rotation');
    const id = await api.open({ owner: 'Under Load' });
    const failures: string[] = [];
    const sources = new Set<string>();
    let reading = true;
    // Readers of every routed kind, without pause, until the replica has been out and back.
    const reader = async () => {
      for (let i = 0; reading; i++) {
        const path = [`/accounts/${id}`, `/accounts/${id}/events`, '/accounts', `/accounts/${id}/statement`][i % 4];
        const response = await request(app.http).get(path);
        if (response.status !== 200) failures.push(`${path}: ${response.status} ${JSON.stringify(response.body)}`);
        else sources.add(`${response.headers['x-read-source']}`);
      }
    };
    const readers = Array.from({ length: 4 }, reader);
    try {
      await until(
        async () => sources,
        (seen) => seen.has('replica'),
        'reads on the replica',
      );
      await pair.stopStandby();
      await until(rotation, (inRotation) => !inRotation, 'the stopped replica out of the rotation');
      sources.clear();
      await until(
        async () => sources,
        (seen) => seen.has('primary'),
        'reads on the primary',
      );
      await api.deposited(id, 5);
      await pair.startStandby();
      await until(rotation, (inRotation) => inRotation, 'the restarted replica back in the rotation');
      sources.clear();
      await until(
        async () => sources,
        (seen) => seen.has('replica'),
        'reads on the replica again',
      );
    } finally {
      reading = false;
      await Promise.all(readers);
    }
    expect(failures).toEqual([]);
  });
});
