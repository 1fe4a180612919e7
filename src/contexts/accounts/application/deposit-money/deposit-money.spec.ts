import type { CommandContext } from '#event-sourcing';
import { commandSpec } from '#event-sourcing/testing';
import { Account } from '../../domain/account.aggregate.js';
import { AccountClosedError, BalanceLimitExceeded } from '../../domain/account.errors.js';
import { AccountClosed } from '../../domain/events/account-closed.event.js';
import { AccountOpened } from '../../domain/events/account-opened.event.js';
import { MoneyDeposited } from '../../domain/events/money-deposited.event.js';
import { DepositMoney } from './deposit-money.command.js';

const accounts = commandSpec(Account);
const deposit = (amount: number) => (id: string, context: CommandContext) => new DepositMoney(id, amount, context);

describe('DepositMoney', () => {
  it('puts the amount in and answers the balance', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(100))
      .when(deposit(25))
      .then([new MoneyDeposited(25)], { balance: 125 }));

  it('refuses a balance past the largest exact integer', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(Number.MAX_SAFE_INTEGER))
      .when(deposit(1))
      .thenThrows(BalanceLimitExceeded));

  it('refuses a closed account', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new AccountClosed())
      .when(deposit(1))
      .thenThrows(AccountClosedError));

  it('answers a repeat with the same Idempotency-Key as the first time, depositing once', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0))
      .when(deposit(25), { idempotencyKey: 'deposit-1' })
      .thenRepeatAnswersTheSame());

  it('refuses a stale If-Match with the version the account is at', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(100))
      .when(deposit(25), { expectedVersion: 1 })
      .thenConflicts(2));
});
