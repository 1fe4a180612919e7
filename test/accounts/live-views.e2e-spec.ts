import { getDataSourceToken } from '@nestjs/typeorm';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { LiveStreams } from '#event-sourcing/http';
import { AccountsApi, type EventBody, type Headers } from '../support/accounts-api.js';
import { expectProblem, problemType } from '../support/problems.js';
import { SseClient } from '../support/sse-client.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signToken, TEST_JWT_SECRET } from '../support/tokens.js';

const HEARTBEAT_MS = 200;
const MAX_STREAMS = 4;

const alice = bearer(signToken({ sub: 'alice' }));
const bob = bearer(signToken({ sub: 'bob' }));
const teller = bearer(signToken({ sub: 'tom', roles: ['teller'] }));

/** An app listening on a port, for SSE clients of their own, and the clients to close after its tests. */
async function listening(env: NodeJS.ProcessEnv) {
  const app = await createTestApp({
    env: { SSE_HEARTBEAT_MS: String(HEARTBEAT_MS), SSE_MAX_STREAMS_PER_CLIENT: String(MAX_STREAMS), ...env },
  });
  await app.app.listen(0, '127.0.0.1');
  return { app, baseUrl: `http://127.0.0.1:${(app.http.address() as AddressInfo).port}` };
}

describe('live views, with authentication on', () => {
  let app: TestApp;
  let baseUrl: string;
  let api: AccountsApi;
  let mine: string;
  let theirs: string;
  const clients: SseClient[] = [];

  /** A ticket `who` asked for, to open `path` once. */
  async function ticketFor(who: Headers, path: string): Promise<string> {
    const response = await api.post('/stream-tickets', { path }, who);
    expect({ status: response.status, body: response.body }).toMatchObject({
      status: 201,
      body: { path, ticket: expect.stringMatching(/^[\w-]{43}$/), expiresAt: expect.any(String) },
    });
    return response.body.ticket as string;
  }

  async function open(path: string, headers: Headers = {}, localAddress?: string): Promise<SseClient> {
    const client = await SseClient.open(`${baseUrl}${path}`, headers, { localAddress });
    clients.push(client);
    return client;
  }

  /** Opens `path` with a fresh ticket of `who`, as a browser's EventSource would: no Authorization. */
  async function follow(who: Headers, path: string, query = '', headers: Headers = {}): Promise<SseClient> {
    const ticket = await ticketFor(who, path);
    const client = await open(`${path}?ticket=${ticket}${query}`, headers);
    expect(client.response.statusCode).toBe(200);
    return client;
  }

  async function deposit(id: string, who: Headers, amount = 10): Promise<number> {
    const response = await api.deposit(id, amount, who).expect(200);
    return response.body.position as number;
  }

  const ids = (client: SseClient) => client.events().map((e) => e.position);
  const positions = (client: SseClient) => client.messages.filter((m) => m.event === 'position').map((m) => m.data);

  beforeAll(async () => {
    ({ app, baseUrl } = await listening({ AUTH_JWT_SECRET: TEST_JWT_SECRET }));
    api = new AccountsApi(app.http);
    mine = await api.open({ owner: 'Alice' }, alice);
    theirs = await api.open({ owner: 'Bob' }, bob);
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await app?.close();
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  it("follows an account with a ticket: from the head, only that account's events, ids the positions", async () => {
    const head = await deposit(mine, alice);
    const client = await follow(alice, `/accounts/${mine}/stream`);
    await client.until((c) => c.lastEventId === String(head));
    expect(positions(client)).toEqual([JSON.stringify({ position: head })]);
    expect(ids(client)).toEqual([]);

    const other = await deposit(theirs, bob);
    const own = await deposit(mine, alice, 25);
    await client.until((c) => ids(c).length > 0);
    expect(client.events()).toEqual([
      expect.objectContaining({ position: own, streamId: mine, type: 'MoneyDeposited', data: { amount: 25 } }),
    ]);
    expect(ids(client)).toEqual([own]);
    expect(other).toBeLessThan(own);
  });

  it('moves the resume point past events the stream may not see, by an id on its heartbeat', async () => {
    const client = await follow(alice, `/accounts/${mine}/stream`);
    await client.until((c) => c.lastEventId !== '');
    const other = await deposit(theirs, bob);
    await client.until((c) => c.lastEventId === String(other));
    // A position event, which a page reads as it reads messages (event.lastEventId), and no message.
    expect(positions(client).at(-1)).toBe(JSON.stringify({ position: other }));
    expect(ids(client)).toEqual([]);
  });

  it('resumes after Last-Event-ID, with a new ticket, missing nothing and repeating nothing', async () => {
    const first = await follow(alice, `/accounts/${mine}/stream`);
    await first.until((c) => c.lastEventId !== '');
    const seen = await deposit(mine, alice, 1);
    await first.until((c) => ids(c).length === 1);
    first.close();

    // While it is away: its account's events and another's.
    const missed = [await deposit(mine, alice, 2), await deposit(theirs, bob, 3), await deposit(mine, alice, 4)];
    const resumed = await follow(alice, `/accounts/${mine}/stream`, '', { 'Last-Event-ID': first.lastEventId });
    await resumed.until((c) => ids(c).length === 2);
    expect(ids(first)).toEqual([seen]);
    expect(ids(resumed)).toEqual([missed[0], missed[2]]);
    expect(resumed.events().map((e) => e.data)).toEqual([{ amount: 2 }, { amount: 4 }]);

    // EventSource cannot set the header on a new object: ?after= does the same.
    const byQuery = await follow(alice, `/accounts/${mine}/stream`, `&after=${seen}`);
    await byQuery.until((c) => ids(c).length === 2);
    expect(ids(byQuery)).toEqual(ids(resumed));
  });

  it("follows the list: a subject's own accounts, a teller's all of them", async () => {
    const own = await follow(alice, '/accounts/stream');
    const all = await follow(teller, '/accounts/stream');
    for (const client of [own, all]) await client.until((c) => c.lastEventId !== '');

    const opened = await api.open({ owner: 'Alice again' }, alice);
    const other = await deposit(theirs, bob, 7);
    const into = await deposit(opened, alice, 8);
    await own.until((c) => ids(c).length === 2);
    await all.until((c) => ids(c).length === 3);
    expect(own.events().map((e) => [e.streamId, e.type])).toEqual([
      [opened, 'AccountOpened'],
      [opened, 'MoneyDeposited'],
    ]);
    expect(ids(all)).toEqual([ids(own)[0], other, into]);
    // What the streams sent is what the accounts' events read.
    const served: EventBody[] = [];
    for (const id of [opened, theirs]) {
      served.push(...(await request(app.http).get(`/accounts/${id}/events`).set(teller).expect(200)).body.items);
    }
    const sent = ids(all);
    expect(all.events()).toEqual(
      served.filter((e) => sent.includes(e.position)).sort((a, b) => a.position - b.position),
    );
  });

  it('refuses a used ticket with 401', async () => {
    const path = `/accounts/${mine}/stream`;
    const ticket = await ticketFor(alice, path);
    const client = await open(`${path}?ticket=${ticket}`);
    expect(client.response.statusCode).toBe(200);
    const again = await request(app.http).get(`${path}?ticket=${ticket}`);
    expectProblem(again, 401);
    expect(again.headers['www-authenticate']).toBe('Bearer');
    expect(again.body.detail).toMatch(/used/);
  });

  it('refuses an expired ticket with 401', async () => {
    const path = `/accounts/${mine}/stream`;
    const ticket = await ticketFor(alice, path);
    await app.app
      .get<DataSource>(getDataSourceToken())
      .query(`UPDATE stream_tickets SET expires_at = now() - interval '1 second'`);
    const response = await request(app.http).get(`${path}?ticket=${ticket}`);
    expectProblem(response, 401);
    expect(response.body.detail).toMatch(/expired/);
  });

  it.each([
    ['a malformed ticket', '?ticket=abc'],
    ['no ticket and no token', ''],
    ['two tickets', '?ticket=a&ticket=b'],
  ])('refuses %s with 401', async (_, query) => {
    const response = await request(app.http).get(`/accounts/${mine}/stream${query}`);
    expectProblem(response, 401);
  });

  it('refuses a ticket for another resource with 403, for another subject as that subject is refused', async () => {
    const forList = await ticketFor(alice, '/accounts/stream');
    expectProblem(await request(app.http).get(`/accounts/${mine}/stream?ticket=${forList}`), 403);

    // Bob's account, asked for by Alice: the 404 of a missing account, as every route on it answers her.
    const forTheirs = await ticketFor(alice, `/accounts/${theirs}/stream`);
    const response = await request(app.http).get(`/accounts/${theirs}/stream?ticket=${forTheirs}`);
    expectProblem(response, 404, { type: problemType('not-found') });

    // Alice's ticket sent beside Bob's token.
    const forMine = await ticketFor(alice, `/accounts/${mine}/stream`);
    expectProblem(await request(app.http).get(`/accounts/${mine}/stream?ticket=${forMine}`).set(bob), 403);
  });

  it('takes no ticket on the whole log, which needs the operator role', async () => {
    const ticket = await ticketFor(bearer(signToken({ sub: 'root', roles: ['admin'] })), '/notifications/stream');
    const response = await request(app.http).get(`/notifications/stream?ticket=${ticket}`);
    expectProblem(response, 401);
    expectProblem(await request(app.http).get('/notifications/stream?after=0').set(teller), 403);
  });

  it('asks for a token to issue a ticket, and a path without a query', async () => {
    const anonymous = await request(app.http)
      .post('/stream-tickets')
      .send({ path: `/accounts/${mine}/stream` });
    expectProblem(anonymous, 401);
    expectProblem(await api.post('/stream-tickets', { path: '/accounts/stream?after=1' }, alice), 400, {
      fields: ['path'],
    });
    expectProblem(await api.post('/stream-tickets', {}, alice), 400, { fields: ['path'] });
  });

  it('counts live views against SSE_MAX_STREAMS_PER_CLIENT', async () => {
    const address = '127.0.0.5';
    const path = `/accounts/${mine}/stream`;
    for (let i = 0; i < MAX_STREAMS; i++) {
      const client = await open(`${path}?ticket=${await ticketFor(alice, path)}`, {}, address);
      expect(client.response.statusCode).toBe(200);
    }
    const refused = await SseClient.open(
      `${baseUrl}${path}?ticket=${await ticketFor(alice, path)}`,
      {},
      {
        localAddress: address,
      },
    );
    clients.push(refused);
    expect(refused.response.statusCode).toBe(429);
    expect(refused.response.headers['retry-after']).toBe('10');
    expect(app.app.get(LiveStreams).openStreams).toBe(MAX_STREAMS);
  });
});

describe('live views, with authentication off (development)', () => {
  let app: TestApp;
  let baseUrl: string;
  const clients: SseClient[] = [];
  beforeAll(async () => ({ app, baseUrl } = await listening({})));
  afterAll(async () => {
    for (const client of clients) client.close();
    await app?.close();
  });

  it('serves the views without a ticket, and with one it ignores', async () => {
    const api = new AccountsApi(app.http);
    const id = await api.open();
    const issued = await api.post('/stream-tickets', { path: `/accounts/${id}/stream` }).expect(201);
    const plain = await SseClient.open(`${baseUrl}/accounts/${id}/stream?after=0`);
    const ticketed = await SseClient.open(`${baseUrl}/accounts/stream?after=0&ticket=${issued.body.ticket}`);
    clients.push(plain, ticketed);
    const { position } = (await api.deposit(id, 5).expect(200)).body as { position: number };
    for (const client of [plain, ticketed]) {
      await client.until((c) => c.messages.some((m) => m.id === String(position)));
      expect(client.events().map((e) => e.type)).toEqual(['AccountOpened', 'MoneyDeposited']);
    }
  });

  it('answers 404 for an account that does not exist, before any stream', async () => {
    const response = await request(app.http).get('/accounts/0196a4c2-0000-7000-8000-000000000000/stream');
    expectProblem(response, 404, { type: problemType('not-found') });
  });
});
