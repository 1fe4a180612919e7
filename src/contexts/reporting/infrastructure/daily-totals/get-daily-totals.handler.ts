import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { And, DataSource, LessThanOrEqual, MoreThanOrEqual, type FindOperator } from 'typeorm';
import { DailyTotal } from './daily-total.entity.js';
import { GetDailyTotals, type DailyTotals } from '../../application/daily-totals/get-daily-totals.query.js';

@QueryHandler(GetDailyTotals)
export class GetDailyTotalsHandler implements IQueryHandler<GetDailyTotals, DailyTotals> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async execute({ limit, from, to, currency }: GetDailyTotals): Promise<DailyTotals> {
    const bounds: FindOperator<string>[] = [];
    if (from !== undefined) bounds.push(MoreThanOrEqual(from));
    if (to !== undefined) bounds.push(LessThanOrEqual(to));
    return this.dataSource.getRepository(DailyTotal).find({
      where: {
        ...(bounds.length > 0 ? { day: And(...bounds) } : {}),
        ...(currency === undefined ? {} : { currency }),
      },
      order: { day: 'ASC', currency: 'ASC' },
      take: limit,
    });
  }
}
