import { Applies, EventSourcedAggregate, type SnapshotSettings } from '#event-sourcing/domain';
import {
  AccountClosedError,
  BalanceLimitExceeded,
  BalanceNotZero,
  InsufficientFunds,
  InvalidAmount,
} from './account.errors.js';
import { AccountClosed } from './events/account-closed.event.js';
import { AccountOpened, ERASED_OWNER } from './events/account-opened.event.js';
import { AccountPersonalDataErased } from './events/account-personal-data-erased.event.js';
import { MoneyDeposited } from './events/money-deposited.event.js';
import { MoneyWithdrawn } from './events/money-withdrawn.event.js';
import { TransferReceived } from './events/transfer-received.event.js';
import { TransferRefunded } from './events/transfer-refunded.event.js';
import { TransferSent } from './events/transfer-sent.event.js';

export type AccountStatus = 'open' | 'closed';

/** A bank account holding an integer number of minor units, allowed below zero down to its overdraft limit. */
export class Account extends EventSourcedAggregate {
  static readonly streamType = 'Account';
  static readonly events = [
    AccountOpened,
    MoneyDeposited,
    MoneyWithdrawn,
    TransferSent,
    TransferReceived,
    TransferRefunded,
    AccountClosed,
    AccountPersonalDataErased,
  ];
  /**
   * Snapshots hold the fields below (the default). Raise `version` when one is added, removed
   * or changes type (1 stored `owner` unencrypted, 2 was written by hand). `every` is
   * overridden by SNAPSHOT_EVERY_ACCOUNT.
   */
  static readonly snapshots: SnapshotSettings = { version: 3, every: 100, personal: { owner: ERASED_OWNER } };

  owner = '';
  personalDataErased = false;
  currency = '';
  overdraftLimit = 0;
  balance = 0;
  status: AccountStatus = 'open';
  /** Transfers this account took part in (sent ones with their amount), so a repeated instruction changes nothing. */
  private readonly transfersSent = new Map<string, number>();
  private readonly transfersReceived = new Set<string>();
  private readonly transfersRefunded = new Set<string>();

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

  /** Pays out for a transfer; a transfer already paid out is not paid again. */
  sendTransfer(transferId: string, toAccountId: string, amount: number): void {
    if (this.transfersSent.has(transferId)) return;
    this.assertOpen();
    assertAmount(amount);
    const available = this.balance + this.overdraftLimit;
    if (available < amount) throw new InsufficientFunds(this.id, available, amount);
    this.apply(new TransferSent(transferId, toAccountId, amount));
  }

  /** Takes in a transfer; a transfer already taken in is not taken again. */
  receiveTransfer(transferId: string, fromAccountId: string, amount: number): void {
    if (this.transfersReceived.has(transferId)) return;
    this.assertOpen();
    assertAmount(amount);
    if (this.balance + amount > Number.MAX_SAFE_INTEGER) throw new BalanceLimitExceeded(this.id);
    this.apply(new TransferReceived(transferId, fromAccountId, amount));
  }

  /**
   * Gives back what a transfer paid out, once. Allowed on a closed account too: the
   * money has to land somewhere, and only this account paid it.
   */
  refundTransfer(transferId: string, reason: string): void {
    if (this.transfersRefunded.has(transferId) || !this.transfersSent.has(transferId)) return;
    this.apply(new TransferRefunded(transferId, this.transfersSent.get(transferId)!, reason));
  }

  close(): void {
    this.assertOpen();
    if (this.balance !== 0) throw new BalanceNotZero(this.id, this.balance);
    this.apply(new AccountClosed());
  }

  /**
   * Records the erasure of the owner's personal data, once; the key that made it
   * readable is destroyed before (by the handler), so this only tells views.
   * Open or closed, an account's data can be erased.
   */
  recordPersonalDataErased(): void {
    if (!this.personalDataErased) this.apply(new AccountPersonalDataErased());
  }

  @Applies(AccountOpened)
  onAccountOpened(event: AccountOpened): void {
    this.owner = event.owner;
    this.currency = event.currency;
    this.overdraftLimit = event.overdraftLimit;
  }

  @Applies(MoneyDeposited)
  onMoneyDeposited(event: MoneyDeposited): void {
    this.balance += event.amount;
  }

  @Applies(MoneyWithdrawn)
  onMoneyWithdrawn(event: MoneyWithdrawn): void {
    this.balance -= event.amount;
  }

  @Applies(TransferSent)
  onTransferSent(event: TransferSent): void {
    this.balance -= event.amount;
    this.transfersSent.set(event.transferId, event.amount);
  }

  @Applies(TransferReceived)
  onTransferReceived(event: TransferReceived): void {
    this.balance += event.amount;
    this.transfersReceived.add(event.transferId);
  }

  @Applies(TransferRefunded)
  onTransferRefunded(event: TransferRefunded): void {
    this.balance += event.amount;
    this.transfersRefunded.add(event.transferId);
  }

  @Applies(AccountClosed)
  onAccountClosed(): void {
    this.status = 'closed';
  }

  @Applies(AccountPersonalDataErased)
  onAccountPersonalDataErased(): void {
    this.owner = ERASED_OWNER;
    this.personalDataErased = true;
  }

  private assertOpen(): void {
    if (this.status === 'closed') throw new AccountClosedError(this.id);
  }
}

function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new InvalidAmount(amount);
}
