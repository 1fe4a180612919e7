import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { MoreThan } from 'typeorm';
import { ReadReplicas } from '#event-sourcing';
import { AccountSummary } from './account-summary.entity.js';
import { ListAccounts, type AccountPage } from '../../application/account-summaries/list-accounts.query.js';

@QueryHandler(ListAccounts)
export class ListAccountsHandler implements IQueryHandler<ListAccounts, AccountPage> {
  constructor(private readonly reads: ReadReplicas) {}

  async execute({ limit, after, owner, openedBy }: ListAccounts): Promise<AccountPage> {
    // On the server of this read: a replica, or the primary (ReadsView on the route chose).
    const summaries = this.reads.dataSource().getRepository(AccountSummary);
    const rows = await summaries.find({
      where: {
        ...(after ? { id: MoreThan(after) } : {}),
        ...(owner === undefined ? {} : { owner }),
        ...(openedBy === undefined ? {} : { openedBy }),
      },
      order: { id: 'ASC' },
      take: limit + 1,
    });
    // Who opened an account scopes the list; it is not part of the answer.
    const items = rows.slice(0, limit).map(({ openedBy: _openedBy, ...view }) => view);
    return { items, more: rows.length > limit };
  }
}
