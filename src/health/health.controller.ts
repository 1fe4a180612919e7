import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../auth/public.decorator.js';
import { ApiProblemResponses, problemExample } from '#event-sourcing/http';
import { oldestTransactionSeconds } from '#event-sourcing/postgres';

const databaseDown = () => new ServiceUnavailableException('The database does not answer');

export class HealthResponse {
  @ApiProperty({ enum: ['ok'], example: 'ok' }) status!: 'ok';
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
  @ApiOperation({ operationId: 'checkHealth', summary: 'Liveness probe: does the database answer?' })
  @ApiOkResponse({ type: HealthResponse })
  @ApiProblemResponses(problemExample('The database does not answer', databaseDown()))
  async check(): Promise<HealthResponse> {
    try {
      return { status: 'ok', oldestTransactionSeconds: await oldestTransactionSeconds(this.dataSource) };
    } catch {
      throw databaseDown();
    }
  }
}
