import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type AggregateRepository, type CommandOutcome, InjectAggregateRepository } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';
import { RefundTransfer } from './refund-transfer.command.js';

@CommandHandler(RefundTransfer)
export class RefundTransferHandler implements ICommandHandler<RefundTransfer> {
  constructor(@InjectAggregateRepository(Account) private readonly accounts: AggregateRepository<Account>) {}

  execute(command: RefundTransfer): Promise<CommandOutcome<{ balance: number }>> {
    return this.accounts.update(command, command.accountId, (account) => {
      account.refundTransfer(command.transferId, command.reason);
      return { balance: account.balance };
    });
  }
}
