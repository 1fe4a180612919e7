import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type AggregateRepository, type CommandOutcome, InjectAggregateRepository } from '#event-sourcing';
import { Transfer } from '../../domain/transfer.aggregate.js';
import { MarkTransferDebited } from './mark-transfer-debited.command.js';

@CommandHandler(MarkTransferDebited)
export class MarkTransferDebitedHandler implements ICommandHandler<MarkTransferDebited> {
  constructor(@InjectAggregateRepository(Transfer) private readonly transfers: AggregateRepository<Transfer>) {}

  execute(command: MarkTransferDebited): Promise<CommandOutcome<Record<string, never>>> {
    return this.transfers.update(command, command.transferId, (transfer) => {
      transfer.markDebited();
      return {};
    });
  }
}
