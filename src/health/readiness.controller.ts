import { Controller, Get, Header, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator.js';
import { ProblemDetails } from '../event-sourcing/http/problem-details.js';
import { ReadinessChecks } from './readiness.checks.js';

const RETRY_AFTER_SECONDS = 5;

/** A problem (RFC 9457) that also carries terminus's result under `checks`. */
export interface NotReadyProblem extends ProblemDetails {
  checks: HealthCheckResult['details'];
}

// Orchestrators probe it without a token, like GET /health.
@Public()
@ApiTags('operations')
@Controller('health')
export class ReadinessController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: ReadinessChecks,
  ) {}

  /**
   * Ready to serve: the database answers, every migration has run, and every follower is
   * within READY_MAX_FOLLOWER_LAG_SECONDS of the log. GET /health stays the liveness probe.
   */
  @Get('ready')
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ description: "terminus's result: { status: 'ok', info, error, details }" })
  @ApiServiceUnavailableResponse({ type: ProblemDetails, description: 'The checks that failed, under `checks`' })
  async ready(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult | NotReadyProblem> {
    try {
      return await this.health.check([
        () => this.checks.database(),
        () => this.checks.migrations(),
        () => this.checks.followersCaughtUp(),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      const failing = Object.entries(result.error ?? {}).map(([name, check]) =>
        typeof check?.message === 'string' ? check.message : name,
      );
      response.status(503).type('application/problem+json').setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      return {
        type: 'urn:chronicle:problem:not-ready',
        title: 'Not ready',
        status: 503,
        detail: `Not ready: ${failing.join('; ')}`,
        checks: result.details,
      };
    }
  }
}
