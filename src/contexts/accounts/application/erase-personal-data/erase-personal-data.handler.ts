import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { AggregateRepository } from '../../../../event-sourcing/application/aggregate-repository.js';
import type { CommandOutcome } from '../../../../event-sourcing/application/command-context.js';
import { InjectAggregateRepository } from '../../../../event-sourcing/event-sourcing.module.js';
import { PersonalDataKeys } from '../../../../event-sourcing/personal-data/personal-data-keys.js';
import { Account } from '../../domain/account.aggregate.js';
import { ErasePersonalData } from './erase-personal-data.command.js';

@CommandHandler(ErasePersonalData)
export class ErasePersonalDataHandler implements ICommandHandler<ErasePersonalData> {
  constructor(
    @InjectAggregateRepository(Account) private readonly accounts: AggregateRepository<Account>,
    private readonly keys: PersonalDataKeys,
  ) {}

  /**
   * The key goes first: once it is destroyed the data is unreadable, whatever happens
   * next. A crash before the event is recorded leaves views to catch up on a repeat of
   * the request, which is safe: both steps are idempotent.
   */
  async execute(command: ErasePersonalData): Promise<CommandOutcome<Record<string, never>>> {
    await this.accounts.get(command.accountId);
    await this.keys.erase(command.accountId);
    return this.accounts.update(command, command.accountId, (account) => {
      account.recordPersonalDataErased();
      return {};
    });
  }
}
