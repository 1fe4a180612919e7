import { Controller, Get, Header, Headers, Inject, Res, UnauthorizedException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { prometheusContentType } from 'prom-client';
import { Public } from '../../auth/public.decorator.js';
import type { ObservabilityConfig } from '../../config/app-config.js';
import { ApiProblemResponses, problemExample, PROBLEMS } from '#event-sourcing/http';
import { AppMetrics } from './app-metrics.js';

export const OBSERVABILITY_CONFIG = Symbol('ObservabilityConfig');

// Hashing first gives equal lengths, which timingSafeEqual needs, and leaks no length.
const digest = (text: string) => createHash('sha256').update(text).digest();

/** The security scheme of the OpenAPI document for METRICS_TOKEN. */
export const METRICS_TOKEN_SCHEME = 'metricsToken';

const missingMetricsToken = () => new UnauthorizedException('GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');

/**
 * Prometheus scrapes without a JWT, so the bearer-token guard lets this route through;
 * `METRICS_TOKEN`, when set, is the one credential it wants.
 */
@Public()
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  private readonly expected?: Buffer;

  constructor(
    private readonly metrics: AppMetrics,
    @Inject(OBSERVABILITY_CONFIG) config: ObservabilityConfig,
  ) {
    this.expected = config.metricsToken === undefined ? undefined : digest(`Bearer ${config.metricsToken}`);
  }

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ operationId: 'scrapeMetrics', summary: 'Prometheus metrics' })
  @ApiSecurity(METRICS_TOKEN_SCHEME)
  @ApiProduces(prometheusContentType)
  @ApiOkResponse({
    description: 'Prometheus text exposition format (docs/OPERATIONS.md lists the series)',
    schema: {
      type: 'string',
      example:
        '# HELP chronicle_events_appended_total Events stored\n# TYPE chronicle_events_appended_total counter\nchronicle_events_appended_total{stream_type="Account"} 42\n',
    },
  })
  // The follower gauges and the oldest transaction are read from the database at each scrape.
  @ApiProblemResponses(
    problemExample('METRICS_TOKEN is set and the request does not carry it', missingMetricsToken()),
    PROBLEMS.databaseUnavailable,
    PROBLEMS.databaseBusy,
  )
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<string> {
    if (this.expected && !timingSafeEqual(digest(authorization ?? ''), this.expected)) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      throw missingMetricsToken();
    }
    response.type(prometheusContentType);
    return this.metrics.exposition();
  }
}
