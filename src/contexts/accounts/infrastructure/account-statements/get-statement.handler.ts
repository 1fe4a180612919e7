import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { MoreThanOrEqual } from 'typeorm';
import { ReadReplicas } from '#event-sourcing';
import { AggregateNotFoundError } from '#event-sourcing/domain';
import { Account } from '../../domain/account.aggregate.js';
import { AccountSummary } from '../account-summaries/account-summary.entity.js';
import { GetStatement } from '../../application/account-statements/get-statement.query.js';
import { StatementLine } from './statement-line.entity.js';

@QueryHandler(GetStatement)
export class GetStatementHandler implements IQueryHandler<GetStatement, StatementLine[]> {
  constructor(private readonly reads: ReadReplicas) {}

  async execute({ accountId, fromVersion, limit }: GetStatement): Promise<StatementLine[]> {
    // The server of this read: a replica, or the primary (ReadsView on the route chose).
    const dataSource = this.reads.dataSource();
    const lines = await dataSource.getRepository(StatementLine).find({
      where: { accountId, version: MoreThanOrEqual(fromVersion) },
      order: { version: 'ASC' },
      take: limit,
    });
    if (lines.length === 0 && !(await dataSource.getRepository(AccountSummary).existsBy({ id: accountId }))) {
      throw new AggregateNotFoundError(Account.streamType, accountId);
    }
    return lines;
  }
}
