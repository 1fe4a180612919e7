import type { OpenAPIObject, ResponseObject } from '@nestjs/swagger';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import {
  createChronicleClient,
  ifMatch,
  isProblem,
  problemType,
  ProblemError,
  unwrap,
  versionOf,
  type ChronicleClient,
  type Problem,
} from '../../clients/typescript/src/index.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { signToken, TEST_JWT_SECRET } from '../support/tokens.js';
import { until } from '../support/until.js';

const document: OpenAPIObject = JSON.parse(await readFile(new URL('../../openapi.json', import.meta.url), 'utf8'));

/** The problem types openapi.json documents for a route and status. */
function documentedProblems(method: 'get' | 'post' | 'delete', path: string, status: number): string[] {
  const response = document.paths[path][method]!.responses[status] as ResponseObject;
  const examples = response.content!['application/problem+json'].examples!;
  return Object.values(examples).map((example) => (example as { value: Problem }).value.type);
}

/** A refusal as the client types it, checked against what openapi.json promises for the route. */
function expectDocumentedProblem(
  error: Problem | undefined,
  response: Response,
  route: [method: 'get' | 'post' | 'delete', path: string],
  slug: string,
): void {
  expect(error).toMatchObject({ type: problemType(slug), status: response.status, detail: expect.any(String) });
  expect(response.headers.get('Content-Type')).toMatch(/^application\/problem\+json/);
  expect(documentedProblems(...route, response.status)).toContain(problemType(slug));
}

async function listen(app: TestApp): Promise<string> {
  await app.app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.http.address() as AddressInfo).port}`;
}

describe('the typed client against the running app', () => {
  let app: TestApp;
  let client: ChronicleClient;
  beforeAll(async () => {
    app = await createTestApp();
    client = createChronicleClient(await listen(app));
  });
  afterAll(() => app?.close());

  const open = async (owner: string) => {
    const { data, response } = await client.POST('/accounts', { body: { owner, overdraftLimit: 500 } });
    expect(response.status).toBe(201);
    expect(response.headers.get('Location')).toBe(`/accounts/${data!.id}`);
    return data!;
  };

  it('opens an account, deposits idempotently, refuses an overdraft and a stale If-Match, and reads it back', async () => {
    const opened = await open('Ada Lovelace');
    expect(opened).toEqual({ id: expect.any(String), version: 1, position: expect.any(Number) });
    const { id } = opened;

    const deposit = () =>
      client.POST('/accounts/{id}/deposits', {
        params: { path: { id }, header: { 'Idempotency-Key': 'salary-2026-11', 'If-Match': ifMatch(1) } },
        body: { amount: 10_000 },
      });
    const first = await deposit();
    const balance: number = first.data!.balance;
    expect(balance).toBe(10_000);
    expect(versionOf(first.response)).toBe(2);
    // The same key and body again: the first answer, and nothing appended (still version 2).
    expect((await deposit()).data).toEqual(first.data);

    const overdraft = await client.POST('/accounts/{id}/withdrawals', {
      params: { path: { id } },
      body: { amount: 10_501 },
    });
    expect(overdraft.data).toBeUndefined();
    expectDocumentedProblem(
      overdraft.error,
      overdraft.response,
      ['post', '/accounts/{id}/withdrawals'],
      'insufficient-funds',
    );
    expect(isProblem(overdraft.error, 'insufficient-funds')).toBe(true);
    await expect(
      unwrap(client.POST('/accounts/{id}/withdrawals', { params: { path: { id } }, body: { amount: 10_501 } })),
    ).rejects.toThrow(ProblemError);

    const stale = await client.POST('/accounts/{id}/withdrawals', {
      params: { path: { id }, header: { 'If-Match': ifMatch(1) } },
      body: { amount: 100 },
    });
    expectDocumentedProblem(
      stale.error,
      stale.response,
      ['post', '/accounts/{id}/withdrawals'],
      'concurrency-conflict',
    );

    const invalid = await client.POST('/accounts/{id}/deposits', { params: { path: { id } }, body: { amount: 0 } });
    expectDocumentedProblem(invalid.error, invalid.response, ['post', '/accounts/{id}/deposits'], 'invalid-request');
    expect(invalid.error!.errors).toEqual([{ field: 'amount', message: expect.any(String) }]);

    const read = await client.GET('/accounts/{id}', { params: { path: { id } } });
    expect(read.data).toMatchObject({ id, owner: 'Ada Lovelace', balance: 10_000, status: 'open', version: 2 });
    expect(versionOf(read.response)).toBe(2);
    const past = await unwrap(client.GET('/accounts/{id}', { params: { path: { id }, query: { version: 1 } } }));
    expect(past.balance).toBe(0);

    const unknown = await client.GET('/accounts/{id}', {
      params: { path: { id: '01a21d09-0000-7000-8000-000000000000' } },
    });
    expectDocumentedProblem(unknown.error, unknown.response, ['get', '/accounts/{id}'], 'not-found');
  });

  it('lists accounts once the view has caught up with a position, and says how far it is', async () => {
    const { id, position } = await open('Grace Hopper');
    const { data, response } = await until(
      () => client.GET('/accounts', { params: { query: { owner: 'Grace Hopper', minPosition: position } } }),
      ({ data }) => data?.items.some((account) => account.id === id) ?? false,
      'the account list to show the new account',
    );
    expect(Number(response.headers.get('X-Projection-Position'))).toBeGreaterThanOrEqual(position);
    expect(data!.items).toEqual([expect.objectContaining({ id, owner: 'Grace Hopper', balance: 0, version: 1 })]);
    expect(data!.nextCursor).toBeNull();
  });

  it('requests a transfer, follows it to completed, and finds its events in the notification log', async () => {
    const from = await open('Payer');
    const to = await open('Payee');
    await unwrap(
      client.POST('/accounts/{id}/deposits', { params: { path: { id: from.id } }, body: { amount: 5_000 } }),
    );

    const requested = await client.POST('/transfers', {
      params: { header: { 'Idempotency-Key': 'rent-2026-11', 'X-Correlation-Id': 'client-e2e-rent' } },
      body: { fromAccountId: from.id, toAccountId: to.id, amount: 2_000 },
    });
    expect(requested.response.status).toBe(202);
    expect(requested.data).toMatchObject({ status: 'requested', version: 1 });
    const transferId = requested.data!.id;
    expect(requested.response.headers.get('Location')).toBe(`/transfers/${transferId}`);
    expect(requested.response.headers.get('X-Correlation-Id')).toBe('client-e2e-rent');

    const done = await until(
      () => unwrap(client.GET('/transfers/{id}', { params: { path: { id: transferId } } })),
      (transfer) => transfer.status === 'completed' || transfer.status === 'failed',
      'the transfer to complete',
    );
    expect(done).toMatchObject({ fromAccountId: from.id, toAccountId: to.id, amount: 2_000, status: 'completed' });
    expect(done.reason).toBeUndefined();
    const balanceOf = async (id: string) =>
      (await unwrap(client.GET('/accounts/{id}', { params: { path: { id } } }))).balance;
    expect([await balanceOf(from.id), await balanceOf(to.id)]).toEqual([3_000, 2_000]);

    const sameAccount = await client.POST('/transfers', {
      body: { fromAccountId: from.id, toAccountId: from.id, amount: 1 },
    });
    expectDocumentedProblem(sameAccount.error, sameAccount.response, ['post', '/transfers'], 'same-account');

    // The log only serves events of transactions older than any still running on the server.
    const log = await until(
      () => unwrap(client.GET('/notifications', { params: { query: { after: 0, limit: 1000 } } })),
      (page) => page.items.some((event) => event.streamId === transferId && event.type === 'TransferCompleted'),
      'the log to hold the completed transfer',
    );
    const transferEvents = log.items.filter((event) => event.streamId === transferId);
    expect(transferEvents.map((event) => event.type)).toEqual([
      'TransferRequested',
      'TransferDebited',
      'TransferCompleted',
    ]);
    expect(transferEvents[0].metadata).toMatchObject({ correlationId: 'client-e2e-rent' });
    const positions = log.items.map((event) => event.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(log.next).toBe(positions.at(-1));
  });

  it('sends Content-Type: application/json with the commands that take no body, as the API requires', async () => {
    const { id } = await open('Closing Time');
    const erased = await client.DELETE('/accounts/{id}/personal-data', { params: { path: { id } } });
    expect(erased.response.status).toBe(200);
    const closed = await client.POST('/accounts/{id}/close', { params: { path: { id } } });
    expect({ status: closed.response.status, data: closed.data }).toMatchObject({ status: 200, data: { id } });
  });
});

describe('the typed client with authentication on', () => {
  let app: TestApp;
  let url: string;
  beforeAll(async () => {
    app = await createTestApp({ env: { AUTH_JWT_SECRET: TEST_JWT_SECRET } });
    url = await listen(app);
  });
  afterAll(() => app?.close());

  it('sends the token it is given, fresh from its function before every request', async () => {
    let calls = 0;
    const client = createChronicleClient(url, {
      token: () => {
        calls++;
        return signToken({ sub: 'alice' });
      },
    });
    const { id } = await unwrap(client.POST('/accounts', { body: { owner: 'Alice' } }));
    const events = await unwrap(client.GET('/accounts/{id}/events', { params: { path: { id } } }));
    expect(events.items[0].metadata).toMatchObject({ actorId: 'alice' });
    expect(calls).toBe(2);
  });

  it('gets the documented 401 problem without one', async () => {
    const { error, response } = await createChronicleClient(url).GET('/projections');
    expect(error).toMatchObject({ type: 'about:blank', status: 401 });
    expect(response.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
    expect(document.paths['/projections'].get!.responses[401]).toEqual({ $ref: '#/components/responses/Unauthorized' });
  });
});
