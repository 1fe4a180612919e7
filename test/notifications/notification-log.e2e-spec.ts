import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { EventStore } from '#event-sourcing';
import { newEvent } from '../support/event-store-contract.js';
import { appendEvents, logThrough, type EventBody } from '../support/notification-log.js';
import { expectProblem, problemType } from '../support/problems.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

let app: TestApp;
let log: EventBody[];

const page = (query: Record<string, string | number>, headers: Record<string, string> = {}) =>
  request(app.http).get('/notifications').query(query).set(headers);

beforeAll(async () => {
  app = await createTestApp();
  // 3 streams of 3 events, each appended on its own, as commands would: 9 events.
  let last = 0;
  for (let i = 0; i < 3; i++) {
    const id = randomUUID();
    await appendEvents(app, id, newEvent('Started', { n: i }));
    await appendEvents(app, id, newEvent('Moved', { by: 10 }));
    last = (await appendEvents(app, id, newEvent('Moved', { by: 20 }))).position;
  }
  log = await logThrough(app.http, last);
});
afterAll(() => app?.close());

describe('GET /notifications', () => {
  it('serves every event once, in strictly increasing positions, as the streams hold them', async () => {
    expect(log).toHaveLength(9);
    for (let i = 1; i < log.length; i++) expect(log[i].position).toBeGreaterThan(log[i - 1].position);
    const streams = [...new Set(log.map((e) => e.streamId))];
    expect(streams).toHaveLength(3);
    const store = app.app.get(EventStore);
    const fromStreams = (await Promise.all(streams.map((id) => store.readStream(id)))).flat();
    const summary = (e: Pick<EventBody, 'id' | 'position' | 'streamId' | 'version' | 'type' | 'data'>) => [
      e.id,
      e.position,
      e.streamId,
      e.version,
      e.type,
      e.data,
    ];
    expect([...fromStreams].sort((a, b) => a.position - b.position).map(summary)).toEqual(log.map(summary));
  });

  it('gives the reader the same events page by page, following next', async () => {
    const seen: EventBody[] = [];
    let after = 0;
    for (let pages = 0; pages < 20; pages++) {
      const response = await page({ after, limit: 2 });
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(2);
      if (response.body.items.length > 0) expect(response.body.next).toBe(response.body.items.at(-1).position);
      else expect(response.body.next).toBe(after);
      seen.push(...response.body.items);
      if (response.body.items.length === 0) break;
      after = response.body.next;
    }
    expect(seen).toEqual(log);
  });

  it('starts after the position given', async () => {
    const response = await page({ after: log[3].position, limit: 3 });
    expect(response.body.items).toEqual(log.slice(4, 7));
    expect(response.body.next).toBe(log[6].position);
  });

  it('defaults to after=0 and a limit of 100', async () => {
    const response = await request(app.http).get('/notifications');
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual(log);
  });

  it('serves every page with a hash of its bytes as a strong ETag, to revalidate on each use, and answers 304 to it', async () => {
    const full = await page({ after: 0, limit: 4 });
    expect(full.status).toBe(200);
    expect(full.body.items).toEqual(log.slice(0, 4));
    expect(full.headers['cache-control']).toBe('no-cache');
    const etag = full.headers.etag;
    expect(etag).toMatch(/^"[^"]+"$/);

    const again = await page({ after: 0, limit: 4 }, { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(again.text ?? '').toBe('');
    expect(again.headers.etag).toBe(etag);

    const stale = await page({ after: 0, limit: 4 }, { 'If-None-Match': '"something-else"' });
    expect(stale.status).toBe(200);
    expect(stale.body.items).toEqual(log.slice(0, 4));

    const otherPage = await page({ after: log[0].position, limit: 4 });
    expect(otherPage.headers['cache-control']).toBe('no-cache');
    expect(otherPage.headers.etag).not.toBe(etag);
  });

  it('does not let a page that is not full be cached for ever', async () => {
    const partial = await page({ after: log[6].position, limit: 5 });
    expect(partial.status).toBe(200);
    expect(partial.body.items).toEqual(log.slice(7));
    expect(partial.headers['cache-control']).not.toMatch(/immutable|max-age=[1-9]/);

    const empty = await page({ after: log[8].position, limit: 5 });
    expect(empty.body).toEqual({ items: [], next: log[8].position });
    expect(empty.headers['cache-control']).not.toMatch(/immutable|max-age=[1-9]/);
  });

  it('shows a new event once it is committed, after the last page', async () => {
    const id = randomUUID();
    await appendEvents(app, id, newEvent('Started'));
    const { position } = await appendEvents(app, id, newEvent('Moved', { by: 1 }));
    const latest = await logThrough(app.http, position);
    expect(latest.slice(0, log.length)).toEqual(log);
    expect(latest.slice(log.length).map((e) => [e.streamId, e.type])).toEqual([
      [id, 'Started'],
      [id, 'Moved'],
    ]);
  });

  it.each<[Record<string, string | number>, string]>([
    [{ limit: 0 }, 'limit'],
    [{ limit: 1001 }, 'limit'],
    [{ limit: 'all' }, 'limit'],
    [{ after: -1 }, 'after'],
    [{ after: 'start' }, 'after'],
    [{ after: 1.5 }, 'after'],
    [{ after: '0x10' }, 'after'],
    [{ limit: '1e2' }, 'limit'],
    [{ limit: '' }, 'limit'],
    [{ from: 0 }, 'from'],
  ])('answers 400 to %j', async (query, field) => {
    expectProblem(await page(query), 400, { type: problemType('invalid-request'), fields: [field] });
  });

  it('accepts the largest limit, 1000', async () => {
    expect((await page({ limit: 1000 })).status).toBe(200);
  });
});
