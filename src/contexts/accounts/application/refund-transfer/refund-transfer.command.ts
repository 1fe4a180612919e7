import { AggregateCommand, type CommandContext } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';

/** Gives back to the source account what a transfer paid out of it (once per transfer id). */
export class RefundTransfer extends AggregateCommand<Account, { balance: number }> {
  constructor(
    readonly accountId: string,
    readonly transferId: string,
    readonly reason: string,
    readonly context: CommandContext,
  ) {
    super(Account, accountId);
  }

  decide(account: Account): { balance: number } {
    account.refundTransfer(this.transferId, this.reason);
    return { balance: account.balance };
  }
}
