import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type AggregateRepository, type CommandOutcome, InjectAggregateRepository } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';
import { DepositMoney } from './deposit-money.command.js';

@CommandHandler(DepositMoney)
export class DepositMoneyHandler implements ICommandHandler<DepositMoney> {
  constructor(@InjectAggregateRepository(Account) private readonly accounts: AggregateRepository<Account>) {}

  execute(command: DepositMoney): Promise<CommandOutcome<{ balance: number }>> {
    return this.accounts.update(command, command.accountId, (account) => {
      account.deposit(command.amount);
      return { balance: account.balance };
    });
  }
}
