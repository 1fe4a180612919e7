import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type AggregateRepository, IdGenerator, type CommandOutcome, InjectAggregateRepository } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';
import { OpenAccount } from './open-account.command.js';

@CommandHandler(OpenAccount)
export class OpenAccountHandler implements ICommandHandler<OpenAccount> {
  constructor(
    @InjectAggregateRepository(Account) private readonly accounts: AggregateRepository<Account>,
    private readonly ids: IdGenerator,
  ) {}

  execute(command: OpenAccount): Promise<CommandOutcome> {
    return this.accounts.create(command, () => ({
      aggregate: Account.open(this.ids.next(), command.owner, command.currency, command.overdraftLimit),
      result: {},
    }));
  }
}
