import request from 'supertest';
import { AccountsApi, expectProblem, problemType } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let app: TestApp;
let api: AccountsApi;

beforeAll(async () => {
  app = await createTestApp();
  api = new AccountsApi(app.http);
});
afterAll(() => app?.close());

describe('POST /accounts', () => {
  it('answers 201 with the id, version 1, the position, a Location and an ETag', async () => {
    const response = await api.post('/accounts', { owner: 'Ada Lovelace' });

    expect(response.status).toBe(201);
    expect(response.headers['content-type']).toMatch(/^application\/json\b/);
    expect(response.body).toEqual({ id: expect.stringMatching(UUID), version: 1, position: expect.any(Number) });
    expect(response.body.position).toBeGreaterThan(0);
    expect(response.headers.location).toBe(`/accounts/${response.body.id}`);
    expect(response.headers.etag).toBe('"1"');

    const [opened] = await api.events(response.body.id);
    expect(opened).toMatchObject({ version: 1, position: response.body.position, type: 'AccountOpened' });
  });

  it('gives every account an id of its own', async () => {
    const ids = await Promise.all([1, 2, 3].map(() => api.open()));
    expect(new Set(ids).size).toBe(3);
  });

  it('opens in EUR with no overdraft by default', async () => {
    const id = await api.open({ owner: 'Grace Hopper' });
    const response = await api.get(id);
    expect(response.body).toMatchObject({ owner: 'Grace Hopper', currency: 'EUR', overdraftLimit: 0, balance: 0 });
  });

  it('opens with the currency and overdraft limit asked for', async () => {
    const id = await api.open({ owner: 'Alan Turing', currency: 'GBP', overdraftLimit: 5_000 });
    const response = await api.get(id);
    expect(response.body).toMatchObject({ owner: 'Alan Turing', currency: 'GBP', overdraftLimit: 5_000 });
  });

  it('accepts the bounds: an owner of 200 characters, an overdraft limit of 1000000000000', async () => {
    const owner = 'o'.repeat(200);
    const id = await api.open({ owner, overdraftLimit: 1_000_000_000_000 });
    expect((await api.get(id)).body).toMatchObject({ owner, overdraftLimit: 1_000_000_000_000 });
  });

  describe.each<[string, unknown, string]>([
    ['a missing owner', { currency: 'EUR' }, 'owner'],
    ['an empty owner', { owner: '' }, 'owner'],
    ['an owner of 201 characters', { owner: 'o'.repeat(201) }, 'owner'],
    ['an owner that is a number', { owner: 42 }, 'owner'],
    ['an owner that is null', { owner: null }, 'owner'],
    // PostgreSQL cannot store NUL: once stored, the views projecting it stopped for good.
    ['an owner with a NUL character', { owner: 'Ada\u0000Lovelace' }, 'owner'],
    // Encoded as UTF-8 a lone surrogate becomes U+FFFD: the owner would not read back as sent.
    ['an owner with a lone surrogate', { owner: 'Ada \ud800' }, 'owner'],
    ['a currency that is no ISO 4217 code', { owner: 'Ada', currency: 'EURO' }, 'currency'],
    ['a currency code in lower case', { owner: 'Ada', currency: 'eur' }, 'currency'],
    ['a currency that is null', { owner: 'Ada', currency: null }, 'currency'],
    ['a negative overdraft limit', { owner: 'Ada', overdraftLimit: -1 }, 'overdraftLimit'],
    ['a fractional overdraft limit', { owner: 'Ada', overdraftLimit: 1.5 }, 'overdraftLimit'],
    ['an overdraft limit as a string', { owner: 'Ada', overdraftLimit: '100' }, 'overdraftLimit'],
    ['an overdraft limit of 1e13', { owner: 'Ada', overdraftLimit: 1e13 }, 'overdraftLimit'],
    ['an overdraft limit of 1e300', { owner: 'Ada', overdraftLimit: 1e300 }, 'overdraftLimit'],
    ['an overdraft limit that is null', { owner: 'Ada', overdraftLimit: null }, 'overdraftLimit'],
    ['an unknown field', { owner: 'Ada', nickname: 'Countess' }, 'nickname'],
    ['an own __proto__ key', JSON.parse('{"owner":"Ada","__proto__":{"x":1}}'), '__proto__'],
    ['a constructor key', { owner: 'Ada', constructor: { prototype: {} } }, 'constructor'],
  ])('with %s', (_, body, field) => {
    it(`answers 400 naming ${field} and opens nothing`, async () => {
      const { result: response, appended } = await api.logDuring(() => api.post('/accounts', body as object));
      expectProblem(response, 400, { type: problemType('invalid-request'), fields: [field] });
      expect(appended).toEqual([]);
    });
  });

  it('answers 400 listing every bad field at once', async () => {
    const response = await api.post('/accounts', { owner: '', currency: 'XYZ', overdraftLimit: -1 });
    expectProblem(response, 400, { fields: ['owner', 'currency', 'overdraftLimit'] });
  });

  it('answers 400 to malformed JSON, and opens nothing', async () => {
    const { result: response, appended } = await api.logDuring(() =>
      request(app.http).post('/accounts').set('Content-Type', 'application/json').send('{"owner": "Ada",'),
    );
    expectProblem(response, 400, { type: problemType('malformed-json') });
    expect(response.body.detail).toMatch(/body is not valid JSON/);
    expect(appended).toEqual([]);
  });

  // class-transformer recursed through it and overflowed the stack: a 500.
  it('answers 400 naming a field nested 10,000 levels deep, and opens nothing', async () => {
    const nested = `{"owner":"Ada","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const { result: response, appended } = await api.logDuring(() =>
      request(app.http).post('/accounts').set('Content-Type', 'application/json').send(nested),
    );
    expectProblem(response, 400, { fields: ['x'] });
    expect(appended).toEqual([]);
  });

  it('answers 400 to a body whose bytes do not match its Content-Encoding', async () => {
    const response = await api.post('/accounts', { owner: 'Ada' }, { 'Content-Encoding': 'gzip' });
    expectProblem(response, 400, { type: problemType('unreadable-body') });
  });

  it('answers 400 to a body that is not a JSON object', async () => {
    const sent = (body: string) =>
      request(app.http).post('/accounts').set('Content-Type', 'application/json').send(body);
    expectProblem(await sent('null'), 400);
    expectProblem(await sent('"Ada"'), 400);
    expectProblem(await sent('[{"owner":"Ada"}]'), 400);
  });

  it('answers 413 to a body over 100 kB, and opens nothing', async () => {
    const { result: response, appended } = await api.logDuring(() =>
      api.post('/accounts', { owner: 'Ada', padding: 'x'.repeat(101 * 1024) }),
    );
    expectProblem(response, 413, { type: problemType('body-too-large') });
    expect(appended).toEqual([]);
  });

  it('reads a body just under the limit (and then refuses its unknown field with 400, not 413)', async () => {
    const response = await api.post('/accounts', { owner: 'Ada', padding: 'x'.repeat(90 * 1024) });
    expectProblem(response, 400, { fields: ['padding'] });
  });
});

describe('POST /accounts with an Idempotency-Key', () => {
  it('answers a repeat with the first response (same account id) and opens nothing more', async () => {
    const headers = { 'Idempotency-Key': 'open-ada-once' };
    const body = { owner: 'Ada', currency: 'CHF', overdraftLimit: 10 };
    const first = await api.post('/accounts', body, headers);
    expect(first.status).toBe(201);

    const { result: again, appended } = await api.logDuring(() => api.post('/accounts', body, headers));
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(appended).toEqual([]);
    expect(await api.events(first.body.id)).toHaveLength(1);
  });

  it('answers 422 to the same key with another body, and opens nothing', async () => {
    const headers = { 'Idempotency-Key': 'open-grace-once' };
    const first = await api.post('/accounts', { owner: 'Grace' }, headers);
    expect(first.status).toBe(201);

    const { result: other, appended } = await api.logDuring(() =>
      api.post('/accounts', { owner: 'Grace', currency: 'USD' }, headers),
    );
    expectProblem(other, 422, { type: problemType('idempotency-key-reused') });
    expect(appended).toEqual([]);
  });

  it.each([
    ['an empty key', ''],
    ['a key of 201 characters', 'k'.repeat(201)],
    ['a key with a space', 'two words'],
  ])('answers 400 to %s', async (_, key) => {
    const { result: response, appended } = await api.logDuring(() =>
      api.post('/accounts', { owner: 'Ada' }, { 'Idempotency-Key': key }),
    );
    expectProblem(response, 400, { fields: ['Idempotency-Key'] });
    expect(appended).toEqual([]);
  });
});

describe('GET /accounts/{id}', () => {
  it('answers every field of the account, with its version as ETag', async () => {
    const id = await api.open({ owner: 'Ada Lovelace', currency: 'EUR', overdraftLimit: 250 });
    await api.deposited(id, 1_000);
    await api.post(`/accounts/${id}/withdrawals`, { amount: 300 }).expect(200);
    const events = await api.events(id);

    const response = await api.get(id);

    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe('"3"');
    expect(response.body).toEqual({
      id,
      owner: 'Ada Lovelace',
      currency: 'EUR',
      balance: 700,
      overdraftLimit: 250,
      status: 'open',
      version: 3,
      openedAt: events[0].recordedAt,
      updatedAt: events[2].recordedAt,
    });
    expect(response.body.openedAt).toMatch(ISO_INSTANT);
  });

  it('reads its own writes: each acknowledged command shows in the next read', async () => {
    const id = await api.open();
    for (let i = 1; i <= 5; i++) {
      const deposit = await api.deposited(id, 10);
      const read = await api.get(id);
      expect(read.body).toMatchObject({ version: deposit.body.version, balance: 10 * i });
    }
  });

  it('answers 404 for an id no account has', async () => {
    expectProblem(await api.get('0196a4c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6'), 404, { type: problemType('not-found') });
  });

  it.each(['not-a-uuid', '1234', '0196a4c2-7a1b-7c3d-8e4f-a1b2c3d4e5f'])('answers 400 to the id %s', async (bad) => {
    expectProblem(await api.get(bad), 400, { type: problemType('invalid-request'), fields: ['id'] });
  });

  it('reads an id written in upper case as the same account', async () => {
    const id = await api.open({ owner: 'Upper' });
    const response = await api.get(id.toUpperCase());
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id, owner: 'Upper' });
    expect((await api.deposit(id.toUpperCase(), 5)).body).toMatchObject({ id, version: 2, balance: 5 });
  });
});
