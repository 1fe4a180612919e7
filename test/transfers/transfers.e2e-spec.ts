import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandBus } from '@nestjs/cqrs';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { DepositMoney } from '../../src/contexts/accounts/application/deposit-money/deposit-money.command.js';
import { AccountsApi, expectProblem, problemType, type EventBody, type Headers } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const UNKNOWN_ID = '0196a4c2-7a1b-7c3d-8e4f-a1b2c3d4e5f6';
const TERMINAL = ['completed', 'failed'];

interface TransferBody {
  id: string;
  fromAccountId: string;
  toAccountId: string;
  amount: number;
  status: 'requested' | 'debited' | 'completed' | 'failed';
  reason?: string;
  version: number;
  requestedAt: string;
  updatedAt: string;
}

let app: TestApp;
let api: AccountsApi;

beforeAll(async () => {
  app = await createTestApp();
  api = new AccountsApi(app.http);
});
afterAll(() => app?.close());

const postTransfer = (body?: object, headers: Headers = {}) => api.post('/transfers', body, headers);
const getTransfer = (id: string) => request(app.http).get(`/transfers/${id}`);

/** Requests a transfer and returns its id (asserting the 202). */
async function requested(fromAccountId: string, toAccountId: string, amount: number): Promise<string> {
  const response = await postTransfer({ fromAccountId, toAccountId, amount });
  expect({ status: response.status, body: response.body }).toMatchObject({ status: 202 });
  return response.body.id as string;
}

/** Where the transfer process stands, to explain a transfer that does not settle. */
async function processState(): Promise<unknown> {
  const dataSource = app.app.get<DataSource>(getDataSourceToken());
  const [row] = await dataSource.query(`SELECT position, last_error FROM followers WHERE name = 'transfer-process'`);
  return row;
}

/** Polls GET /transfers/{id} until the transfer completed or failed; fails loudly with what it last saw. */
async function settled(id: string, timeoutMs = 20_000): Promise<TransferBody> {
  const deadline = Date.now() + timeoutMs;
  let last: { status: number; body: unknown } | undefined;
  for (;;) {
    const response = await getTransfer(id);
    last = { status: response.status, body: response.body };
    if (response.status === 200 && TERMINAL.includes(response.body.status)) return response.body as TransferBody;
    if (Date.now() > deadline) {
      throw new Error(
        `Transfer ${id} did not complete or fail within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}; ` +
          `transfer-process: ${JSON.stringify(await processState())}`,
      );
    }
    await sleep(25);
  }
}

const balanceOf = async (id: string): Promise<number> => {
  const response = await api.get(id);
  expect({ status: response.status, body: response.body }).toMatchObject({ status: 200 });
  return response.body.balance as number;
};

/** Opens an account holding `balance` (one deposit) and returns its id. */
async function funded(balance: number, overdraftLimit = 0): Promise<string> {
  const id = await api.open({ owner: 'Transfer test', overdraftLimit });
  if (balance > 0) await api.deposited(id, balance);
  return id;
}

const types = (events: EventBody[]) => events.map((e) => e.type);

/** The events of one stream as the notification log serves them, once it holds `count` of them. */
async function streamInLog(streamId: string, count: number, timeoutMs = 5_000): Promise<EventBody[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = (await api.wholeLog()).filter((e) => e.streamId === streamId);
    if (events.length >= count || Date.now() > deadline) return events;
    await sleep(20);
  }
}

describe('POST /transfers, then GET /transfers/{id}', () => {
  it('answers 202 with Location, then moves the money: requested -> debited -> completed', async () => {
    const from = await funded(1_000);
    const to = await funded(100);

    const response = await postTransfer(
      { fromAccountId: from, toAccountId: to, amount: 300 },
      { 'X-Correlation-Id': 'transfer-happy-path' },
    );
    expect(response.status).toBe(202);
    const { id } = response.body;
    expect(response.body).toEqual({
      id: expect.any(String),
      status: 'requested',
      version: 1,
      position: expect.any(Number),
    });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(response.headers.location).toBe(`/transfers/${id}`);
    expect(response.headers.etag).toBe('"1"');

    const early = await getTransfer(id);
    expect(early.status).toBe(200);
    expect(['requested', 'debited', 'completed']).toContain(early.body.status);

    const transfer = await settled(id);
    expect(transfer).toEqual({
      id,
      fromAccountId: from,
      toAccountId: to,
      amount: 300,
      status: 'completed',
      version: 3,
      requestedAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(Date.parse(transfer.updatedAt)).toBeGreaterThanOrEqual(Date.parse(transfer.requestedAt));
    expect((await getTransfer(id)).headers.etag).toBe('"3"');

    expect(await balanceOf(from)).toBe(700);
    expect(await balanceOf(to)).toBe(400);
    const [sent] = (await api.events(from)).filter((e) => e.type === 'TransferSent');
    const [received] = (await api.events(to)).filter((e) => e.type === 'TransferReceived');
    expect(sent.data).toEqual({ transferId: id, toAccountId: to, amount: 300 });
    expect(received.data).toEqual({ transferId: id, fromAccountId: from, amount: 300 });
    // The source learnt that its money arrived before the transfer read completed.
    const [delivered] = (await api.events(from)).filter((e) => e.type === 'TransferDelivered');
    expect(delivered.data).toEqual({ transferId: id });
    expect(delivered.metadata.causationId).toBe(`${received.id}:record-transfer-delivered`);

    // The whole transfer shares the request's correlation id; each step names the event that caused it.
    const ofTransfer = await streamInLog(id, 3);
    expect(types(ofTransfer)).toEqual(['TransferRequested', 'TransferDebited', 'TransferCompleted']);
    const [requestedEvent, debitedEvent, completedEvent] = ofTransfer;
    for (const event of [...ofTransfer, sent, received]) {
      expect(event.metadata.correlationId).toBe('transfer-happy-path');
    }
    expect(sent.metadata).toMatchObject({
      causationId: `${requestedEvent.id}:send-transfer`,
      idempotencyKey: `transfer-process ${requestedEvent.id}:send-transfer`,
    });
    expect(debitedEvent.metadata.causationId).toBe(`${sent.id}:mark-transfer-debited`);
    expect(received.metadata.causationId).toBe(`${debitedEvent.id}:receive-transfer`);
    expect(completedEvent.metadata.causationId).toBe(`${received.id}:complete-transfer`);
  });

  it('moves the whole balance, and into the overdraft down to its limit', async () => {
    const from = await funded(200, 100);
    const to = await funded(0);
    expect(await settled(await requested(from, to, 300))).toMatchObject({ status: 'completed' });
    expect(await balanceOf(from)).toBe(-100);
    expect(await balanceOf(to)).toBe(300);
  });

  it('lets the source close as soon as the transfer of its whole balance completed', async () => {
    const from = await funded(300);
    const to = await funded(0);
    expect(await settled(await requested(from, to, 300))).toMatchObject({ status: 'completed' });
    expect((await api.close(from)).status).toBe(200);
    expect(await balanceOf(to)).toBe(300);
  });

  it('fails balance_limit_exceeded when the destination would pass 2^53 - 1, and refunds the source', async () => {
    const from = await funded(500);
    const to = await funded(0);
    const context = { commandId: randomUUID(), correlationId: randomUUID() };
    await app.app.get(CommandBus).execute(new DepositMoney(to, Number.MAX_SAFE_INTEGER - 100, context));
    const transfer = await settled(await requested(from, to, 101));

    expect(transfer).toMatchObject({ status: 'failed', reason: 'balance_limit_exceeded' });
    expect(await balanceOf(from)).toBe(500);
    expect(await balanceOf(to)).toBe(Number.MAX_SAFE_INTEGER - 100);
    expect(types(await api.events(from))).toEqual([
      'AccountOpened',
      'MoneyDeposited',
      'TransferSent',
      'TransferRefunded',
    ]);
  });

  it('fails insufficient_funds when the source cannot pay, and moves no money', async () => {
    const from = await funded(100, 50);
    const to = await funded(10);
    const transfer = await settled(await requested(from, to, 151));

    expect(transfer).toMatchObject({ status: 'failed', reason: 'insufficient_funds', version: 2 });
    expect(await balanceOf(from)).toBe(100);
    expect(await balanceOf(to)).toBe(10);
    expect(types(await api.events(from))).toEqual(['AccountOpened', 'MoneyDeposited']);
    expect(types(await api.events(to))).toEqual(['AccountOpened', 'MoneyDeposited']);
  });

  it('fails account_closed when the destination is closed, and refunds the source', async () => {
    const from = await funded(500);
    const to = await funded(0);
    await api.close(to).expect(200);
    const id = await requested(from, to, 200);
    const transfer = await settled(id);

    expect(transfer).toMatchObject({ status: 'failed', reason: 'account_closed', version: 3 });
    expect(await balanceOf(from)).toBe(500);
    const events = await api.events(from);
    expect(types(events)).toEqual(['AccountOpened', 'MoneyDeposited', 'TransferSent', 'TransferRefunded']);
    expect(events[3].data).toEqual({ transferId: id, amount: 200, reason: 'account_closed' });
    expect(types(await api.events(to))).toEqual(['AccountOpened', 'AccountClosed']);
  });

  it('fails account_not_found when the destination does not exist, and refunds the source', async () => {
    const from = await funded(500);
    const id = await requested(from, UNKNOWN_ID, 120);
    const transfer = await settled(id);

    expect(transfer).toMatchObject({ status: 'failed', reason: 'account_not_found', toAccountId: UNKNOWN_ID });
    expect(await balanceOf(from)).toBe(500);
    const events = await api.events(from);
    expect(types(events)).toEqual(['AccountOpened', 'MoneyDeposited', 'TransferSent', 'TransferRefunded']);
    expect(events[3].data).toEqual({ transferId: id, amount: 120, reason: 'account_not_found' });
    expectProblem(await api.get(UNKNOWN_ID), 404);
  });

  it('fails account_not_found when the destination id names a transfer, not an account', async () => {
    const from = await funded(500);
    const other = await settled(await requested(from, await funded(0), 1));
    const transfer = await settled(await requested(from, other.id, 50));

    expect(transfer).toMatchObject({ status: 'failed', reason: 'account_not_found' });
    expect(await balanceOf(from)).toBe(499);
  });

  it('fails account_not_found when the source does not exist, and touches the destination not at all', async () => {
    const to = await funded(10);
    const transfer = await settled(await requested(UNKNOWN_ID, to, 5));

    expect(transfer).toMatchObject({ status: 'failed', reason: 'account_not_found', version: 2 });
    expect(types(await api.events(to))).toEqual(['AccountOpened', 'MoneyDeposited']);
  });

  it('fails account_closed when the source is closed, without a debit', async () => {
    const from = await funded(0);
    await api.close(from).expect(200);
    const to = await funded(0);
    const transfer = await settled(await requested(from, to, 5));

    expect(transfer).toMatchObject({ status: 'failed', reason: 'account_closed', version: 2 });
    expect(types(await api.events(from))).toEqual(['AccountOpened', 'AccountClosed']);
    expect(await balanceOf(to)).toBe(0);
  });

  it('accepts ids in upper case and answers with them in lower case', async () => {
    const from = await funded(50);
    const to = await funded(0);
    const id = await requested(from.toUpperCase(), to.toUpperCase(), 50);
    expect(await settled(id.toUpperCase())).toMatchObject({
      id,
      fromAccountId: from,
      toAccountId: to,
      status: 'completed',
    });
  });
});

describe('POST /transfers refusals', () => {
  it('answers 422 same-account to a transfer to the source account itself, and stores nothing', async () => {
    const id = await funded(100);
    const { result, appended } = await api.logDuring(async () => [
      await postTransfer({ fromAccountId: id, toAccountId: id, amount: 10 }),
      await postTransfer({ fromAccountId: id, toAccountId: id.toUpperCase(), amount: 10 }),
    ]);
    for (const response of result) {
      expectProblem(response, 422, { type: problemType('same-account') });
      expect(response.headers.location).toBeUndefined();
    }
    expect(appended).toEqual([]);
    expect(await balanceOf(id)).toBe(100);
  });

  it('answers 422 currency-mismatch to a transfer between currencies, either way, and stores nothing', async () => {
    const euros = await funded(10_000);
    const yen = await api.open({ owner: 'Transfer test', currency: 'JPY' });
    await api.deposited(yen, 10_000);
    const { result, appended } = await api.logDuring(async () => [
      await postTransfer({ fromAccountId: euros, toAccountId: yen, amount: 10_000 }),
      await postTransfer({ fromAccountId: yen, toAccountId: euros, amount: 10_000 }),
    ]);
    for (const response of result) {
      expectProblem(response, 422, { type: problemType('currency-mismatch') });
      expect(response.headers.location).toBeUndefined();
    }
    expect(appended).toEqual([]);
    expect([await balanceOf(euros), await balanceOf(yen)]).toEqual([10_000, 10_000]);
  });

  describe('answers 400 problem+json to a bad body, and stores nothing', () => {
    let from: string;
    let to: string;
    beforeAll(async () => {
      from = await funded(1_000_000_000_000);
      to = await funded(0);
    });
    const good = () => ({ fromAccountId: from, toAccountId: to, amount: 100 });

    it.each<[string, (good: Record<string, unknown>) => object | undefined, string[]]>([
      ['no body at all', () => undefined, ['fromAccountId', 'toAccountId', 'amount']],
      ['an empty object', () => ({}), ['fromAccountId', 'toAccountId', 'amount']],
      ['a missing fromAccountId', ({ fromAccountId: _, ...rest }) => rest, ['fromAccountId']],
      ['a missing toAccountId', ({ toAccountId: _, ...rest }) => rest, ['toAccountId']],
      ['a missing amount', ({ amount: _, ...rest }) => rest, ['amount']],
      ['a fromAccountId that is no UUID', (g) => ({ ...g, fromAccountId: 'account-1' }), ['fromAccountId']],
      ['a toAccountId that is a number', (g) => ({ ...g, toAccountId: 42 }), ['toAccountId']],
      ['a toAccountId that is null', (g) => ({ ...g, toAccountId: null }), ['toAccountId']],
      ['an amount as a string number', (g) => ({ ...g, amount: '100' }), ['amount']],
      ['an amount of 0', (g) => ({ ...g, amount: 0 }), ['amount']],
      ['a negative amount', (g) => ({ ...g, amount: -5 }), ['amount']],
      ['a fractional amount', (g) => ({ ...g, amount: 1.5 }), ['amount']],
      ['an amount one over the maximum', (g) => ({ ...g, amount: 1_000_000_000_001 }), ['amount']],
      ['an amount that is null', (g) => ({ ...g, amount: null }), ['amount']],
      ['an unknown field next to good ones', (g) => ({ ...g, note: 'rent' }), ['note']],
      ['a status sent by the client', (g) => ({ ...g, status: 'completed' }), ['status']],
    ])('%s', async (_, body, fields) => {
      const { result, appended } = await api.logDuring(() => postTransfer(body(good())));
      expectProblem(result, 400, { type: problemType('invalid-request'), fields });
      expect(appended).toEqual([]);
    });

    it('malformed JSON', async () => {
      const response = await request(app.http)
        .post('/transfers')
        .set('Content-Type', 'application/json')
        .send('{"fromAccountId": ');
      expectProblem(response, 400);
    });

    it('the largest amount is accepted (and fails or moves like any other)', async () => {
      const transfer = await settled(await requested(from, to, 1_000_000_000_000));
      expect(transfer).toMatchObject({ status: 'completed', amount: 1_000_000_000_000 });
    });
  });
});

describe('Idempotency-Key on POST /transfers', () => {
  it('answers a repeat with the first response, requests one transfer and moves the money once', async () => {
    const from = await funded(1_000);
    const to = await funded(0);
    const body = { fromAccountId: from, toAccountId: to, amount: 400 };
    const headers = { 'Idempotency-Key': `transfer-${from}` };

    const { result, appended } = await api.logDuring(async () => {
      const first = await postTransfer(body, headers);
      const again = await postTransfer(body, headers);
      await settled(first.body.id);
      const late = await postTransfer(body, headers);
      return { first, again, late };
    });
    const { first, again, late } = result;
    expect(first.status).toBe(202);
    for (const repeat of [again, late]) {
      expect(repeat.status).toBe(202);
      expect(repeat.body).toEqual(first.body);
      expect(repeat.headers.location).toBe(first.headers.location);
      expect(repeat.headers.etag).toBe('"1"');
    }
    expect(appended.filter((e) => e.type === 'TransferRequested')).toHaveLength(1);
    expect(await balanceOf(from)).toBe(600);
    expect(await balanceOf(to)).toBe(400);

    const reused = await postTransfer({ ...body, amount: 401 }, headers);
    expectProblem(reused, 422, { type: problemType('idempotency-key-reused') });
    expect(await balanceOf(from)).toBe(600);
  });

  it('answers 400 to a malformed key', async () => {
    const response = await postTransfer(
      { fromAccountId: UNKNOWN_ID, toAccountId: UNKNOWN_ID, amount: 1 },
      {
        'Idempotency-Key': 'x'.repeat(201),
      },
    );
    expectProblem(response, 400, { fields: ['Idempotency-Key'] });
  });
});

describe('GET /transfers/{id}', () => {
  it('answers 404 for a transfer that does not exist, or an id of an account', async () => {
    expectProblem(await getTransfer(UNKNOWN_ID), 404, { type: problemType('not-found') });
    expectProblem(await getTransfer(await funded(0)), 404, { type: problemType('not-found') });
  });

  it('answers 400 naming the id when it is no UUID', async () => {
    expectProblem(await getTransfer('42'), 400, { type: problemType('invalid-request'), fields: ['id'] });
  });
});

describe('60 concurrent transfers among 6 accounts', () => {
  // A small deterministic generator, so that a failure can be replayed.
  function random(seed: number): () => number {
    return () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed / 2 ** 32;
    };
  }

  it('all complete or fail, and no money is created or destroyed', async () => {
    const setup = [
      { deposit: 1_000_000, withdraw: 0, overdraft: 0 }, // rich: every transfer out of it goes through
      { deposit: 1_000, withdraw: 200, overdraft: 0 },
      { deposit: 500, withdraw: 500, overdraft: 300 },
      { deposit: 0, withdraw: 0, overdraft: 0 }, // empty: pays only what it received first
      { deposit: 300, withdraw: 100, overdraft: 1_000 },
      { deposit: 2_000, withdraw: 1_500, overdraft: 50 },
    ];
    const accounts = await Promise.all(
      setup.map(async ({ deposit, withdraw, overdraft }) => {
        const id = await funded(deposit, overdraft);
        if (withdraw > 0) await api.withdraw(id, withdraw).expect(200);
        return id;
      }),
    );
    const balancesBefore = await Promise.all(accounts.map(balanceOf));
    expect(balancesBefore).toEqual(setup.map((s) => s.deposit - s.withdraw));

    const next = random(20_261_127);
    const plan = Array.from({ length: 60 }, (_, i) => {
      const from = i === 0 ? 0 : Math.floor(next() * 6);
      const to = (from + 1 + Math.floor(next() * 5)) % 6;
      return { from, to, amount: 1 + Math.floor(next() * 800) };
    });
    // One transfer no account can cover: failure is certain, not only likely.
    plan[1] = { from: 3, to: 0, amount: 10_000_000 };

    const started = Date.now();
    const responses = await Promise.all(
      plan.map(({ from, to, amount }) =>
        postTransfer({ fromAccountId: accounts[from], toAccountId: accounts[to], amount }),
      ),
    );
    for (const response of responses) expect(response.status).toBe(202);
    // One process manager handles the 60 one event at a time: give the last of them longer.
    const transfers = await Promise.all(responses.map((response) => settled(response.body.id as string, 40_000)));
    const settledInMs = Date.now() - started;

    const completed = transfers.filter((t) => t.status === 'completed');
    const failed = transfers.filter((t) => t.status === 'failed');
    expect(completed.length + failed.length).toBe(60);
    expect(completed.length).toBeGreaterThan(0);
    expect(failed.length).toBeGreaterThan(0);
    for (const transfer of failed) expect(transfer.reason).toBe('insufficient_funds');
    expect(transfers[0].status).toBe('completed');
    expect(transfers[1]).toMatchObject({ status: 'failed', reason: 'insufficient_funds' });

    const balances = await Promise.all(accounts.map(balanceOf));
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    expect(sum(balances)).toBe(sum(balancesBefore));
    accounts.forEach((account, i) => {
      const out = sum(completed.filter((t) => t.fromAccountId === account).map((t) => t.amount));
      const into = sum(completed.filter((t) => t.toAccountId === account).map((t) => t.amount));
      expect({ account: i, balance: balances[i] }).toEqual({
        account: i,
        balance: setup[i].deposit - setup[i].withdraw - out + into,
      });
      expect(balances[i]).toBeGreaterThanOrEqual(-setup[i].overdraft);
    });

    // Each transfer left the source at most once and reached the destination at most once.
    const events = (await Promise.all(accounts.map((id) => api.events(id)))).flat();
    const stepsOf = (type: string) => events.filter((e) => e.type === type).map((e) => e.data.transferId);
    const sent = stepsOf('TransferSent');
    const received = stepsOf('TransferReceived');
    expect(new Set(sent).size).toBe(sent.length);
    expect([...received].sort()).toEqual(completed.map((t) => t.id).sort());
    expect([...sent].sort()).toEqual(completed.map((t) => t.id).sort());
    expect(stepsOf('TransferRefunded')).toEqual([]);
    console.info(`60 transfers: ${completed.length} completed, ${failed.length} failed, settled in ${settledInMs} ms`);
  }, 90_000);
});

describe('the transfer process after a crash', () => {
  it('changes nothing when it handles the whole log again from position 0', async () => {
    const from = await funded(1_000);
    const to = await funded(0);
    const closed = await funded(0);
    await api.close(closed).expect(200);
    await settled(await requested(from, to, 100));
    await settled(await requested(from, closed, 100));
    await settled(await requested(to, from, 1_000));
    // Failed for want of money that arrived afterwards: handled again, it must not pay out now.
    const poor = await funded(0);
    expect(await settled(await requested(poor, to, 500))).toMatchObject({ reason: 'insufficient_funds' });
    await api.deposited(poor, 500);

    const dataSource = app.app.get<DataSource>(getDataSourceToken());
    const before = await api.wholeLog();
    const balances = async () => {
      const ids = [...new Set(before.filter((e) => e.streamType === 'Account').map((e) => e.streamId))];
      return Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await balanceOf(id)])));
    };
    const balancesBefore = await balances();

    const { appended } = await api.logDuring(async () => {
      await dataSource.query(`UPDATE followers SET position = 0 WHERE name = 'transfer-process'`);
      const head = before[before.length - 1].position;
      const deadline = Date.now() + 20_000;
      for (;;) {
        const [row] = await dataSource.query(`SELECT position FROM followers WHERE name = 'transfer-process'`);
        if (Number(row.position) >= head) break;
        if (Date.now() > deadline) throw new Error(`The replay stopped: ${JSON.stringify(await processState())}`);
        await sleep(50);
      }
    });

    expect(appended).toEqual([]);
    expect(await balances()).toEqual(balancesBefore);
    expect(await processState()).toMatchObject({ last_error: null });
  });
});
