import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { AggregateRepository } from '../../../../event-sourcing/application/aggregate-repository.js';
import { InjectAggregateRepository } from '../../../../event-sourcing/event-sourcing.module.js';
import { Transfer } from '../../domain/transfer.aggregate.js';
import { GetTransfer } from './get-transfer.query.js';

@QueryHandler(GetTransfer)
export class GetTransferHandler implements IQueryHandler<GetTransfer, Transfer> {
  constructor(@InjectAggregateRepository(Transfer) private readonly transfers: AggregateRepository<Transfer>) {}

  execute({ transferId }: GetTransfer): Promise<Transfer> {
    return this.transfers.get(transferId);
  }
}
