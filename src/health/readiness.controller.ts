import { Controller, Get, Header, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator.js';
import { responseHeaders } from '#event-sourcing/http';
import { ReadinessChecks } from './readiness.checks.js';
import { ReplicasIndicator } from './replicas.indicator.js';
import { NotReadyProblem, notReadyProblem, ReadinessResponse } from './readiness.responses.js';

const RETRY_AFTER_SECONDS = 5;

const NOT_READY = notReadyProblem(['migrations not applied: EventMigrations1795680000005'], {
  database: { status: 'up' },
  migrations: { status: 'down', message: 'migrations not applied: EventMigrations1795680000005' },
  followers: { status: 'up', maxLagSeconds: 60 },
});

// Orchestrators probe it without a token, like GET /health.
@Public()
@ApiTags('operations')
@ApiExtraModels(NotReadyProblem)
@Controller('health')
export class ReadinessController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: ReadinessChecks,
    private readonly replicas: ReplicasIndicator,
  ) {}

  /**
   * Ready to serve: the database answers, every migration has run, and every follower is
   * within READY_MAX_FOLLOWER_LAG_SECONDS of the log. GET /health stays the liveness probe.
   */
  @Get('ready')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ operationId: 'checkReadiness', summary: 'Readiness probe: ready to serve?' })
  @ApiOkResponse({ type: ReadinessResponse, description: "Ready: terminus's result" })
  @ApiServiceUnavailableResponse({
    description: `\`${NOT_READY.type}\`: what is not ready, in \`detail\`, and every check under \`checks\``,
    headers: responseHeaders('Retry-After'),
    content: {
      'application/problem+json': {
        schema: { $ref: getSchemaPath(NotReadyProblem) },
        examples: { 'not-ready': { summary: 'A migration has not run', value: NOT_READY } },
      },
    },
  })
  async ready(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult | NotReadyProblem> {
    try {
      return await this.health.check([
        () => this.checks.database(),
        () => this.checks.migrations(),
        () => this.checks.followersCaughtUp(),
        ...this.replicas.checks(),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      const failing = Object.entries(result.error ?? {}).map(([name, check]) =>
        typeof check?.message === 'string' ? check.message : name,
      );
      response.status(503).type('application/problem+json').setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      return notReadyProblem(failing, result.details);
    }
  }
}
