import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type AggregateRepository, type CommandOutcome, InjectAggregateRepository } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';
import { WithdrawMoney } from './withdraw-money.command.js';

@CommandHandler(WithdrawMoney)
export class WithdrawMoneyHandler implements ICommandHandler<WithdrawMoney> {
  constructor(@InjectAggregateRepository(Account) private readonly accounts: AggregateRepository<Account>) {}

  execute(command: WithdrawMoney): Promise<CommandOutcome<{ balance: number }>> {
    return this.accounts.update(command, command.accountId, (account) => {
      account.withdraw(command.amount);
      return { balance: account.balance };
    });
  }
}
