import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { ObservabilityConfig } from '../config/app-config.js';
import { HealthController } from './health.controller.js';
import { READY_MAX_FOLLOWER_LAG_SECONDS, ReadinessChecks } from './readiness.checks.js';
import { ReadinessController } from './readiness.controller.js';
import { ReplicasIndicator } from './replicas.indicator.js';

/** GET /health (liveness) and GET /health/ready (readiness). */
@Module({})
export class HealthModule {
  static forRoot(config: ObservabilityConfig): DynamicModule {
    return {
      module: HealthModule,
      // A failed probe is an answer, not an error: the 503 says what failed.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController, ReadinessController],
      providers: [
        ReadinessChecks,
        ReplicasIndicator,
        { provide: READY_MAX_FOLLOWER_LAG_SECONDS, useValue: config.readyMaxFollowerLagSeconds },
      ],
    };
  }
}
