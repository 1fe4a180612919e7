import { assertSnapshotRoundTrip } from '#event-sourcing/testing';
import { given } from '../../../../test/support/given-when-then.js';
import { Account } from './account.aggregate.js';
import {
  AccountClosedError,
  BalanceLimitExceeded,
  BalanceNotZero,
  InsufficientFunds,
  InvalidAmount,
} from './account.errors.js';
import { AccountClosed } from './events/account-closed.event.js';
import { AccountOpened } from './events/account-opened.event.js';
import { AccountPersonalDataErased } from './events/account-personal-data-erased.event.js';
import { MoneyDeposited } from './events/money-deposited.event.js';
import { MoneyWithdrawn } from './events/money-withdrawn.event.js';
import { TransferReceived } from './events/transfer-received.event.js';
import { TransferRefunded } from './events/transfer-refunded.event.js';
import { TransferSent } from './events/transfer-sent.event.js';

const opened = new AccountOpened('Ada', 'EUR', 0);
const openedWithOverdraft = new AccountOpened('Ada', 'EUR', 50);
/** A history that changes every field of the state, so that the snapshot test checks each one. */
const fullHistory = [
  openedWithOverdraft,
  new MoneyDeposited(500),
  new TransferSent('t-1', 'b-1', 100),
  new TransferReceived('t-2', 'b-1', 40),
  new TransferSent('t-3', 'b-1', 10),
  new TransferRefunded('t-3', 10, 'closed'),
  new AccountPersonalDataErased(),
  new AccountClosed(),
];

describe('Account', () => {
  it('opens with an owner, a currency and an overdraft limit', () => {
    const account = given(Account)
      .when(() => Account.open('a-1', 'Ada', 'EUR', 50))
      .then(new AccountOpened('Ada', 'EUR', 50));
    expect(account).toMatchObject({
      id: 'a-1',
      owner: 'Ada',
      currency: 'EUR',
      overdraftLimit: 50,
      balance: 0,
      version: 1,
    });
  });

  it('takes deposits', () => {
    const account = given(Account, opened, new MoneyDeposited(100))
      .when((a) => a.deposit(25))
      .then(new MoneyDeposited(25));
    expect(account.balance).toBe(125);
    expect(account.version).toBe(3);
  });

  it('pays out what the balance covers', () => {
    given(Account, opened, new MoneyDeposited(100))
      .when((a) => a.withdraw(100))
      .then(new MoneyWithdrawn(100));
  });

  it('pays out into the overdraft down to its limit, and no further', () => {
    given(Account, openedWithOverdraft, new MoneyDeposited(10))
      .when((a) => a.withdraw(60))
      .then(new MoneyWithdrawn(60));
    given(Account, openedWithOverdraft, new MoneyDeposited(10))
      .when((a) => a.withdraw(61))
      .thenThrows(InsufficientFunds);
  });

  it('refuses amounts that are not positive whole numbers', () => {
    for (const amount of [0, -5, 1.5, Number.NaN]) {
      given(Account, opened)
        .when((a) => a.deposit(amount))
        .thenThrows(InvalidAmount);
      given(Account, opened)
        .when((a) => a.withdraw(amount))
        .thenThrows(InvalidAmount);
    }
  });

  it('keeps the balance an exact integer', () => {
    given(Account, opened, new MoneyDeposited(Number.MAX_SAFE_INTEGER - 1))
      .when((a) => a.deposit(2))
      .thenThrows(BalanceLimitExceeded);
  });

  it('closes only at a zero balance', () => {
    given(Account, opened, new MoneyDeposited(5))
      .when((a) => a.close())
      .thenThrows(BalanceNotZero);
    given(Account, opened, new MoneyDeposited(5), new MoneyWithdrawn(5))
      .when((a) => a.close())
      .then(new AccountClosed());
  });

  it('refuses every command once closed', () => {
    given(Account, opened, new AccountClosed())
      .when((a) => a.deposit(1))
      .thenThrows(AccountClosedError);
    given(Account, opened, new AccountClosed())
      .when((a) => a.withdraw(1))
      .thenThrows(AccountClosedError);
    given(Account, opened, new AccountClosed())
      .when((a) => a.close())
      .thenThrows(AccountClosedError);
  });

  it('rebuilds the same state from the same history', () => {
    const history = [opened, new MoneyDeposited(70), new MoneyWithdrawn(20), new MoneyDeposited(5)];
    const a = given(Account, ...history)
      .when(() => undefined)
      .then();
    const b = given(Account, ...history)
      .when(() => undefined)
      .then();
    expect(b).toEqual(a);
    expect(a.balance).toBe(55);
  });
});

describe('Account in transfers', () => {
  const sent = new TransferSent('t-1', 'b', 40);

  it('pays out a transfer once, within its overdraft', () => {
    given(Account, openedWithOverdraft)
      .when((a) => a.sendTransfer('t-1', 'b', 40))
      .then(sent);
    given(Account, openedWithOverdraft, sent)
      .when((a) => a.sendTransfer('t-1', 'b', 40))
      .then();
    given(Account, openedWithOverdraft)
      .when((a) => a.sendTransfer('t-1', 'b', 51))
      .thenThrows(InsufficientFunds);
    given(Account, opened, new AccountClosed())
      .when((a) => a.sendTransfer('t-1', 'b', 1))
      .thenThrows(AccountClosedError);
  });

  it('takes a transfer in once, and not on a closed account', () => {
    const received = new TransferReceived('t-1', 'a', 40);
    const account = given(Account, opened)
      .when((a) => a.receiveTransfer('t-1', 'a', 40))
      .then(received);
    expect(account.balance).toBe(40);
    given(Account, opened, received)
      .when((a) => a.receiveTransfer('t-1', 'a', 40))
      .then();
    given(Account, opened, new AccountClosed())
      .when((a) => a.receiveTransfer('t-1', 'a', 40))
      .thenThrows(AccountClosedError);
  });

  it('refunds what a transfer paid out, once, and nothing for a transfer it never sent', () => {
    const refunded = new TransferRefunded('t-1', 40, 'account_closed');
    const account = given(Account, openedWithOverdraft, sent)
      .when((a) => a.refundTransfer('t-1', 'account_closed'))
      .then(refunded);
    expect(account.balance).toBe(0);
    given(Account, openedWithOverdraft, sent, refunded)
      .when((a) => a.refundTransfer('t-1', 'account_closed'))
      .then();
    given(Account, opened)
      .when((a) => a.refundTransfer('t-2', 'account_closed'))
      .then();
  });
});

describe('Account snapshots', () => {
  it('keep every field', () => {
    assertSnapshotRoundTrip(
      given(Account, ...fullHistory)
        .when(() => undefined)
        .then(),
    );
  });

  it('carry the transfers taken part in: a restored account repeats none', () => {
    // The transfers, before the account's data is erased and it is closed.
    const original = given(Account, ...fullHistory.slice(0, 6))
      .when(() => undefined)
      .then();
    const snapshot = JSON.parse(JSON.stringify(original.takeSnapshot()));
    const restored = new Account('aggregate-under-test');
    restored.restoreSnapshot({
      ...snapshot,
      createdAt: new Date(snapshot.createdAt),
      updatedAt: new Date(snapshot.updatedAt),
    });

    expect(restored).toMatchObject({ owner: 'Ada', balance: 440, overdraftLimit: 50, version: 6 });
    // Repeated instructions change nothing, as they would on the replayed account.
    restored.sendTransfer('t-1', 'b-1', 100);
    restored.receiveTransfer('t-2', 'b-1', 40);
    restored.refundTransfer('t-3', 'again');
    expect(restored.getUncommittedEvents()).toEqual([]);
    // A transfer it sent and never refunded can still be refunded, once.
    restored.refundTransfer('t-1', 'failed');
    expect(restored.getUncommittedEvents()).toEqual([new TransferRefunded('t-1', 100, 'failed')]);
  });
});
