import { randomUUID } from 'node:crypto';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { LiveStreams } from '../../src/event-sourcing/http/live-streams.js';
import { newEvent } from '../support/event-store-contract.js';
import { appendEvents, logThrough, type EventBody } from '../support/notification-log.js';
import { expectProblem, problemType } from '../support/problems.js';
import { SseClient } from '../support/sse-client.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/** How soon a committed event must reach a connected client (the bound). */
const HEARTBEAT_MS = 200;

let app: TestApp;
let baseUrl: string;
let log: EventBody[];
const clients: SseClient[] = [];

async function stream(
  query = '',
  headers: Record<string, string> = {},
  options?: Parameters<typeof SseClient.open>[2],
): Promise<SseClient> {
  const client = await SseClient.open(`${baseUrl}/notifications/stream${query}`, headers, options);
  clients.push(client);
  return client;
}

const controller = () => app.app.get(LiveStreams);

/** The answer to a stream request from `localAddress`, read whole: for a refusal. */
function refusal(localAddress: string): Promise<request.Response> {
  return new Promise((resolve, reject) => {
    const options = { agent: false, localAddress, headers: { Accept: 'text/event-stream' } };
    get(`${baseUrl}/notifications/stream`, options, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode, headers: response.headers, body: JSON.parse(text) } as request.Response),
      );
    }).once('error', reject);
  });
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Not so after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeAll(async () => {
  app = await createTestApp({ env: { SSE_HEARTBEAT_MS: String(HEARTBEAT_MS) } });
  await app.app.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(app.http.address() as AddressInfo).port}`;
  let last = 0;
  for (let i = 0; i < 3; i++) {
    const id = randomUUID();
    await appendEvents(app, id, newEvent('Started', { n: i }));
    last = (await appendEvents(app, id, newEvent('Moved', { by: 10 + i }))).position;
  }
  log = await logThrough(app.http, last);
});
afterAll(async () => {
  for (const client of clients) client.close();
  await app?.close();
});

describe('GET /notifications/stream', () => {
  it('sends the log from the start, after=0, as messages whose ids are the positions, strictly increasing', async () => {
    const client = await stream('?after=0');
    expect(client.response.statusCode).toBe(200);
    expect(client.response.headers['content-type']).toMatch(/^text\/event-stream\b/);
    expect(client.response.headers['cache-control']).toBe('no-cache');
    expect(client.response.headers['x-accel-buffering']).toBe('no');

    await client.until((c) => c.messages.length >= log.length);
    expect(client.events()).toEqual(log);
    expect(client.messages.map((m) => m.id)).toEqual(log.map((e) => String(e.position)));
    expect(client.messages.every((m) => m.event === 'message')).toBe(true);
    const ids = client.messages.map((m) => Number(m.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
    client.close();
  });

  it('starts a stream without Last-Event-ID or after at the head of the log: a position event first, then only new events', async () => {
    const client = await stream();
    const head = log.at(-1)!.position;
    await client.until((c) => c.messages.length > 0);
    expect(client.messages).toEqual([
      { event: 'position', id: String(head), data: JSON.stringify({ position: head }) },
    ]);
    expect(client.lastEventId).toBe(String(head));

    const { position } = await appendEvents(app, randomUUID(), newEvent('Started', { afterHead: true }));
    await client.until((c) => c.messages.length > 1);
    expect(client.events()).toEqual([expect.objectContaining({ position, type: 'Started' })]);
    expect(client.lastEventId).toBe(String(position));
    client.close();
    log = await logThrough(app.http, position);
  });

  // How fast is measured in bench/, not here: a loaded CI machine would make a bound flaky.
  it('pushes each new event on the open stream as it is appended', async () => {
    const client = await stream('', { 'Last-Event-ID': String(log.at(-1)!.position) });
    await client.until((c) => c.comments.includes('heartbeat')); // connected and caught up
    expect(client.messages).toEqual([]);

    for (let i = 0; i < 3; i++) {
      const id = randomUUID();
      const { position } = await appendEvents(app, id, newEvent('Started', { live: i }));
      await client.until((c) => c.messages.some((m) => m.id === String(position)));
      expect(client.events().at(-1)).toMatchObject({ position, streamId: id, type: 'Started', version: 1 });
    }
    const ids = client.messages.map((m) => Number(m.id));
    expect(ids).toHaveLength(3);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
    // What it pushed is what the log serves.
    log = await logThrough(app.http, ids.at(-1)!);
    expect(client.events()).toEqual(log.slice(-3));
    client.close();
  });

  it('resumes with exactly the events after Last-Event-ID', async () => {
    const after = log[3].position;
    const client = await stream('', { 'Last-Event-ID': String(after) });
    await client.until((c) => c.messages.some((m) => m.id === String(log.at(-1)!.position)));
    await client.until((c) => c.comments.includes('heartbeat')); // nothing more comes
    expect(client.events()).toEqual(log.slice(4));
    client.close();
  });

  it('resumes after ?after= for clients that cannot set headers, and lets Last-Event-ID win over it', async () => {
    const byQuery = await stream(`?after=${log[5].position}`);
    const both = await stream(`?after=${log[1].position}`, { 'Last-Event-ID': String(log[6].position) });
    for (const client of [byQuery, both]) {
      await client.until((c) => c.messages.some((m) => m.id === String(log.at(-1)!.position)));
    }
    expect(byQuery.events()).toEqual(log.slice(6));
    expect(both.events()).toEqual(log.slice(7));
    byQuery.close();
    both.close();
  });

  it('sends a heartbeat comment while there is nothing to send', async () => {
    const client = await stream('', { 'Last-Event-ID': String(log.at(-1)!.position) });
    const opened = Date.now();
    await client.until((c) => c.comments.filter((line) => line === 'heartbeat').length >= 2, HEARTBEAT_MS * 10);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(HEARTBEAT_MS * 2 - 50);
    expect(client.messages).toEqual([]);
    client.close();
  });

  it.each([
    ['Last-Event-ID', { 'Last-Event-ID': 'abc' }, ''],
    ['Last-Event-ID', { 'Last-Event-ID': '-1' }, ''],
    ['Last-Event-ID', { 'Last-Event-ID': '1.5' }, ''],
    ['Last-Event-ID', { 'Last-Event-ID': '0x10' }, ''],
    ['Last-Event-ID', { 'Last-Event-ID': '1e3' }, ''],
    ['Last-Event-ID', { 'Last-Event-ID': '' }, ''],
    ['Last-Event-ID', { 'Last-Event-ID': '99999999999999999' }, ''],
    ['after', {}, '?after=-1'],
    ['after', {}, '?after=start'],
    ['after', {}, '?after=1e3'],
    ['after', {}, '?after='],
  ])('answers 400 naming %s to %j %s', async (field, headers, query) => {
    const response = await request(app.http).get(`/notifications/stream${query}`).set(headers);
    expectProblem(response, 400, { type: problemType('invalid-request'), fields: [field] });
  });

  it('refuses a client address more than 10 open streams with a 429 problem and Retry-After, until one closes', async () => {
    await eventually(() => controller().openStreams === 0, 2_000); // the earlier tests' clients
    const head = { 'Last-Event-ID': String(log.at(-1)!.position) };
    const held: SseClient[] = [];
    for (let i = 0; i < 10; i++) held.push(await stream('', head, { localAddress: '127.0.0.2' }));
    expect(held.map((client) => client.response.statusCode)).toEqual(Array(10).fill(200));

    const refused = await refusal('127.0.0.2');
    expectProblem(refused, 429, { type: problemType('too-many-streams') });
    expect(refused.headers['retry-after']).toBe('10');
    // Another address is not held back by this one.
    const other = await stream('', head, { localAddress: '127.0.0.3' });
    expect(other.response.statusCode).toBe(200);

    held.pop()!.close();
    await eventually(() => controller().openStreams === 10, 2_000);
    const again = await stream('', head, { localAddress: '127.0.0.2' });
    expect(again.response.statusCode).toBe(200);
    for (const client of [...held, other, again]) client.close();
  });

  it('cuts a stream whose client cannot keep up, without holding up the others; resumed, the client misses nothing', async () => {
    await eventually(() => controller().openStreams === 0, 2_000);
    const head = { 'Last-Event-ID': String(log.at(-1)!.position) };
    const slow = await stream('', head, { paused: true });
    const steady = await stream('', head);
    await eventually(() => controller().openStreams === 2, 2_000);

    // Until more than MAX_UNSENT_BYTES waits beyond what the kernel buffers on both ends of the
    // connection; in batches far below that bound, which a client that reads takes at once.
    const id = randomUUID();
    const appended: number[] = [];
    for (let i = 0; i < 1_000 && controller().openStreams === 2; i++) {
      const events = Array.from({ length: 20 }, (_, n) => newEvent('Large', { n, text: 'x'.repeat(4_000) }));
      const { position } = await appendEvents(app, id, ...events);
      appended.push(...events.map((_, n) => position - events.length + 1 + n));
    }
    await eventually(() => controller().openStreams === 1, 10_000);
    const last = String(appended.at(-1));
    await steady.until((c) => c.messages.some((m) => m.id === last), 10_000);
    expect(steady.messages.map((m) => Number(m.id))).toEqual(appended);

    slow.resume();
    expect(await slow.ended).toBe(false); // cut, not ended
    expect(slow.messages.length).toBeLessThan(appended.length);
    const resumed = await stream('', { 'Last-Event-ID': slow.messages.at(-1)?.id ?? head['Last-Event-ID'] });
    await resumed.until((c) => c.messages.some((m) => m.id === last), 10_000);
    expect([...slow.events(), ...resumed.events()]).toEqual(steady.events());
    for (const client of [steady, resumed]) client.close();
    log = await logThrough(app.http, appended.at(-1)!);
  });

  it('ends the server loop when the client goes away', async () => {
    await eventually(() => controller().openStreams === 0, 2_000); // the earlier tests' clients
    const client = await stream('', { 'Last-Event-ID': String(log.at(-1)!.position) });
    await client.until((c) => c.comments.includes('heartbeat'));
    expect(controller().openStreams).toBe(1);
    client.close();
    await eventually(() => controller().openStreams === 0, 2_000);
  });

  it('ends open streams on shutdown, so that closing the app does not hang', async () => {
    const open = [await stream('?after=0'), await stream('', { 'Last-Event-ID': String(log.at(-1)!.position) })];
    await open[0].until((c) => c.messages.some((m) => m.id === String(log.at(-1)!.position)));
    for (const client of open) await client.until((c) => c.comments.includes('heartbeat'));
    expect(controller().openStreams).toBe(2);

    // Without ending them, close() would wait for the clients: far longer than the test's timeout.
    await app.close();
    // Ended by the server, cleanly, not cut off.
    for (const client of open) await expect(client.ended).resolves.toBe(true);
    expect(open[0].events()).toEqual(log);
  });
});
