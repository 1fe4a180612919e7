import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type AggregateRepository, type CommandOutcome, InjectAggregateRepository } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';
import { SendTransfer } from './send-transfer.command.js';

@CommandHandler(SendTransfer)
export class SendTransferHandler implements ICommandHandler<SendTransfer> {
  constructor(@InjectAggregateRepository(Account) private readonly accounts: AggregateRepository<Account>) {}

  execute(command: SendTransfer): Promise<CommandOutcome<{ balance: number }>> {
    return this.accounts.update(command, command.accountId, (account) => {
      account.sendTransfer(command.transferId, command.toAccountId, command.amount);
      return { balance: account.balance };
    });
  }
}
