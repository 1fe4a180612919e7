import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type AggregateRepository, type CommandOutcome, InjectAggregateRepository } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';
import { ReceiveTransfer } from './receive-transfer.command.js';

@CommandHandler(ReceiveTransfer)
export class ReceiveTransferHandler implements ICommandHandler<ReceiveTransfer> {
  constructor(@InjectAggregateRepository(Account) private readonly accounts: AggregateRepository<Account>) {}

  execute(command: ReceiveTransfer): Promise<CommandOutcome<{ balance: number }>> {
    return this.accounts.update(command, command.accountId, (account) => {
      account.receiveTransfer(command.transferId, command.fromAccountId, command.amount);
      return { balance: account.balance };
    });
  }
}
