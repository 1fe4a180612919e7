import { assertSnapshotRoundTrip, given } from '#event-sourcing/testing';
import { Account } from './account.aggregate.js';
import {
  AccountClosedError,
  BalanceLimitExceeded,
  BalanceNotZero,
  InsufficientFunds,
  InvalidAmount,
  TransferInFlight,
} from './account.errors.js';
import { AccountClosed } from './events/account-closed.event.js';
import { AccountOpened, ERASED_OWNER } from './events/account-opened.event.js';
import { AccountPersonalDataErased } from './events/account-personal-data-erased.event.js';
import { MoneyDeposited } from './events/money-deposited.event.js';
import { MoneyWithdrawn } from './events/money-withdrawn.event.js';
import { TransferDelivered } from './events/transfer-delivered.event.js';
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
  new TransferSent('t-4', 'b-1', 20),
  new TransferDelivered('t-4'),
  new AccountPersonalDataErased(),
  new AccountClosed(),
];

describe('Account', () => {
  it('opens with an owner, a currency and an overdraft limit', () => {
    given(Account)
      .when(() => Account.open('a-1', 'Ada', 'EUR', 50))
      .then(new AccountOpened('Ada', 'EUR', 50))
      .withState({
        id: 'a-1',
        owner: 'Ada',
        currency: 'EUR',
        overdraftLimit: 50,
        balance: 0,
        status: 'open',
        version: 1,
      });
  });

  it('takes deposits', () => {
    given(Account, opened, new MoneyDeposited(100))
      .when((a) => a.deposit(25))
      .then(new MoneyDeposited(25))
      .withState({ balance: 125, version: 3 });
  });

  it('pays out what the balance covers', () => {
    given(Account, opened, new MoneyDeposited(100))
      .when((a) => a.withdraw(100))
      .then(new MoneyWithdrawn(100))
      .withState({ balance: 0 });
  });

  it('pays out into the overdraft down to its limit, and no further', () => {
    given(Account, openedWithOverdraft, new MoneyDeposited(10))
      .when((a) => a.withdraw(60))
      .then(new MoneyWithdrawn(60))
      .withState({ balance: -50 });
    given(Account, openedWithOverdraft, new MoneyDeposited(10))
      .when((a) => a.withdraw(61))
      .thenThrows(InsufficientFunds, {
        code: 'insufficient_funds',
        message: 'Account aggregate-under-test can pay out 60, not 61',
      });
  });

  it('refuses amounts that are not positive whole numbers', () => {
    for (const amount of [0, -5, 1.5, Number.NaN]) {
      given(Account, opened)
        .when((a) => a.deposit(amount))
        .thenThrows(InvalidAmount, { code: 'invalid_amount' });
      given(Account, opened)
        .when((a) => a.withdraw(amount))
        .thenThrows(InvalidAmount, { code: 'invalid_amount' });
    }
  });

  it('keeps the balance an exact integer', () => {
    given(Account, opened, new MoneyDeposited(Number.MAX_SAFE_INTEGER - 1))
      .when((a) => a.deposit(2))
      .thenThrows(BalanceLimitExceeded, { code: 'balance_limit_exceeded' });
  });

  it('closes only at a zero balance', () => {
    given(Account, opened, new MoneyDeposited(5))
      .when((a) => a.close())
      .thenThrows(BalanceNotZero, { code: 'balance_not_zero' });
    given(Account, opened, new MoneyDeposited(5), new MoneyWithdrawn(5))
      .when((a) => a.close())
      .then(new AccountClosed())
      .withState({ status: 'closed' });
  });

  it('refuses every command once closed', () => {
    for (const command of [(a: Account) => a.deposit(1), (a: Account) => a.withdraw(1), (a: Account) => a.close()]) {
      given(Account, opened, new AccountClosed())
        .when(command)
        .thenThrows(AccountClosedError, { code: 'account_closed' });
    }
  });

  it('records the erasure of its personal data once, open or closed', () => {
    given(Account, opened, new AccountClosed())
      .when((a) => a.recordPersonalDataErased())
      .then(new AccountPersonalDataErased())
      .withState({ owner: ERASED_OWNER, personalDataErased: true });
    given(Account, opened, new AccountPersonalDataErased())
      .when((a) => a.recordPersonalDataErased())
      .then();
  });

  it('rebuilds the same state from the same history', () => {
    const history = [opened, new MoneyDeposited(70), new MoneyWithdrawn(20), new MoneyDeposited(5)];
    const a = given(Account, ...history).aggregate;
    expect(given(Account, ...history).aggregate).toEqual(a);
    expect(a).toMatchObject({ balance: 55, version: 4 });
  });
});

describe('Account in transfers', () => {
  const sent = new TransferSent('t-1', 'b', 40);

  it('pays out a transfer once, within its overdraft', () => {
    given(Account, openedWithOverdraft)
      .when((a) => a.sendTransfer('t-1', 'b', 40))
      .then(sent)
      .withState({ balance: -40 });
    given(Account, openedWithOverdraft, sent)
      .when((a) => a.sendTransfer('t-1', 'b', 40))
      .then();
    given(Account, openedWithOverdraft)
      .when((a) => a.sendTransfer('t-1', 'b', 51))
      .thenThrows(InsufficientFunds, { code: 'insufficient_funds' });
    given(Account, opened, new AccountClosed())
      .when((a) => a.sendTransfer('t-1', 'b', 1))
      .thenThrows(AccountClosedError, { code: 'account_closed' });
  });

  it('takes a transfer in once, and not on a closed account', () => {
    const received = new TransferReceived('t-1', 'a', 40);
    given(Account, opened)
      .when((a) => a.receiveTransfer('t-1', 'a', 40))
      .then(received)
      .withState({ balance: 40 });
    given(Account, opened, received)
      .when((a) => a.receiveTransfer('t-1', 'a', 40))
      .then();
    given(Account, opened, new AccountClosed())
      .when((a) => a.receiveTransfer('t-1', 'a', 40))
      .thenThrows(AccountClosedError, { code: 'account_closed' });
  });

  it('refunds what a transfer paid out, once, and nothing for a transfer it never sent', () => {
    const refunded = new TransferRefunded('t-1', 40, 'account_closed');
    given(Account, openedWithOverdraft, sent)
      .when((a) => a.refundTransfer('t-1', 'account_closed'))
      .then(refunded)
      .withState({ balance: 0 });
    given(Account, openedWithOverdraft, sent, refunded)
      .when((a) => a.refundTransfer('t-1', 'account_closed'))
      .then();
    given(Account, opened)
      .when((a) => a.refundTransfer('t-2', 'account_closed'))
      .then();
  });

  it('records a transfer it sent as delivered, once, and then refunds it no more', () => {
    const delivered = new TransferDelivered('t-1');
    given(Account, openedWithOverdraft, sent)
      .when((a) => a.recordTransferDelivered('t-1'))
      .then(delivered)
      .withState({ balance: -40 });
    given(Account, openedWithOverdraft, sent, delivered)
      .when((a) => {
        a.recordTransferDelivered('t-1');
        a.refundTransfer('t-1', 'account_closed');
      })
      .then();
    given(Account, openedWithOverdraft, sent, new TransferRefunded('t-1', 40, 'account_closed'))
      .when((a) => a.recordTransferDelivered('t-1'))
      .then();
  });

  it('keeps room under the cap for the transfers in flight, so that their refunds always fit', () => {
    const nearCap = [opened, new MoneyDeposited(Number.MAX_SAFE_INTEGER - 100), new TransferSent('t-1', 'b', 60)];
    for (const credit of [(a: Account) => a.deposit(101), (a: Account) => a.receiveTransfer('t-2', 'b', 101)]) {
      given(Account, ...nearCap)
        .when(credit)
        .thenThrows(BalanceLimitExceeded, { code: 'balance_limit_exceeded' });
    }
    given(Account, ...nearCap, new MoneyDeposited(100))
      .when((a) => a.refundTransfer('t-1', 'account_closed'))
      .then(new TransferRefunded('t-1', 60, 'account_closed'))
      .withState({ balance: Number.MAX_SAFE_INTEGER });
    // Delivered, it will not come back: the room is free again.
    given(Account, ...nearCap, new TransferDelivered('t-1'))
      .when((a) => a.deposit(160))
      .then(new MoneyDeposited(160))
      .withState({ balance: Number.MAX_SAFE_INTEGER });
  });

  it('closes only once no transfer it sent is in flight', () => {
    const emptied = [opened, new MoneyDeposited(40), sent];
    given(Account, ...emptied)
      .when((a) => a.close())
      .thenThrows(TransferInFlight, {
        code: 'transfer_in_flight',
        message:
          'Account aggregate-under-test has transfers on the way out that have not completed or failed yet (1); retry closing once they have',
      });
    given(Account, ...emptied, new TransferDelivered('t-1'))
      .when((a) => a.close())
      .then(new AccountClosed());
    given(Account, ...emptied, new TransferRefunded('t-1', 40, 'account_closed'))
      .when((a) => a.close())
      .thenThrows(BalanceNotZero);
  });
});

describe('Account snapshots', () => {
  it('keep every field', () => {
    assertSnapshotRoundTrip(given(Account, ...fullHistory).aggregate);
  });

  it('carry the transfers taken part in: a restored account repeats none', () => {
    // The transfers, before the account's data is erased and it is closed.
    const original = given(Account, ...fullHistory.slice(0, 8)).aggregate;
    const snapshot = JSON.parse(JSON.stringify(original.takeSnapshot()));
    const restored = new Account(original.id);
    restored.restoreSnapshot({
      ...snapshot,
      createdAt: new Date(snapshot.createdAt),
      updatedAt: new Date(snapshot.updatedAt),
    });

    expect(restored).toMatchObject({ owner: 'Ada', balance: 420, overdraftLimit: 50, version: 8 });
    // Repeated instructions change nothing, as they would on the replayed account.
    restored.sendTransfer('t-1', 'b-1', 100);
    restored.receiveTransfer('t-2', 'b-1', 40);
    restored.refundTransfer('t-3', 'again');
    restored.refundTransfer('t-4', 'delivered already');
    restored.recordTransferDelivered('t-4');
    expect(restored.getUncommittedEvents()).toEqual([]);
    // A transfer it sent and never refunded is still in flight: it can be refunded, once.
    restored.refundTransfer('t-1', 'failed');
    expect(restored.getUncommittedEvents()).toEqual([new TransferRefunded('t-1', 100, 'failed')]);
  });
});
