import { commandSpec } from '#event-sourcing/testing';
import { Account } from '../../domain/account.aggregate.js';
import { AccountClosedError, BalanceNotZero, TransferInFlight } from '../../domain/account.errors.js';
import { AccountClosed } from '../../domain/events/account-closed.event.js';
import { AccountOpened } from '../../domain/events/account-opened.event.js';
import { MoneyDeposited } from '../../domain/events/money-deposited.event.js';
import { MoneyWithdrawn } from '../../domain/events/money-withdrawn.event.js';
import { TransferSent } from '../../domain/events/transfer-sent.event.js';
import { CloseAccount } from './close-account.command.js';

const accounts = commandSpec(Account);

describe('CloseAccount', () => {
  it('closes an account with a balance of 0', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(10), new MoneyWithdrawn(10))
      .when((id, context) => new CloseAccount(id, context))
      .then([new AccountClosed()], {}));

  it('refuses an account with money in it', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(10))
      .when((id, context) => new CloseAccount(id, context))
      .thenThrows(BalanceNotZero));

  it('refuses an account with a transfer on the way out, whose refund would have nowhere to go', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(10), new TransferSent('transfer-1', 'to', 10))
      .when((id, context) => new CloseAccount(id, context))
      .thenThrows(TransferInFlight));

  it('refuses an account closed already', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new AccountClosed())
      .when((id, context) => new CloseAccount(id, context))
      .thenThrows(AccountClosedError));

  it('answers a repeat with the same Idempotency-Key as the first time instead of refusing it', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0))
      .when((id, context) => new CloseAccount(id, context), { idempotencyKey: 'close-1' })
      .thenRepeatAnswersTheSame());
});
