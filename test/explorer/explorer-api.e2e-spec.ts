import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { EventStore, type NewEvent, PersonalDataKeys } from '#event-sourcing';
import type { EventBody } from '../support/notification-log.js';
import { expectProblem } from '../support/problems.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signToken, TEST_JWT_SECRET } from '../support/tokens.js';
import { ERASED_NAME, TestHouseholdModule, Household } from './test-household.module.js';
import { Meter, TestMeterModule } from './test-meter.module.js';

// Streams of a type no aggregate class of the app is stored as: listed and readable, with no states.
const LEGACY = 'ExplorerTestLegacy';
const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

const reading = (kwh: number, schemaVersion = 2): NewEvent => ({
  id: randomUUID(),
  type: 'ExplorerTestMeterRead',
  schemaVersion,
  data: schemaVersion === 1 ? { wh: kwh * 1000 } : { kwh },
  metadata: { correlationId: randomUUID(), causationId: randomUUID() },
});

describe('the explorer API', () => {
  let app: TestApp;
  let lastPosition: number;
  const get = (path: string, query: Record<string, string | number> = {}) =>
    request(app.http).get(`/explorer/api${path}`).query(query);
  const streamIds = async (query: Record<string, string | number>) => {
    const response = await get('/streams', query);
    expect({ status: response.status, body: response.body }).toMatchObject({ status: 200 });
    return (response.body.items as { streamId: string }[]).map((item) => item.streamId);
  };

  beforeAll(async () => {
    // Payloads encrypted at rest: the explorer must show them as the API does, decrypted.
    app = await createTestApp({ env: { EVENT_ENCRYPTION_KEYS: `k1:${ENCRYPTION_KEY}` }, imports: [TestMeterModule] });
    const store = app.app.get(EventStore);
    const append = async (streamId: string, streamType: string, events: NewEvent[]) =>
      (await store.append({ streamId, streamType, expectedVersion: 0, events })).position;
    // meter-a1's first event is stored in schema version 1 (watt-hours).
    await append('meter-a1', Meter.streamType, [reading(1.5, 1), reading(2), reading(4)]);
    await append('meter-a2', Meter.streamType, [reading(1)]);
    await append('meter_b1', Meter.streamType, [reading(1)]);
    await append('meter-b2', Meter.streamType, [reading(1), reading(1)]);
    lastPosition = await append('legacy-1', LEGACY, [reading(9)]);
  });
  afterAll(() => app?.close());

  it('lists the stream types with their number of streams, whether states can be shown, and the last position', async () => {
    const response = await get('/overview');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      streamTypes: [
        { streamType: Meter.streamType, streams: 4, timeTravel: true },
        { streamType: LEGACY, streams: 1, timeTravel: false },
      ].sort((a, b) => a.streamType.localeCompare(b.streamType)),
      lastPosition,
    });
  });

  it('finds streams by the start of their id, of one type or of all, in byte order of their ids', async () => {
    expect(await streamIds({ q: 'meter-', type: Meter.streamType })).toEqual(['meter-a1', 'meter-a2', 'meter-b2']);
    expect(await streamIds({})).toEqual(['legacy-1', 'meter-a1', 'meter-a2', 'meter-b2', 'meter_b1']);
    expect(await streamIds({ type: LEGACY })).toEqual(['legacy-1']);
    expect(await streamIds({ q: 'meter-a', type: LEGACY })).toEqual([]);
  });

  it('finds streams by any part of their id', async () => {
    expect(await streamIds({ q: 'b', match: 'contains' })).toEqual(['meter-b2', 'meter_b1']);
    expect(await streamIds({ q: 'a2', match: 'contains', type: Meter.streamType })).toEqual(['meter-a2']);
  });

  it('takes _ and % in the searched text literally', async () => {
    expect(await streamIds({ q: 'meter_' })).toEqual(['meter_b1']);
    expect(await streamIds({ q: '%' })).toEqual([]);
    expect(await streamIds({ q: '_', match: 'contains' })).toEqual(['meter_b1']);
  });

  it('describes each stream found and pages through them with nextCursor', async () => {
    const pages: { items: { streamId: string }[]; nextCursor: string | null }[] = [];
    let after: string | undefined;
    do {
      const response = await get('/streams', { limit: 2, ...(after === undefined ? {} : { after }) });
      expect(response.status).toBe(200);
      pages.push(response.body);
      after = response.body.nextCursor ?? undefined;
    } while (after !== undefined && pages.length < 10);

    expect(pages.map((page) => [page.items.map((item) => item.streamId), page.nextCursor])).toEqual([
      [['legacy-1', 'meter-a1'], 'meter-a1'],
      [['meter-a2', 'meter-b2'], 'meter-b2'],
      [['meter_b1'], null],
    ]);
    expect(pages[0].items[1]).toEqual({
      streamId: 'meter-a1',
      streamType: Meter.streamType,
      version: 3,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      displayName: null,
    });
  });

  it('refuses a malformed search with the fields at fault', async () => {
    expectProblem(await get('/streams', { match: 'regex', limit: 0 }), 400, { fields: ['match', 'limit'] });
  });

  it('describes one stream, and answers 404 for a stream that has no event', async () => {
    const response = await get('/streams/meter-b2');
    expect(response.body).toMatchObject({
      streamId: 'meter-b2',
      streamType: Meter.streamType,
      version: 2,
      timeTravel: true,
    });
    expect((await get('/streams/legacy-1')).body).toMatchObject({ version: 1, timeTravel: false });
    expectProblem(await get('/streams/meter-zz'), 404);
  });

  it('serves a stream’s events as the API does: decrypted, upcast to the current schema, with their metadata', async () => {
    const response = await get('/streams/meter-a1/events');

    expect(response.status).toBe(200);
    const events = response.body.items as EventBody[];
    expect(events.map((e) => [e.version, e.type, e.schemaVersion, e.data])).toEqual([
      [1, 'ExplorerTestMeterRead', 2, { kwh: 1.5 }],
      [2, 'ExplorerTestMeterRead', 2, { kwh: 2 }],
      [3, 'ExplorerTestMeterRead', 2, { kwh: 4 }],
    ]);
    expect(events[0].metadata).toEqual({ correlationId: expect.any(String), causationId: expect.any(String) });
    const stored: { data: object }[] = await app.app
      .get(DataSource)
      .query(`SELECT data FROM events WHERE stream_id = 'meter-a1' ORDER BY version`);
    for (const { data } of stored) {
      expect(data).not.toHaveProperty('kwh');
      expect(data).not.toHaveProperty('wh');
    }

    const page = await get('/streams/meter-a1/events', { fromVersion: 2, limit: 1 });
    expect((page.body.items as EventBody[]).map((e) => e.version)).toEqual([2]);
    expectProblem(await get('/streams/meter-zz/events'), 404);
  });

  it('rebuilds the aggregate’s state after each version, with the event that produced it', async () => {
    const states = [];
    for (const version of [1, 2, 3]) {
      const response = await get('/streams/meter-a1/state', { version });
      expect(response.status).toBe(200);
      states.push(response.body);
    }

    expect(states.map(({ version, state, event }) => ({ version, state, event: [event.version, event.data] }))).toEqual(
      [
        { version: 1, state: { total: 1.5, readings: [1.5] }, event: [1, { kwh: 1.5 }] },
        { version: 2, state: { total: 3.5, readings: [1.5, 2] }, event: [2, { kwh: 2 }] },
        { version: 3, state: { total: 7.5, readings: [1.5, 2, 4] }, event: [3, { kwh: 4 }] },
      ],
    );
    expect(states[0]).toMatchObject({ streamId: 'meter-a1', streamType: Meter.streamType });
  });

  it('shows the current state without a version, and answers 404 past the last one', async () => {
    expect((await get('/streams/meter-b2/state')).body).toMatchObject({ version: 2, state: { total: 2 } });
    expectProblem(await get('/streams/meter-b2/state', { version: 3 }), 404);
    expectProblem(await get('/streams/meter-b2/state', { version: 0 }), 400, { fields: ['version'] });
    expectProblem(await get('/streams/meter-zz/state'), 404);
  });

  it('answers 422 for the state of a stream whose type no aggregate class of the app is stored as', async () => {
    const response = await get('/streams/legacy-1/state');
    expectProblem(response, 422);
    expect(response.body.detail).toContain(LEGACY);
  });
});

describe('the explorer’s names of streams', () => {
  let app: TestApp;
  const named = (name: string): NewEvent => ({
    id: randomUUID(),
    type: 'ExplorerTestHouseholdNamed',
    schemaVersion: 1,
    data: { name },
    metadata: { correlationId: randomUUID(), causationId: randomUUID() },
  });
  const names = async () => {
    const response = await request(app.http).get('/explorer/api/streams');
    expect(response.status).toBe(200);
    return {
      text: response.text,
      names: Object.fromEntries(
        (response.body.items as { streamId: string; displayName: string | null }[]).map((s) => [
          s.streamId,
          s.displayName,
        ]),
      ),
    };
  };

  beforeAll(async () => {
    app = await createTestApp({ imports: [TestHouseholdModule] });
    const store = app.app.get(EventStore);
    await store.append({
      streamId: 'house-1',
      streamType: Household.streamType,
      expectedVersion: 0,
      events: [named('Ada Lovelace')],
    });
    // Three events: a snapshot (every 2) and an event after it.
    await store.append({
      streamId: 'house-2',
      streamType: Household.streamType,
      expectedVersion: 0,
      events: [named('Grace'), named('Grace B. Murray'), named('Grace Hopper')],
    });
    await store.append({
      streamId: 'house-3',
      streamType: Household.streamType,
      expectedVersion: 0,
      events: [named('')],
    });
    await store.append({ streamId: 'other-1', streamType: LEGACY, expectedVersion: 0, events: [reading(1)] });
  });
  afterAll(() => app?.close());

  it('lists and describes each stream by the name its aggregate class gives its latest state, and null without one', async () => {
    expect((await names()).names).toEqual({
      'house-1': 'Ada Lovelace',
      'house-2': 'Grace Hopper',
      'house-3': null,
      'other-1': null,
    });
    const stream = await request(app.http).get('/explorer/api/streams/house-2');
    expect(stream.body).toMatchObject({ streamId: 'house-2', version: 3, displayName: 'Grace Hopper' });
  });

  it('shows an erased subject’s name as erased, though it had read and cached it before', async () => {
    expect((await names()).names['house-1']).toBe('Ada Lovelace');

    await app.app.get(PersonalDataKeys).erase('house-1');

    const after = await names();
    expect(after.names['house-1']).toBe(ERASED_NAME);
    expect(after.text).not.toContain('Ada Lovelace');
    const stream = await request(app.http).get('/explorer/api/streams/house-1');
    expect(stream.body.displayName).toBe(ERASED_NAME);
    expect(stream.text).not.toContain('Ada Lovelace');
  });
});

describe('the explorer page', () => {
  let app: TestApp;
  beforeAll(async () => (app = await createTestApp()));
  afterAll(() => app?.close());

  it('loads only files of this origin, and allows its inline import map by the hash of its text', async () => {
    const page = await request(app.http).get('/explorer');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);

    const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(page.text)![1];
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain(`script-src 'self' 'sha256-${createHash('sha256').update(importMap).digest('base64')}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");

    const files = [
      ...Object.values(JSON.parse(importMap).imports as Record<string, string>),
      ...[...page.text.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((match) => match[1]),
    ];
    expect(files).toHaveLength(5);
    for (const file of files) {
      expect(file).toMatch(/^\/explorer\//);
      const response = await request(app.http).get(file);
      expect({ file, status: response.status }).toEqual({ file, status: 200 });
      expect(response.headers['content-type']).toMatch(file.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
    }
  });

  it('serves no file it does not list', async () => {
    expectProblem(await request(app.http).get('/explorer/assets/explorer-assets.ts'), 404);
    expectProblem(await request(app.http).get('/explorer/assets/..%2F..%2Fapp.module.ts'), 404);
    expectProblem(await request(app.http).get('/explorer/vendor/constructor'), 404);
  });

  it('is left out of the OpenAPI document', async () => {
    const document = await request(app.http).get('/docs-json');
    expect(Object.keys(document.body.paths).length).toBeGreaterThan(0);
    expect(Object.keys(document.body.paths).filter((path) => path.startsWith('/explorer'))).toEqual([]);
  });

  it('keeps the strict JSON policy on its API', async () => {
    const response = await request(app.http).get('/explorer/api/overview');
    expect(response.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
  });
});

describe('the explorer with NODE_ENV=production', () => {
  let app: TestApp;
  beforeAll(async () => (app = await createTestApp({ env: { NODE_ENV: 'production' } })));
  afterAll(() => app?.close());

  it('is not served unless EXPLORER=on', async () => {
    for (const path of ['/explorer', '/explorer/assets/app.js', '/explorer/api/overview']) {
      expect({ path, status: (await request(app.http).get(path)).status }).toEqual({ path, status: 404 });
    }
  });
});

describe('the explorer with authentication on', () => {
  let app: TestApp;
  beforeAll(async () => (app = await createTestApp({ env: { AUTH_JWT_SECRET: TEST_JWT_SECRET } })));
  afterAll(() => app?.close());

  it('serves its page and files to anyone: they hold no data', async () => {
    expect((await request(app.http).get('/explorer')).status).toBe(200);
    expect((await request(app.http).get('/explorer/assets/app.js')).status).toBe(200);
    expect((await request(app.http).get('/explorer/vendor/preact.mjs')).status).toBe(200);
  });

  it('opens its API only to a token with the admin role', async () => {
    const overview = () => request(app.http).get('/explorer/api/overview');
    expectProblem(await overview(), 401);
    expectProblem(await overview().set(bearer(signToken({ sub: 'alice', roles: ['user'] }))), 403);
    const admitted = await overview().set(bearer(signToken({ sub: 'root', roles: ['admin'] })));
    expect({ status: admitted.status, body: admitted.body }).toMatchObject({ status: 200, body: { lastPosition: 0 } });
  });
});
