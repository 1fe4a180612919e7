import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  type AggregateRepository,
  type CommandOutcome,
  InjectAggregateRepository,
  PersonalDataKeys,
} from '#event-sourcing';
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
  async execute(command: ErasePersonalData): Promise<CommandOutcome> {
    await this.accounts.get(command.accountId);
    await this.keys.erase(command.accountId);
    return this.accounts.update(command, command.accountId, (account) => {
      account.recordPersonalDataErased();
      return {};
    });
  }
}
