import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../auth/public.decorator.js';
import { ProblemDetails } from '../event-sourcing/http/problem-details.js';

export class HealthResponse {
  @ApiProperty({ example: 'ok' }) status!: 'ok';
  @ApiProperty({
    example: 0.2,
    description:
      'Age in seconds of the oldest open writing transaction in the database: log readers wait for it to end',
  })
  oldestTransactionSeconds!: number;
}

// Only transactions holding a transaction id hold back log readers (docs/ARCHITECTURE.md).
const OLDEST_TRANSACTION = `
  SELECT coalesce(extract(epoch FROM now() - min(xact_start)), 0)::float8 AS seconds
    FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()`;

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
    let rows: { seconds: number }[];
    try {
      rows = await this.dataSource.query(OLDEST_TRANSACTION);
    } catch {
      throw new ServiceUnavailableException('The database does not answer');
    }
    return { status: 'ok', oldestTransactionSeconds: Math.max(0, rows[0].seconds) };
  }
}
