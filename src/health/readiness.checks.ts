import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { FollowersService } from '#event-sourcing';

export const READY_MAX_FOLLOWER_LAG_SECONDS = Symbol('ReadyMaxFollowerLagSeconds');

// A probe that hangs is a failed probe; orchestrators time out after a second or so.
const CHECK_TIMEOUT_MS = 2_000;

/** What GET /health/ready checks: terminus indicators that fail with a message naming the cause. */
@Injectable()
export class ReadinessChecks {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly followers: FollowersService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(READY_MAX_FOLLOWER_LAG_SECONDS) private readonly maxLagSeconds: number,
  ) {}

  database() {
    return this.indicators
      .check('database')
      .attempt(() => this.dataSource.query('SELECT 1'))
      .withTimeout(CHECK_TIMEOUT_MS);
  }

  /** Every migration this build knows has run: the schema is the one the code expects. */
  migrations() {
    return this.indicators
      .check('migrations')
      .attempt(async () => {
        const table = this.dataSource.options.migrationsTableName ?? 'migrations';
        const rows: { name: string }[] = await this.dataSource.query(`SELECT name FROM "${table}"`);
        const applied = new Set(rows.map((row) => row.name));
        const pending = this.dataSource.migrations.map((m) => m.name!).filter((name) => !applied.has(name));
        if (pending.length > 0) throw new Error(`migrations not applied: ${pending.join(', ')}`);
        return { applied: applied.size };
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }

  /** Every follower, here or in another instance, has processed all events older than the bound. */
  followersCaughtUp() {
    return this.indicators
      .check('followers')
      .attempt(async () => {
        if (this.maxLagSeconds === 0) return { checked: false };
        const behind = (await this.followers.statuses()).filter((f) => f.lagSeconds > this.maxLagSeconds);
        if (behind.length > 0) {
          const names = behind.map(
            (f) => `${f.name} (${Math.round(f.lagSeconds)} s${f.heldBack ? ', held back' : ''})`,
          );
          throw new Error(`followers more than ${this.maxLagSeconds} s behind the log: ${names.join(', ')}`);
        }
        return { maxLagSeconds: this.maxLagSeconds };
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }
}
