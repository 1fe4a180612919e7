import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { type AggregateRepository, InjectAggregateRepository } from '#event-sourcing';
import { Transfer } from '../../domain/transfer.aggregate.js';
import { GetTransfer } from './get-transfer.query.js';

@QueryHandler(GetTransfer)
export class GetTransferHandler implements IQueryHandler<GetTransfer, Transfer> {
  constructor(@InjectAggregateRepository(Transfer) private readonly transfers: AggregateRepository<Transfer>) {}

  execute({ transferId }: GetTransfer): Promise<Transfer> {
    return this.transfers.get(transferId);
  }
}
