import { commandSpec } from '#event-sourcing/testing';
import { Account } from '../../domain/account.aggregate.js';
import { AccountClosedError, BalanceLimitExceeded } from '../../domain/account.errors.js';
import { AccountClosed } from '../../domain/events/account-closed.event.js';
import { AccountOpened } from '../../domain/events/account-opened.event.js';
import { MoneyDeposited } from '../../domain/events/money-deposited.event.js';
import { TransferReceived } from '../../domain/events/transfer-received.event.js';
import { ReceiveTransfer } from './receive-transfer.command.js';

const accounts = commandSpec(Account);
const FROM = 'from-account';

describe('ReceiveTransfer', () => {
  it('takes the transfer in and answers the balance', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0))
      .when((id, context) => new ReceiveTransfer(id, 'transfer-1', FROM, 60, context))
      .then([new TransferReceived('transfer-1', FROM, 60)], { balance: 60 }));

  it('takes a transfer in once, however often it is asked', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new TransferReceived('transfer-1', FROM, 60))
      .when((id, context) => new ReceiveTransfer(id, 'transfer-1', FROM, 60, context))
      .then([], { balance: 60 }));

  it('refuses an amount that would take the balance past 2^53 - 1, for the source to take back', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(Number.MAX_SAFE_INTEGER - 59))
      .when((id, context) => new ReceiveTransfer(id, 'transfer-1', FROM, 60, context))
      .thenThrows(BalanceLimitExceeded));

  it('refuses a closed account', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new AccountClosed())
      .when((id, context) => new ReceiveTransfer(id, 'transfer-1', FROM, 60, context))
      .thenThrows(AccountClosedError));
});
