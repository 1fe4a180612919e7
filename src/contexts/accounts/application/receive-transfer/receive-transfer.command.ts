import { AggregateCommand, type CommandContext } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';

/** Credits a transfer to the destination account (once per transfer id). */
export class ReceiveTransfer extends AggregateCommand<Account, { balance: number }> {
  constructor(
    readonly accountId: string,
    readonly transferId: string,
    readonly fromAccountId: string,
    readonly amount: number,
    readonly context: CommandContext,
  ) {
    super(Account, accountId);
  }

  decide(account: Account): { balance: number } {
    account.receiveTransfer(this.transferId, this.fromAccountId, this.amount);
    return { balance: account.balance };
  }
}
