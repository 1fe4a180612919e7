import { Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EventStore } from './event-store.js';

export interface IdempotencySweeperSettings {
  /** How often to sweep. */
  everyMs: number;
  /** Records deleted per statement: each batch holds its row locks only briefly. */
  batch: number;
  /** Batches per sweep at most, so that one sweep ends even if keys expire as fast as it deletes. */
  maxBatches: number;
}

export const DEFAULT_SWEEPER_SETTINGS: IdempotencySweeperSettings = { everyMs: 60_000, batch: 1_000, maxBatches: 100 };

/**
 * Deletes expired idempotency records in the running app, every minute, in bounded
 * batches, so that `idempotency_keys` holds about one TTL's worth of keys. Every instance
 * runs one; the batches skip rows another is deleting.
 */
export class IdempotencySweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private readonly logger = new Logger(IdempotencySweeper.name);

  constructor(
    private readonly store: EventStore,
    private readonly settings: IdempotencySweeperSettings = DEFAULT_SWEEPER_SETTINGS,
  ) {}

  onApplicationBootstrap(): void {
    // unref: a timer alone must not keep a process (a CLI, a test) alive.
    this.timer = setInterval(() => void this.sweep(), this.settings.everyMs).unref();
  }

  /** Stops, and lets a sweep under way finish before the pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep, unless one is under way; answers how many records it deleted. Failures are logged, and tried again next time. */
  sweep(): Promise<number> {
    this.running ??= this.deleteExpired().finally(() => (this.running = undefined));
    return this.running;
  }

  private async deleteExpired(): Promise<number> {
    const { batch, maxBatches } = this.settings;
    let total = 0;
    try {
      for (let batches = 0; batches < maxBatches; batches++) {
        const deleted = await this.store.deleteExpiredIdempotencyRecords(batch);
        total += deleted;
        if (deleted < batch) break;
      }
    } catch (error) {
      this.logger.warn(
        `cannot delete expired idempotency keys: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return total;
  }
}
