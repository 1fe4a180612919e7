import { EventSourcedAggregate } from '../../../event-sourcing/domain/event-sourced-aggregate.js';
import {
  AccountClosedError,
  BalanceLimitExceeded,
  BalanceNotZero,
  InsufficientFunds,
  InvalidAmount,
} from './account.errors.js';
import { AccountClosed } from './events/account-closed.event.js';
import { AccountOpened } from './events/account-opened.event.js';
import { MoneyDeposited } from './events/money-deposited.event.js';
import { MoneyWithdrawn } from './events/money-withdrawn.event.js';

export type AccountStatus = 'open' | 'closed';

/** A bank account holding an integer number of minor units, allowed below zero down to its overdraft limit. */
export class Account extends EventSourcedAggregate {
  static readonly streamType = 'Account';

  owner = '';
  currency = '';
  overdraftLimit = 0;
  balance = 0;
  status: AccountStatus = 'open';

  static open(id: string, owner: string, currency: string, overdraftLimit: number): Account {
    const account = new Account(id);
    account.apply(new AccountOpened(owner, currency, overdraftLimit));
    return account;
  }

  deposit(amount: number): void {
    this.assertOpen();
    assertAmount(amount);
    if (this.balance + amount > Number.MAX_SAFE_INTEGER) throw new BalanceLimitExceeded(this.id);
    this.apply(new MoneyDeposited(amount));
  }

  withdraw(amount: number): void {
    this.assertOpen();
    assertAmount(amount);
    const available = this.balance + this.overdraftLimit;
    if (available < amount) throw new InsufficientFunds(this.id, available, amount);
    this.apply(new MoneyWithdrawn(amount));
  }

  close(): void {
    this.assertOpen();
    if (this.balance !== 0) throw new BalanceNotZero(this.id, this.balance);
    this.apply(new AccountClosed());
  }

  onAccountOpened(event: AccountOpened): void {
    this.owner = event.owner;
    this.currency = event.currency;
    this.overdraftLimit = event.overdraftLimit;
  }

  onMoneyDeposited(event: MoneyDeposited): void {
    this.balance += event.amount;
  }

  onMoneyWithdrawn(event: MoneyWithdrawn): void {
    this.balance -= event.amount;
  }

  onAccountClosed(): void {
    this.status = 'closed';
  }

  private assertOpen(): void {
    if (this.status === 'closed') throw new AccountClosedError(this.id);
  }
}

function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new InvalidAmount(amount);
}
