import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { type AggregateRepository, InjectAggregateRepository, ReadReplicas } from '#event-sourcing';
import { AggregateNotFoundError } from '#event-sourcing/domain';
import { Account } from '../../domain/account.aggregate.js';
import { GetAccount } from './get-account.query.js';

@QueryHandler(GetAccount)
export class GetAccountHandler implements IQueryHandler<GetAccount, Account> {
  constructor(
    @InjectAggregateRepository(Account) private readonly accounts: AggregateRepository<Account>,
    private readonly reads: ReadReplicas,
  ) {}

  async execute({ accountId, at }: GetAccount): Promise<Account> {
    const account = await this.reads.load((id, point) => this.accounts.get(id, point), Account, accountId, at);
    // Asking for a version the account has not reached yet is asking for something that does not exist.
    if (at.version !== undefined && account.version < at.version)
      throw new AggregateNotFoundError(Account.streamType, accountId);
    return account;
  }
}
