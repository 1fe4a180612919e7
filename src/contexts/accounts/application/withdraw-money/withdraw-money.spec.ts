import type { CommandContext } from '#event-sourcing';
import { commandSpec } from '#event-sourcing/testing';
import { Account } from '../../domain/account.aggregate.js';
import { AccountClosedError, InsufficientFunds } from '../../domain/account.errors.js';
import { AccountClosed } from '../../domain/events/account-closed.event.js';
import { AccountOpened } from '../../domain/events/account-opened.event.js';
import { MoneyDeposited } from '../../domain/events/money-deposited.event.js';
import { MoneyWithdrawn } from '../../domain/events/money-withdrawn.event.js';
import { WithdrawMoney } from './withdraw-money.command.js';

const accounts = commandSpec(Account);
const withdraw = (amount: number) => (id: string, context: CommandContext) => new WithdrawMoney(id, amount, context);

describe('WithdrawMoney', () => {
  it('takes the amount out, down to minus the overdraft limit, and answers the balance', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 50), new MoneyDeposited(100))
      .when(withdraw(150))
      .then([new MoneyWithdrawn(150)], { balance: -50 }));

  it('refuses more than the balance plus the overdraft limit', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 50), new MoneyDeposited(100))
      .when(withdraw(151))
      .thenThrows(InsufficientFunds));

  it('refuses a closed account', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new AccountClosed())
      .when(withdraw(1))
      .thenThrows(AccountClosedError));

  it('answers a repeat with the same Idempotency-Key as the first time, taking the money once', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(100))
      .when(withdraw(30), { idempotencyKey: 'withdrawal-1' })
      .thenRepeatAnswersTheSame());

  it('refuses an Idempotency-Key sent before with another amount', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(100))
      .when(withdraw(30), { idempotencyKey: 'withdrawal-1' })
      .thenRefusesTheKeyFor(withdraw(40)));

  it('refuses an If-Match older than the account, with the version it is at', () =>
    accounts
      .given(new AccountOpened('Ada', 'EUR', 0), new MoneyDeposited(100))
      .when(withdraw(30), { expectedVersion: 1 })
      .thenConflicts(2));
});
