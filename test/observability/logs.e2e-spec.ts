import request from 'supertest';
import { setTimeout as sleep } from 'node:timers/promises';
import { TRANSFER_PROCESS } from '../../src/contexts/transfers/application/transfer-process/transfer.process-manager.js';
import { AccountsApi } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

type LogLine = Record<string, unknown> & {
  level: number;
  msg: string;
  correlationId?: string;
  context?: string;
  req?: { method: string; url: string; headers: Record<string, string> };
  res?: { statusCode: number; headers: Record<string, string> };
};

// An owner's name is personal data: it may be in the events (sealed), never in the logs.
const OWNER = 'Zebulon Quillfeather-Marchbanks';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const written: string[] = [];
let app: TestApp;
let api: AccountsApi;

beforeAll(async () => {
  app = await createTestApp({
    env: { LOG_LEVEL: 'debug', FOLLOWER_POLL_MS: '50' },
    logs: { write: (chunk: string) => void written.push(chunk) },
  });
  api = new AccountsApi(app.http);
});
afterAll(() => app?.close());

/** Every line written so far, parsed: each must be one JSON object. */
function lines(): LogLine[] {
  return written.flatMap((chunk) => chunk.split('\n').filter((line) => line !== '')).map((line) => JSON.parse(line));
}

const requestLine = (method: string, url: string) =>
  lines().find((line) => line.req?.method === method && line.req.url === url && line.msg === 'request completed');

describe('logs', () => {
  it('writes one JSON line per request with the X-Correlation-Id it was sent, and answers with it', async () => {
    const response = await api.post('/accounts', { owner: 'Ada Lovelace' }, { 'X-Correlation-Id': 'order-4711' });
    expect(response.status).toBe(201);
    expect(response.headers['x-correlation-id']).toBe('order-4711');

    const line = requestLine('POST', '/accounts');
    expect(line).toMatchObject({ correlationId: 'order-4711', res: { statusCode: 201 } });
    // The answer's headers that say something of it, not the security headers every answer has.
    expect(line!.res!.headers).toEqual({
      'content-type': expect.stringMatching(/^application\/json/),
      'content-length': expect.any(String),
      etag: expect.any(String),
      location: expect.stringMatching(/^\/accounts\//),
    });
    expect(line!.level).toBe(30);
    expect(typeof line!.responseTime).toBe('number');
  });

  it('gives a request without X-Correlation-Id one id for its log line, its answer and its events', async () => {
    const id = await api.open();
    const response = await api.deposit(id, 25);
    expect(response.status).toBe(200);
    const correlationId = response.headers['x-correlation-id'];
    expect(correlationId).toMatch(UUID);

    expect(requestLine('POST', `/accounts/${id}/deposits`)?.correlationId).toBe(correlationId);
    const [, deposited] = await api.events(id);
    expect(deposited.metadata.correlationId).toBe(correlationId);
  });

  it("carries an event's correlation id into the lines of the followers and process managers that handle it", async () => {
    const from = await api.open();
    const to = await api.open();
    await api.deposited(from, 50);
    const started = await api.post(
      '/transfers',
      { fromAccountId: from, toAccountId: to, amount: 20 },
      { 'X-Correlation-Id': 'transfer-77' },
    );
    expect(started.status).toBe(202);
    const transfer = `/transfers/${started.body.id as string}`;
    for (let tries = 0; (await request(app.http).get(transfer)).body.status !== 'completed'; tries++) {
      if (tries > 200) throw new Error('the transfer did not complete');
      await sleep(25);
    }

    const handled = lines().filter((line) => line.correlationId === 'transfer-77' && line.msg.startsWith('handled '));
    const byProcess = handled.filter((line) => line.context === `Follower ${TRANSFER_PROCESS}`);
    // TransferRequested, then the source's TransferSent and the destination's TransferReceived.
    expect(byProcess.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['handled TransferRequested', 'handled TransferSent', 'handled TransferReceived']),
    );
    for (const line of byProcess) {
      expect(line).toMatchObject({ level: 20, follower: TRANSFER_PROCESS, position: expect.any(Number) });
    }
    expect(handled.some((line) => line.context === 'Follower account-summaries')).toBe(true);
  });

  it('keeps credentials and probes out of the logs', async () => {
    const id = await api.open();
    await request(app.http)
      .get(`/accounts/${id}`)
      .set('Authorization', 'Bearer secret-token-value')
      .set('Proxy-Authorization', 'Basic secret-proxy-value')
      .set('X-Api-Key', 'secret-api-key-value')
      .set('Cookie', 'session=secret-cookie-value')
      .set('User-Agent', 'logs-spec');
    await request(app.http).get('/health');
    await request(app.http).get('/metrics');

    // Headers a request line keeps are named, not the ones it leaves out: a gateway's or a
    // client's own credential header (X-Api-Key) is as secret as Authorization.
    const line = requestLine('GET', `/accounts/${id}`);
    expect(line?.req?.headers).toMatchObject({ 'user-agent': 'logs-spec' });
    expect(Object.keys(line!.req!.headers)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/authorization|cookie|x-api-key/)]),
    );
    expect(written.join('')).not.toMatch(/secret-(token|proxy|api-key|cookie)-value/);
    expect(requestLine('GET', '/health')).toBeUndefined();
    expect(requestLine('GET', '/metrics')).toBeUndefined();
  });

  it('keeps owner names out of the logs, whatever the requests that held one', async () => {
    const id = await api.open({ owner: OWNER });
    const search = encodeURIComponent(OWNER);
    // Reads that name the owner in the query, until the view has it.
    await until(
      () => request(app.http).get(`/accounts?owner=${search}`),
      (response) => response.body.items?.length === 1,
      'the account in the view',
    );
    await request(app.http).get(`/explorer/api/streams?q=${search}`).expect(200);
    await request(app.http).get(`/accounts/${id}`).set('Referer', `http://localhost/explorer?q=${search}`).expect(200);
    // Refusals with the name in the body or the query.
    await api.post('/accounts', { owner: OWNER, currency: 'not-a-currency' }).expect(400);
    await api.post('/accounts', { owner: OWNER, note: OWNER }).expect(400);
    const asText = JSON.stringify({ owner: OWNER });
    await request(app.http).post('/accounts').set('Content-Type', 'text/plain').send(asText).expect(415);
    await request(app.http).get(`/accounts?owner=${search}&limit=0`).expect(400);
    await request(app.http).delete(`/accounts/${id}/personal-data`).set('Content-Type', 'application/json').expect(200);

    // The name's first part would show it in any encoding: plain, percent-encoded or in JSON.
    expect(
      written
        .join('')
        .split('\n')
        .filter((line) => line.includes('Zebulon')),
    ).toEqual([]);
    expect(requestLine('GET', '/accounts?owner=[Redacted]&limit=[Redacted]')).toBeDefined();
  });
});
