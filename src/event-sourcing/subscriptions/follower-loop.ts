import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventStore, StoredEvent } from '../store/event-store.js';
import { dispatch, type FollowerHandler, type FollowerMetadata } from './follower.decorator.js';
import type { FollowerLeases } from './follower-leases.js';
import type { LogWakeup } from './log-wakeup.js';

export interface FollowerSettings {
  batchSize: number;
  /** How long an idle follower waits for a wake-up before it looks at the log anyway. */
  pollMs: number;
  /** The longest pause between retries of a failing event. */
  maxBackoffMs: number;
}

export interface FollowerError {
  position: number;
  type: string;
  message: string;
  at: string;
}

/** Another process moved the checkpoint since this batch read it: this batch is not applied. */
class CheckpointMoved extends Error {}

/**
 * Runs one follower in this process: take the lease, read the log after the checkpoint,
 * hand each event to its handler, move the checkpoint; wait for more; on a handler error
 * stop at that event, record it, and retry with a growing pause.
 */
export class FollowerLoop {
  private stopped = false;
  private running?: Promise<void>;
  private failures = 0;
  private readonly logger: Logger;

  constructor(
    readonly metadata: FollowerMetadata,
    private readonly handlers: Map<string, FollowerHandler>,
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly leases: FollowerLeases,
    private readonly wakeup: LogWakeup,
    private readonly settings: FollowerSettings,
  ) {
    this.logger = new Logger(`Follower ${metadata.name}`);
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Finishes the batch in hand, then gives up the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeup.wake();
    await this.running;
    await this.leases.release(this.metadata.name);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let handled: number;
      try {
        if (!(await this.leases.hold(this.metadata.name))) {
          await this.wakeup.wait(this.settings.pollMs);
          continue;
        }
        handled = await this.batch();
        if (this.failures > 0) this.logger.log('recovered');
        this.failures = 0;
      } catch (error) {
        if (error instanceof CheckpointMoved) continue;
        this.failures++;
        const pause = Math.min(this.settings.maxBackoffMs, 100 * 2 ** Math.min(this.failures, 16));
        if (!(error as { followerError?: FollowerError }).followerError) {
          this.logger.warn(`cannot read the log: ${(error as Error).message}; retrying in ${pause} ms`);
        }
        await sleep(pause);
        continue;
      }
      if (handled < this.settings.batchSize) await this.wakeup.wait(this.settings.pollMs);
    }
  }

  /** One batch: returns how many events it read. */
  private async batch(): Promise<number> {
    const from = await this.checkpoint();
    const events = await this.store.readLog(from, this.settings.batchSize);
    if (events.length === 0) return 0;
    if (this.metadata.transactional) {
      await this.dataSource.transaction(async (manager) => {
        for (const event of events) await this.apply(event, manager);
        await this.advance(manager, from, events[events.length - 1].position);
      });
    } else {
      let at = from;
      for (const event of events) {
        await this.apply(event, this.dataSource.manager);
        await this.advance(this.dataSource.manager, at, event.position);
        at = event.position;
      }
    }
    return events.length;
  }

  private async checkpoint(): Promise<number> {
    const rows: { position: string }[] = await this.dataSource.query('SELECT position FROM followers WHERE name = $1', [
      this.metadata.name,
    ]);
    return Number(rows[0].position);
  }

  private async apply(envelope: StoredEvent, manager: EntityManager): Promise<void> {
    try {
      await dispatch(this.handlers, envelope, manager);
    } catch (cause) {
      const failure: FollowerError = {
        position: envelope.position,
        type: envelope.type,
        message: cause instanceof Error ? cause.message : String(cause),
        at: new Date().toISOString(),
      };
      this.logger.error(`stopped at position ${failure.position} (${failure.type}): ${failure.message}`);
      await this.dataSource
        .query('UPDATE followers SET last_error = $2 WHERE name = $1', [this.metadata.name, failure])
        .catch(() => undefined);
      throw Object.assign(new Error(failure.message, { cause }), { followerError: failure });
    }
  }

  /** Moves the checkpoint from `from` to `to`, unless another process moved it first. */
  private async advance(manager: EntityManager, from: number, to: number): Promise<void> {
    const [, updated] = await manager.query(
      `UPDATE followers SET position = $3, updated_at = now(), last_error = NULL WHERE name = $1 AND position = $2`,
      [this.metadata.name, from, to],
    );
    if (updated !== 1) throw new CheckpointMoved();
  }
}
