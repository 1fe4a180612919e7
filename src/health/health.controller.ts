import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../auth/public.decorator.js';
import { ProblemDetails } from '../event-sourcing/http/problem-details.js';
import { oldestTransactionSeconds } from '../event-sourcing/observability/transaction-horizon.js';

export class HealthResponse {
  @ApiProperty({ example: 'ok' }) status!: 'ok';
  @ApiProperty({
    example: 0.2,
    description:
      'Age in seconds of the oldest open writing transaction in the database: log readers wait for it to end',
  })
  oldestTransactionSeconds!: number;
}

// Load balancers and orchestrators probe it without a token.
@Public()
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get()
  @ApiOkResponse({ type: HealthResponse })
  @ApiServiceUnavailableResponse({ type: ProblemDetails })
  async check(): Promise<HealthResponse> {
    try {
      return { status: 'ok', oldestTransactionSeconds: await oldestTransactionSeconds(this.dataSource) };
    } catch {
      throw new ServiceUnavailableException('The database does not answer');
    }
  }
}
