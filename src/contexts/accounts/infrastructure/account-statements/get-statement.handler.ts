import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, MoreThanOrEqual } from 'typeorm';
import { AggregateNotFoundError } from '#event-sourcing/domain';
import { Account } from '../../domain/account.aggregate.js';
import { AccountSummary } from '../account-summaries/account-summary.entity.js';
import { GetStatement } from '../../application/account-statements/get-statement.query.js';
import { StatementLine } from './statement-line.entity.js';

@QueryHandler(GetStatement)
export class GetStatementHandler implements IQueryHandler<GetStatement, StatementLine[]> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async execute({ accountId, fromVersion, limit }: GetStatement): Promise<StatementLine[]> {
    const lines = await this.dataSource.getRepository(StatementLine).find({
      where: { accountId, version: MoreThanOrEqual(fromVersion) },
      order: { version: 'ASC' },
      take: limit,
    });
    if (lines.length === 0 && !(await this.dataSource.getRepository(AccountSummary).existsBy({ id: accountId }))) {
      throw new AggregateNotFoundError(Account.streamType, accountId);
    }
    return lines;
  }
}
