import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource, EntityManager } from 'typeorm';
import { withLogContext, type LogFields } from '../observability/log-context.js';
import type { EventStore, StoredEvent } from '../store/event-store.js';
import {
  dispatch,
  type FollowerBatchHandler,
  type FollowerHandlers,
  type FollowerMetadata,
} from './follower.decorator.js';
import type { FollowerLeases } from './follower-leases.js';
import type { LogWakeup } from './log-wakeup.js';

export interface FollowerSettings {
  batchSize: number;
  /** How long an idle follower waits for a wake-up before it looks at the log anyway. */
  pollMs: number;
  /**
   * The least time from one read of the log to the next after a read that was not full:
   * under a steady stream of appends, a wake-up per append would have the follower read
   * a few events (or none yet) per query; this lets them gather into one batch.
   */
  gatherMs: number;
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

/** The event a handler failed at, when `error` is such a failure. */
const followerErrorOf = (error: unknown): FollowerError | undefined =>
  (error as { followerError?: FollowerError }).followerError;

/**
 * Runs one follower in this process: take the lease, read the log after the checkpoint,
 * hand each event to its handler, move the checkpoint; wait for more; on a handler error
 * stop at that event, record it, and retry with a growing pause.
 */
export class FollowerLoop {
  private stopped = false;
  /** Cuts a retry pause short on stop: shutdown must not wait up to maxBackoffMs. */
  private readonly stopping = new AbortController();
  private running?: Promise<void>;
  private failures = 0;
  private readonly logger: Logger;

  constructor(
    readonly metadata: FollowerMetadata,
    private readonly handlers: FollowerHandlers,
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
    this.stopping.abort();
    this.wakeup.wake();
    await this.running;
    await this.leases.release(this.metadata.name);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let handled: number;
      // Appends during the batch count as a wake-up for the wait after it.
      const seen = this.wakeup.generation;
      const began = performance.now();
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
        const failure = followerErrorOf(error);
        // Recorded once the checkpoint sits right before the failing event (see batch()).
        if (failure) {
          this.logger.error(`stopped at position ${failure.position} (${failure.type}): ${failure.message}`);
          await this.record(failure);
        } else this.logger.warn(`cannot read the log: ${(error as Error).message}; retrying in ${pause} ms`);
        await this.pause(pause);
        continue;
      }
      if (handled < this.settings.batchSize) {
        await this.wakeup.wait(this.settings.pollMs, seen);
        await this.pause(began + this.settings.gatherMs - performance.now());
      }
    }
  }

  /** Sleeps `ms` unless stopped meanwhile. */
  private async pause(ms: number): Promise<void> {
    if (ms > 0) await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }

  /** One batch: returns how many events it read. */
  private async batch(): Promise<number> {
    const from = await this.checkpoint();
    const events = await this.store.readLog(from, this.settings.batchSize);
    if (events.length === 0) return 0;
    const { batch } = this.handlers;
    if (this.metadata.transactional) {
      try {
        await this.applyInTransaction(events, from);
      } catch (error) {
        const failure = followerErrorOf(error);
        if (!failure) throw error;
        // The whole batch rolled back: apply the events before the failing one again on
        // their own, so that the follower stops right at the failing event. A batch
        // handler does not say which event it failed at: find it one event at a time.
        if (batch && events.length > 1) {
          this.logger.warn(
            `a batch from position ${failure.position} failed (${failure.message}): one event at a time`,
          );
          let at = from;
          for (const event of events) {
            await this.applyInTransaction([event], at);
            at = event.position;
          }
          return events.length;
        }
        const before = events.filter((event) => event.position < failure.position);
        if (before.length > 0) await this.applyInTransaction(before, from);
        throw error;
      }
    } else if (batch) {
      if (!this.leases.isHeld(this.metadata.name)) throw new CheckpointMoved();
      await this.handleBatch(batch, events, this.dataSource.manager);
      await this.advance(this.dataSource.manager, from, events[events.length - 1].position);
    } else {
      let at = from;
      for (const event of events) {
        if (!this.handlers.byType.has(event.type)) continue;
        // Its effects happen outside any transaction of ours: stop as soon as the lease is gone.
        if (!this.leases.isHeld(this.metadata.name)) throw new CheckpointMoved();
        await this.apply(event, this.dataSource.manager);
        await this.advance(this.dataSource.manager, at, event.position);
        at = event.position;
      }
      const last = events[events.length - 1].position;
      if (at !== last) await this.advance(this.dataSource.manager, at, last);
    }
    return events.length;
  }

  private async applyInTransaction(events: StoredEvent[], from: number): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const { batch } = this.handlers;
      if (batch) await this.handleBatch(batch, events, manager);
      else for (const event of events) await this.apply(event, manager);
      await this.advance(manager, from, events[events.length - 1].position);
    });
  }

  private async handleBatch(
    handler: FollowerBatchHandler,
    events: StoredEvent[],
    manager: EntityManager,
  ): Promise<void> {
    try {
      await withLogContext({ follower: this.metadata.name, position: events[0].position }, () =>
        handler(events, { manager }),
      );
    } catch (cause) {
      // The batch comes again as a whole: it is stuck at its first event.
      throw this.failed(events[0], cause);
    }
    // A line per event, as a follower with @Handles methods writes, to follow a request through the logs.
    for (const event of events) {
      if (this.handlers.batchTypes?.has(event.type) === false) continue;
      withLogContext(this.fieldsOf(event), () => this.logger.debug(`handled ${event.type}`));
    }
  }

  private async record(failure: FollowerError): Promise<void> {
    await this.dataSource
      .query('UPDATE followers SET last_error = $2 WHERE name = $1', [this.metadata.name, failure])
      .catch(() => undefined);
  }

  private async checkpoint(): Promise<number> {
    const rows: { position: string }[] = await this.dataSource.query('SELECT position FROM followers WHERE name = $1', [
      this.metadata.name,
    ]);
    return Number(rows[0].position);
  }

  private async apply(envelope: StoredEvent, manager: EntityManager): Promise<void> {
    if (!this.handlers.byType.has(envelope.type)) return;
    await withLogContext(this.fieldsOf(envelope), async () => {
      await this.dispatch(envelope, manager);
      this.logger.debug(`handled ${envelope.type}`);
    });
  }

  /** What the handler logs, and the commands it sends log, names the event and its request. */
  private fieldsOf(envelope: StoredEvent): LogFields {
    const { correlationId } = envelope.metadata;
    return {
      follower: this.metadata.name,
      position: envelope.position,
      ...(typeof correlationId === 'string' ? { correlationId } : {}),
    };
  }

  private async dispatch(envelope: StoredEvent, manager: EntityManager): Promise<void> {
    try {
      await dispatch(this.handlers.byType, envelope, manager);
    } catch (cause) {
      throw this.failed(envelope, cause);
    }
  }

  private failed(envelope: StoredEvent, cause: unknown): Error {
    const failure: FollowerError = {
      position: envelope.position,
      type: envelope.type,
      message: cause instanceof Error ? cause.message : String(cause),
      at: new Date().toISOString(),
    };
    return Object.assign(new Error(failure.message, { cause }), { followerError: failure });
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
