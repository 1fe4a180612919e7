import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AggregateNotFoundError } from '#event-sourcing/domain';
import { ReadReplicas, type StoredEvent } from '#event-sourcing';
import { Account } from '../../domain/account.aggregate.js';
import { GetAccountEvents } from './get-account-events.query.js';

@QueryHandler(GetAccountEvents)
export class GetAccountEventsHandler implements IQueryHandler<GetAccountEvents, StoredEvent[]> {
  constructor(private readonly reads: ReadReplicas) {}

  async execute({ accountId, fromVersion, limit }: GetAccountEvents): Promise<StoredEvent[]> {
    const store = this.reads.eventStore();
    const [first] = await store.readStream(accountId, { limit: 1 });
    if (first?.streamType !== Account.streamType) throw new AggregateNotFoundError(Account.streamType, accountId);
    return store.readStream(accountId, { fromVersion, limit });
  }
}
