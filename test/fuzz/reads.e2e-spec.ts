import { jest } from '@jest/globals';
import fc from 'fast-check';
import request from 'supertest';
import { headerJunk, idSegment, queryPairs, queryText, queryValue } from './arbitraries.js';
import { FUZZ_TIMEOUT_MS, Fuzzer, runsOf } from './fuzzer.js';

jest.setTimeout(FUZZ_TIMEOUT_MS);

/** Generated requests per property: 3,000 in all, with commands.e2e-spec.ts over 5,000 (a fifth outside CI, {@link runsOf}). */
const RUNS = runsOf({ account: 700, accounts: 600, transfer: 200, notifications: 400, stream: 500, operations: 600 });
const PLANNED = Object.values(RUNS).reduce((a, b) => a + b, 0);

const POSITION = /^\d{1,16}$/;
const isPosition = (text: string) => POSITION.test(text.trim()) && Number(text) <= Number.MAX_SAFE_INTEGER;

let fuzzer: Fuzzer;
let account: string;
let transfer: string;
beforeAll(async () => {
  fuzzer = await Fuzzer.start();
  const http = fuzzer.app.http;
  account = (await request(http).post('/accounts').send({ owner: 'Fuzz' }).expect(201)).body.id;
  const other = (await request(http).post('/accounts').send({ owner: 'Fuzz' }).expect(201)).body.id;
  await request(http).post(`/accounts/${account}/deposits`).send({ amount: 100 }).expect(200);
  const requested = { fromAccountId: account, toAccountId: other, amount: 10 };
  transfer = (await request(http).post('/transfers').send(requested).expect(202)).body.id;
  // Let the transfer settle (its 9th event is TransferCompleted), so that nothing appends while the properties count events.
  await request(http).get('/accounts').query({ minPosition: 9 }).expect(200);
});
afterAll(() => fuzzer?.close());

const small = fc.integer({ min: 0, max: 5 }).map(String);
// A valid minPosition past the log's head waits 5 s: generate junk or one already reached.
const minPosition = fc.constant('0');
const notAWait = (pairs: [string, string][]) =>
  pairs.every(([key, value]) => key !== 'minPosition' || !isPosition(value) || Number(value) === 0);

function get(path: string, pairs: [string, string][], fields: string[], headers?: Record<string, string>) {
  const query = pairs.length > 0 ? `?${queryText(pairs)}` : '';
  return fuzzer.send({
    method: 'get',
    path: `${path}${query}`,
    headers,
    blame: [...fields, ...pairs.map(([key]) => key), 'id', 'Last-Event-ID'],
  });
}

/** Whether the stream refuses these: a bad Last-Event-ID, or an `after` that is bad or doubled, or an unknown key. */
function streamRefused(lastEventId: string | null, pairs: [string, string][]): boolean {
  const afters = pairs.filter(([key]) => key === 'after');
  return (
    (lastEventId !== null && !isPosition(lastEventId)) ||
    afters.length > 1 ||
    pairs.some(([key, value]) => key !== 'after' || !isPosition(value))
  );
}

const accountSegment = () => fc.oneof({ arbitrary: fc.constant(''), weight: 3 }, { arbitrary: idSegment, weight: 2 });
const segmentOr = (id: string, segment: string) => (segment === '' ? id : segment);

describe('generated reads: never a 5xx, every refusal a problem naming its field, and nothing appended', () => {
  it(`GET /accounts/{id}, /events, /statement (${RUNS.account} requests)`, async () => {
    const views = {
      '': { version: small, asOf: fc.date({ noInvalidDate: true }).map((date) => date.toISOString()) },
      '/events': { fromVersion: small, limit: small },
      '/statement': { fromVersion: small, limit: small, minPosition },
    };
    const arbitrary = fc
      .constantFrom(...(Object.keys(views) as (keyof typeof views)[]))
      .chain((view) => fc.tuple(fc.constant(view), accountSegment(), queryPairs(views[view])))
      .filter(([, , pairs]) => notAWait(pairs));
    await fuzzer.check(RUNS.account, arbitrary, ([view, segment, pairs]) =>
      get(`/accounts/${segmentOr(account, segment)}${view}`, pairs, Object.keys(views[view])),
    );
  });

  it(`GET /accounts (${RUNS.accounts} requests)`, async () => {
    const fields = {
      limit: small,
      cursor: fc.constant(Buffer.from(account).toString('base64url')),
      owner: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
      minPosition,
    };
    const arbitrary = queryPairs(fields).filter(notAWait);
    await fuzzer.check(RUNS.accounts, arbitrary, (pairs) => get('/accounts', pairs, Object.keys(fields)));
  });

  it(`GET /transfers/{id} (${RUNS.transfer} requests)`, async () => {
    await fuzzer.check(RUNS.transfer, accountSegment(), (segment) =>
      get(`/transfers/${segmentOr(transfer, segment)}`, [], []),
    );
  });

  it(`GET /notifications (${RUNS.notifications} requests)`, async () => {
    const fields = { after: small, limit: small };
    await fuzzer.check(RUNS.notifications, queryPairs(fields), (pairs) =>
      get('/notifications', pairs, Object.keys(fields)),
    );
  });

  // A valid request opens an endless stream: only refusals are generated.
  it(`GET /notifications/stream with a bad Last-Event-ID or after (${RUNS.stream} requests)`, async () => {
    const lastEventId = fc.option(
      fc.oneof(
        headerJunk,
        queryValue.filter((text) => !/[^\t\x20-\x7e\x80-\xff]/.test(text)),
      ),
    );
    const arbitrary = fc
      .tuple(lastEventId, queryPairs({ after: small }))
      .filter(([id, pairs]) => streamRefused(id, pairs));
    await fuzzer.check(RUNS.stream, arbitrary, async ([id, pairs]) => {
      const response = await get('/notifications/stream', pairs, ['after'], id === null ? {} : { 'Last-Event-ID': id });
      expect(response.status).toBe(400);
    });
  });

  it(`GET /projections, GET /health, POST /projections/{name}/rebuild (${RUNS.operations} requests)`, async () => {
    const name = fc.oneof(
      fc.constantFrom('account-summaries', 'account-statements', 'transfer-process', '__proto__', 'constructor'),
      idSegment,
    );
    const arbitrary = fc.tuple(fc.constantFrom('/projections', '/health', 'rebuild'), name, queryPairs({}));
    await fuzzer.check(RUNS.operations, arbitrary, ([route, segment, pairs]) =>
      route === 'rebuild'
        ? fuzzer.send({ method: 'post', path: `/projections/${segment}/rebuild`, blame: [] })
        : get(route, pairs, []),
    );
  });

  it(`sent at least ${PLANNED} generated requests`, () => {
    expect(fuzzer.sent).toBeGreaterThanOrEqual(PLANNED);
  });
});
