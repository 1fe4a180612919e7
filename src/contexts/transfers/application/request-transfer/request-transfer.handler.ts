import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type AggregateRepository, IdGenerator, type CommandOutcome, InjectAggregateRepository } from '#event-sourcing';
import { Transfer, type TransferStatus } from '../../domain/transfer.aggregate.js';
import { RequestTransfer } from './request-transfer.command.js';

@CommandHandler(RequestTransfer)
export class RequestTransferHandler implements ICommandHandler<RequestTransfer> {
  constructor(
    @InjectAggregateRepository(Transfer) private readonly transfers: AggregateRepository<Transfer>,
    private readonly ids: IdGenerator,
  ) {}

  execute(command: RequestTransfer): Promise<CommandOutcome<{ status: TransferStatus }>> {
    return this.transfers.create(command, () => {
      const transfer = Transfer.request(this.ids.next(), command.fromAccountId, command.toAccountId, command.amount);
      return { aggregate: transfer, result: { status: transfer.status } };
    });
  }
}
