import { AggregateCommand, type CommandContext } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';

/** Closes an account whose balance is 0. */
export class CloseAccount extends AggregateCommand<Account> {
  constructor(
    readonly accountId: string,
    readonly context: CommandContext,
  ) {
    super(Account, accountId);
  }

  decide(account: Account): Record<string, never> {
    account.close();
    return {};
  }
}
