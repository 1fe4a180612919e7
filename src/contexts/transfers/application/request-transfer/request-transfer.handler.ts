import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { AggregateRepository } from '../../../../event-sourcing/application/aggregate-repository.js';
import { IdGenerator } from '../../../../event-sourcing/application/clock.js';
import type { CommandOutcome } from '../../../../event-sourcing/application/command-context.js';
import { InjectAggregateRepository } from '../../../../event-sourcing/event-sourcing.module.js';
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
