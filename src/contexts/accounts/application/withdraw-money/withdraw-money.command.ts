import { AggregateCommand, type CommandContext } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';

/** Takes money out of an account, down to minus its overdraft limit; answers with the new balance. */
export class WithdrawMoney extends AggregateCommand<Account, { balance: number }> {
  constructor(
    readonly accountId: string,
    readonly amount: number,
    readonly context: CommandContext,
  ) {
    super(Account, accountId);
  }

  decide(account: Account): { balance: number } {
    account.withdraw(this.amount);
    return { balance: account.balance };
  }
}
