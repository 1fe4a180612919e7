import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type AggregateRepository, type CommandOutcome, InjectAggregateRepository } from '#event-sourcing';
import { Transfer } from '../../domain/transfer.aggregate.js';
import { FailTransfer } from './fail-transfer.command.js';

@CommandHandler(FailTransfer)
export class FailTransferHandler implements ICommandHandler<FailTransfer> {
  constructor(@InjectAggregateRepository(Transfer) private readonly transfers: AggregateRepository<Transfer>) {}

  execute(command: FailTransfer): Promise<CommandOutcome<Record<string, never>>> {
    return this.transfers.update(command, command.transferId, (transfer) => {
      transfer.fail(command.reason);
      return {};
    });
  }
}
