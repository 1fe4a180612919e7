import { Applies, EventSourcedAggregate } from '#event-sourcing/domain';
import { TransferCompleted } from './events/transfer-completed.event.js';
import { TransferDebited } from './events/transfer-debited.event.js';
import { TransferFailed } from './events/transfer-failed.event.js';
import { TransferRequested } from './events/transfer-requested.event.js';
import { CurrencyMismatch, InvalidTransferAmount, SameAccountTransfer, TransferNotDebited } from './transfer.errors.js';

export type TransferStatus = 'requested' | 'debited' | 'completed' | 'failed';

/**
 * Why a transfer failed: `insufficient_funds`, `account_closed` or `account_not_found`
 * (or the code of another refusal of the accounts context).
 */
export type TransferFailureReason = string;

/**
 * The currencies of the two accounts as the request found them; none for an id no account
 * has (the process then fails the transfer with `account_not_found`).
 */
export interface TransferCurrencies {
  from?: string;
  to?: string;
}

/**
 * Money on its way from one account to another: requested, then debited from the source,
 * then completed on the destination, or failed with a reason. Each step happens once:
 * asking for a step the transfer already took, or any step after it ended, changes nothing.
 */
export class Transfer extends EventSourcedAggregate {
  static readonly streamType = 'Transfer';
  static readonly events = [TransferRequested, TransferDebited, TransferCompleted, TransferFailed];

  fromAccountId = '';
  toAccountId = '';
  amount = 0;
  status: TransferStatus = 'requested';
  reason?: TransferFailureReason;

  static request(
    id: string,
    fromAccountId: string,
    toAccountId: string,
    amount: number,
    currencies: TransferCurrencies,
  ): Transfer {
    if (fromAccountId === toAccountId) throw new SameAccountTransfer(fromAccountId);
    if (!Number.isSafeInteger(amount) || amount <= 0) throw new InvalidTransferAmount(amount);
    const { from, to } = currencies;
    if (from !== undefined && to !== undefined && from !== to) throw new CurrencyMismatch(from, to);
    const transfer = new Transfer(id);
    transfer.apply(new TransferRequested(fromAccountId, toAccountId, amount));
    return transfer;
  }

  get ended(): boolean {
    return this.status === 'completed' || this.status === 'failed';
  }

  markDebited(): void {
    if (this.status !== 'requested') return;
    this.apply(new TransferDebited());
  }

  complete(): void {
    if (this.ended) return;
    if (this.status !== 'debited') throw new TransferNotDebited(this.id);
    this.apply(new TransferCompleted());
  }

  fail(reason: TransferFailureReason): void {
    if (this.ended) return;
    this.apply(new TransferFailed(reason));
  }

  @Applies(TransferRequested)
  onTransferRequested(event: TransferRequested): void {
    this.fromAccountId = event.fromAccountId;
    this.toAccountId = event.toAccountId;
    this.amount = event.amount;
  }

  @Applies(TransferDebited)
  onTransferDebited(): void {
    this.status = 'debited';
  }

  @Applies(TransferCompleted)
  onTransferCompleted(): void {
    this.status = 'completed';
  }

  @Applies(TransferFailed)
  onTransferFailed(event: TransferFailed): void {
    this.status = 'failed';
    this.reason = event.reason;
  }
}
