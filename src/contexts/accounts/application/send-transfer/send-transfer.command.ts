import { AggregateCommand, type CommandContext } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';

/** Pays a transfer out of the source account (once per transfer id). */
export class SendTransfer extends AggregateCommand<Account, { balance: number }> {
  constructor(
    readonly accountId: string,
    readonly transferId: string,
    readonly toAccountId: string,
    readonly amount: number,
    readonly context: CommandContext,
  ) {
    super(Account, accountId);
  }

  decide(account: Account): { balance: number } {
    account.sendTransfer(this.transferId, this.toAccountId, this.amount);
    return { balance: account.balance };
  }
}
