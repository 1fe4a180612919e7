/**
 * What an account allows while a transfer it sent is on its way. The transfer process does
 * not run here (FOLLOWERS=off): each test takes the process's steps itself, through the
 * command bus, so the transfer stays in flight exactly as long as the test needs.
 */
import { randomUUID } from 'node:crypto';
import { CommandBus } from '@nestjs/cqrs';
import {
  BalanceLimitExceeded,
  ReceiveTransfer,
  RecordTransferDelivered,
  RefundTransfer,
  SendTransfer,
} from '../../src/contexts/accounts/accounts.contract.js';
import { DepositMoney } from '../../src/contexts/accounts/application/deposit-money/deposit-money.command.js';
import type { CommandContext } from '../../src/event-sourcing/index.js';
import { AccountsApi, expectProblem, problemType } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

let app: TestApp;
let api: AccountsApi;
let commands: CommandBus;

beforeAll(async () => {
  app = await createTestApp({ env: { FOLLOWERS: 'off' } });
  api = new AccountsApi(app.http);
  commands = app.app.get(CommandBus);
});
afterAll(() => app?.close());

const context = (): CommandContext => ({ commandId: randomUUID(), correlationId: randomUUID() });

/** Requests a transfer over HTTP and has the source pay it out, as the process would; returns its id. */
async function sent(from: string, to: string, amount: number): Promise<string> {
  const response = await api.post('/transfers', { fromAccountId: from, toAccountId: to, amount }).expect(202);
  const transferId = response.body.id as string;
  await commands.execute(new SendTransfer(from, transferId, to, amount, context()));
  return transferId;
}

/** The balance the account's events add up to, exactly (in BigInt). */
async function eventSum(id: string): Promise<bigint> {
  const signs: Record<string, bigint> = {
    MoneyDeposited: 1n,
    TransferReceived: 1n,
    TransferRefunded: 1n,
    MoneyWithdrawn: -1n,
    TransferSent: -1n,
  };
  return (await api.events(id))
    .filter((e) => signs[e.type] !== undefined)
    .reduce((sum, e) => sum + signs[e.type] * BigInt(e.data.amount as number), 0n);
}

const balanceOf = async (id: string): Promise<number> => (await api.get(id).expect(200)).body.balance as number;

describe('closing an account with a transfer in flight', () => {
  it('answers 409 transfer-in-flight until the transfer reached its destination, then closes', async () => {
    const from = await api.open();
    const to = await api.open();
    await api.deposited(from, 500);
    const transfer = await sent(from, to, 500);
    expect(await balanceOf(from)).toBe(0);

    const refused = await api.refusedWithoutEffect(from, () => api.close(from));
    expectProblem(refused, 409, { type: problemType('transfer-in-flight') });

    await commands.execute(new ReceiveTransfer(to, transfer, from, 500, context()));
    await commands.execute(new RecordTransferDelivered(from, transfer, context()));
    expect((await api.close(from)).status).toBe(200);
  });

  it('answers 409 until the transfer failed, and then the refund is in an open account that can pay it out', async () => {
    const from = await api.open();
    const to = await api.open();
    await api.deposited(from, 500);
    const transfer = await sent(from, to, 500);
    expectProblem(await api.refusedWithoutEffect(from, () => api.close(from)), 409, {
      type: problemType('transfer-in-flight'),
    });

    await commands.execute(new RefundTransfer(from, transfer, 'account_closed', context()));
    expect((await api.get(from).expect(200)).body).toMatchObject({ status: 'open', balance: 500 });
    expect((await api.withdraw(from, 500)).status).toBe(200);
    expect((await api.close(from)).status).toBe(200);
  });
});

describe('the balance cap with a transfer in flight', () => {
  it('keeps room for the transfer to come back: credits that would not leave it are refused, and the refund lands exactly at the cap', async () => {
    const from = await api.open();
    const to = await api.open();
    await commands.execute(new DepositMoney(from, Number.MAX_SAFE_INTEGER - 1_000, context()));
    const transfer = await sent(from, to, 1_000);

    // Under the cap now, but not once the 1000 in flight come back.
    expectProblem(await api.refusedWithoutEffect(from, () => api.deposit(from, 1_002)), 422, {
      type: problemType('balance-limit-exceeded'),
    });
    await expect(commands.execute(new ReceiveTransfer(from, randomUUID(), to, 1_002, context()))).rejects.toThrow(
      BalanceLimitExceeded,
    );
    await api.deposited(from, 1_000);

    await commands.execute(new RefundTransfer(from, transfer, 'account_closed', context()));
    expect(await balanceOf(from)).toBe(Number.MAX_SAFE_INTEGER);
    expect(await eventSum(from)).toBe(BigInt(Number.MAX_SAFE_INTEGER));
  });

  it('frees the room once the transfer reached its destination', async () => {
    const from = await api.open();
    const to = await api.open();
    await commands.execute(new DepositMoney(from, Number.MAX_SAFE_INTEGER - 1_000, context()));
    const transfer = await sent(from, to, 1_000);
    await commands.execute(new RecordTransferDelivered(from, transfer, context()));

    expect((await api.deposited(from, 2_000)).body.balance).toBe(Number.MAX_SAFE_INTEGER);
    expect(await eventSum(from)).toBe(BigInt(Number.MAX_SAFE_INTEGER));
  });
});
