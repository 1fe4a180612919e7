import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import type { HealthCheckResult, HealthIndicatorResult } from '@nestjs/terminus';
import { ProblemDetails } from '#event-sourcing/http';

const CHECKS_SCHEMA: ApiPropertyOptions = {
  type: 'object',
  description: "terminus's result per check: `status` up or down, and what the check reported",
  additionalProperties: {
    type: 'object',
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    required: ['status'],
    additionalProperties: true,
  },
};

const HEALTHY: HealthIndicatorResult = {
  database: { status: 'up' },
  migrations: { status: 'up', applied: 6 },
  followers: { status: 'up', maxLagSeconds: 60 },
};

/** GET /health/ready when ready: terminus's result. */
export class ReadinessResponse {
  @ApiProperty({ enum: ['ok'], example: 'ok' }) status!: 'ok';
  @ApiProperty({ ...CHECKS_SCHEMA, example: HEALTHY }) info!: HealthIndicatorResult;
  @ApiProperty({ ...CHECKS_SCHEMA, example: {} }) error!: HealthIndicatorResult;
  @ApiProperty({ ...CHECKS_SCHEMA, example: HEALTHY }) details!: HealthIndicatorResult;
}

/** A problem (RFC 9457) that also carries terminus's result under `checks`. */
export class NotReadyProblem extends ProblemDetails {
  @ApiProperty(CHECKS_SCHEMA) checks!: HealthCheckResult['details'];
}

/** The answer while not ready: what failed, in `detail`, and every check's result. */
export function notReadyProblem(failing: string[], checks: HealthCheckResult['details']): NotReadyProblem {
  return {
    type: 'urn:chronicle:problem:not-ready',
    title: 'Not ready',
    status: 503,
    detail: `Not ready: ${failing.join('; ')}`,
    checks,
  };
}
