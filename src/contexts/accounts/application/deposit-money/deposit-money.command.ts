import { AggregateCommand, type CommandContext } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';

/** Puts money into an account; answers with the new balance. */
export class DepositMoney extends AggregateCommand<Account, { balance: number }> {
  constructor(
    readonly accountId: string,
    readonly amount: number,
    readonly context: CommandContext,
  ) {
    super(Account, accountId);
  }

  decide(account: Account): { balance: number } {
    account.deposit(this.amount);
    return { balance: account.balance };
  }
}
