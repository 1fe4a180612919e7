import { Applies, EventSourcedAggregate, type SnapshotSettings } from '#event-sourcing/domain';
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

export type AccountStatus = 'open' | 'closed';

/**
 * A bank account holding an integer number of minor units, allowed below zero down to its
 * overdraft limit. A transfer it sent stays in flight until it reached its destination or
 * came back: meanwhile the account keeps room under the balance cap for its return, and
 * cannot be closed, so a refund is never refused and never lands in a closed account.
 */
export class Account extends EventSourcedAggregate {
  static readonly streamType = 'Account';
  static readonly events = [
    AccountOpened,
    MoneyDeposited,
    MoneyWithdrawn,
    TransferSent,
    TransferReceived,
    TransferRefunded,
    TransferDelivered,
    AccountClosed,
    AccountPersonalDataErased,
  ];
  /**
   * Snapshots hold the fields below (the default). Raise `version` when one is added, removed
   * or changes type (1 stored `owner` unencrypted, 2 was written by hand, 3 knew no
   * transfers in flight: an older one is ignored and the account replayed). `every` is
   * overridden by SNAPSHOT_EVERY_ACCOUNT.
   */
  static readonly snapshots: SnapshotSettings = { version: 4, every: 100, personal: { owner: ERASED_OWNER } };

  owner = '';
  personalDataErased = false;
  currency = '';
  overdraftLimit = 0;
  balance = 0;
  status: AccountStatus = 'open';
  /** Transfers this account took part in, so a repeated instruction changes nothing. */
  private readonly transfersSent = new Set<string>();
  private readonly transfersReceived = new Set<string>();
  /** Transfers sent that have neither reached their destination nor come back, with their amounts. */
  private readonly transfersInFlight = new Map<string, number>();

  /** Its owner's name in tools over the store (the explorer); `[erased]` once erased. */
  static displayName(account: Account): string {
    return account.owner;
  }

  static open(id: string, owner: string, currency: string, overdraftLimit: number): Account {
    const account = new Account(id);
    account.apply(new AccountOpened(owner, currency, overdraftLimit));
    return account;
  }

  deposit(amount: number): void {
    this.assertOpen();
    assertAmount(amount);
    this.assertRoomFor(amount);
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
    this.assertRoomFor(amount);
    this.apply(new TransferReceived(transferId, fromAccountId, amount));
  }

  /**
   * Gives back what a transfer in flight paid out, once. Never refused: the money has to
   * land somewhere, and only this account paid it. The account kept room for it under the
   * cap, and it cannot have been closed since (unless its history predates that rule).
   */
  refundTransfer(transferId: string, reason: string): void {
    const amount = this.transfersInFlight.get(transferId);
    if (amount !== undefined) this.apply(new TransferRefunded(transferId, amount, reason));
  }

  /** Notes, once, that a transfer it sent reached its destination: its amount will not come back. */
  recordTransferDelivered(transferId: string): void {
    if (this.transfersInFlight.has(transferId)) this.apply(new TransferDelivered(transferId));
  }

  close(): void {
    this.assertOpen();
    if (this.balance !== 0) throw new BalanceNotZero(this.id, this.balance);
    if (this.transfersInFlight.size > 0) throw new TransferInFlight(this.id, this.transfersInFlight.size);
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
    this.transfersSent.add(event.transferId);
    this.transfersInFlight.set(event.transferId, event.amount);
  }

  @Applies(TransferReceived)
  onTransferReceived(event: TransferReceived): void {
    this.balance += event.amount;
    this.transfersReceived.add(event.transferId);
  }

  @Applies(TransferRefunded)
  onTransferRefunded(event: TransferRefunded): void {
    this.balance += event.amount;
    this.transfersInFlight.delete(event.transferId);
  }

  @Applies(TransferDelivered)
  onTransferDelivered(event: TransferDelivered): void {
    this.transfersInFlight.delete(event.transferId);
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

  /** Money in flight may come back at any time, so a credit must leave room for all of it. */
  private assertRoomFor(amount: number): void {
    let inFlight = 0;
    for (const sent of this.transfersInFlight.values()) inFlight += sent;
    if (this.balance + inFlight + amount > Number.MAX_SAFE_INTEGER) throw new BalanceLimitExceeded(this.id);
  }
}

function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new InvalidAmount(amount);
}
