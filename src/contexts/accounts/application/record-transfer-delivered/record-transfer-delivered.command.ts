import { AggregateCommand, type CommandContext } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';

/** Tells the source account that a transfer it sent reached its destination (once per transfer id). */
export class RecordTransferDelivered extends AggregateCommand<Account> {
  constructor(
    readonly accountId: string,
    readonly transferId: string,
    readonly context: CommandContext,
  ) {
    super(Account, accountId);
  }

  decide(account: Account): Record<string, never> {
    account.recordTransferDelivered(this.transferId);
    return {};
  }
}
