import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses, OperatorsOnly, PROBLEMS } from '#event-sourcing/http';
import { GetDailyTotals, type DailyTotals } from '../application/daily-totals/get-daily-totals.query.js';
import { DailyTotalResponse, DailyTotalsResponse } from './dto/daily-totals.response.js';
import { DailyTotalsQueryDto } from './dto/daily-totals.query.dto.js';

@ApiTags('reports')
@ApiProblemResponses(PROBLEMS.databaseUnavailable, PROBLEMS.databaseBusy)
@Controller('reports')
export class ReportsController {
  constructor(private readonly queries: QueryBus) {}

  // The bank's totals over every account: for its staff, not for one account's owner.
  @Get('daily-totals')
  @OperatorsOnly()
  @ApiOperation({
    operationId: 'getDailyTotals',
    summary: 'Deposits and withdrawals per day and currency',
    description:
      'A view of the reporting context, fed by the accounts events it receives through NATS JetStream; empty when NATS is not configured. Oldest day first.',
  })
  @ApiOkResponse({ type: DailyTotalsResponse })
  @ApiProblemResponses(PROBLEMS.invalidRequest)
  async dailyTotals(@Query() query: DailyTotalsQueryDto): Promise<DailyTotalsResponse> {
    const totals = await this.queries.execute<GetDailyTotals, DailyTotals>(
      new GetDailyTotals(query.limit, query.from, query.to, query.currency),
    );
    return { items: totals.map(DailyTotalResponse.of) };
  }
}
