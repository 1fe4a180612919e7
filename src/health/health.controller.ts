import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator.js';

export class HealthResponse {
  @ApiProperty({ enum: ['ok'], example: 'ok' }) status!: 'ok';
}

// Load balancers and orchestrators probe it without a token.
@Public()
@ApiTags('operations')
@Controller('health')
export class HealthController {
  /**
   * Liveness: the process runs and serves HTTP. It never waits for the database: one that
   * is down or stopped is not cured by restarting the app, and a probe stuck behind it
   * would have the orchestrator restart every instance at once. GET /health/ready says
   * whether the database answers.
   */
  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ operationId: 'checkHealth', summary: 'Liveness probe: does the process serve requests?' })
  @ApiOkResponse({ type: HealthResponse })
  check(): HealthResponse {
    return { status: 'ok' };
  }
}
