import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ObservabilityConfig } from '../config/app-config.js';
import { requestLogging } from './logging/request-logging.js';
import { AppMetrics } from './metrics/app-metrics.js';
import { MetricsController, OBSERVABILITY_CONFIG } from './metrics/metrics.controller.js';

/** Structured logs through `root` and Prometheus metrics at GET /metrics. */
@Module({})
export class ObservabilityModule {
  static forRoot(config: ObservabilityConfig, root: Logger): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [requestLogging(root)],
      controllers: [MetricsController],
      providers: [AppMetrics, { provide: OBSERVABILITY_CONFIG, useValue: config }],
      exports: [AppMetrics, OBSERVABILITY_CONFIG],
    };
  }
}
