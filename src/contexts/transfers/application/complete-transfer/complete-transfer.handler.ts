import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type AggregateRepository, type CommandOutcome, InjectAggregateRepository } from '#event-sourcing';
import { Transfer } from '../../domain/transfer.aggregate.js';
import { CompleteTransfer } from './complete-transfer.command.js';

@CommandHandler(CompleteTransfer)
export class CompleteTransferHandler implements ICommandHandler<CompleteTransfer> {
  constructor(@InjectAggregateRepository(Transfer) private readonly transfers: AggregateRepository<Transfer>) {}

  execute(command: CompleteTransfer): Promise<CommandOutcome<Record<string, never>>> {
    return this.transfers.update(command, command.transferId, (transfer) => {
      transfer.complete();
      return {};
    });
  }
}
