import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type AggregateRepository, type CommandOutcome, InjectAggregateRepository } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';
import { CloseAccount } from './close-account.command.js';

@CommandHandler(CloseAccount)
export class CloseAccountHandler implements ICommandHandler<CloseAccount> {
  constructor(@InjectAggregateRepository(Account) private readonly accounts: AggregateRepository<Account>) {}

  execute(command: CloseAccount): Promise<CommandOutcome<Record<string, never>>> {
    return this.accounts.update(command, command.accountId, (account) => {
      account.close();
      return {};
    });
  }
}
