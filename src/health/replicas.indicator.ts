import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ReadReplicas } from '#event-sourcing';

/**
 * Each read replica's replay lag and whether reads go to it. Never down: a replica out of
 * the rotation (unreachable, or more than REPLICA_MAX_LAG_BYTES behind) costs the primary
 * its reads, not this instance its readiness.
 */
@Injectable()
export class ReplicasIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly replicas: ReadReplicas,
  ) {}

  /** The check to run, none without replicas (the readiness answer is then as it always was). */
  checks() {
    if (!this.replicas.configured) return [];
    return [() => this.indicators.check('replicas').up({ replicas: this.replicas.statuses() })];
  }
}
