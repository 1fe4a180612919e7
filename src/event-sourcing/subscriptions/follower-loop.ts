import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import type { EventStore, StoredEvent } from '../store/event-store.js';
import type { CheckpointMoves } from './checkpoint-moves.js';
import { CheckpointMovedError, type CheckpointStore } from './checkpoint-store.js';
import type { FollowerHandlers, FollowerMetadata } from './follower.decorator.js';
import { FollowerDispatch } from './follower-dispatch.js';
import { LeaseLostError, type FollowerLeases } from './follower-leases.js';
import { FollowerFailure, FollowerRetry } from './follower-retry.js';
import { handleInStreamLanes } from './stream-lanes.js';
import { FencedAppendError, underFence } from '../store/append-fence.js';
import type { LogWakeup } from './log-wakeup.js';

export interface FollowerSettings {
  batchSize: number;
  /**
   * How long an idle follower waits for a wake-up before it looks at the log anyway; and a
   * `?minPosition=` read before it looks at its view's checkpoint again (another instance
   * may move it).
   */
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

/** What the follower loops of one process share. */
export interface FollowerRuntime {
  store: EventStore;
  checkpoints: CheckpointStore;
  /** Opens the transactions of transactional followers; its manager is the others'. */
  dataSource: DataSource;
  leases: FollowerLeases;
  wakeup: LogWakeup;
  /** Told of each batch's committed move, for the reads that wait for a view. */
  moves: CheckpointMoves;
  settings: FollowerSettings;
}

/**
 * Runs one follower in this process: take the lease, read the log after the checkpoint,
 * hand the events to the handlers (dispatch), move the checkpoint; wait for more; on a
 * handler's error stop at that event and try again after a pause (retry).
 */
export class FollowerLoop {
  private stopped = false;
  /** Cuts a retry pause short on stop: shutdown must not wait up to maxBackoffMs. */
  private readonly stopping = new AbortController();
  private running?: Promise<void>;
  private readonly name: string;
  private readonly dispatch: FollowerDispatch;
  private readonly retry: FollowerRetry;
  private readonly logger: Logger;

  constructor(
    readonly metadata: FollowerMetadata,
    handlers: FollowerHandlers,
    private readonly runtime: FollowerRuntime,
  ) {
    this.name = metadata.name;
    this.logger = new Logger(`Follower ${metadata.name}`);
    this.dispatch = new FollowerDispatch(metadata.name, handlers, this.logger);
    this.retry = new FollowerRetry(this.logger, runtime.settings.maxBackoffMs, (failure) =>
      runtime.checkpoints.recordFailure(metadata.name, failure),
    );
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Finishes the batch in hand, then gives up the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.runtime.wakeup.wake();
    await this.running;
    await this.runtime.leases.release(this.name);
  }

  private async loop(): Promise<void> {
    const { leases, wakeup, settings } = this.runtime;
    while (!this.stopped) {
      let handled: number;
      // Appends during the batch count as a wake-up for the wait after it.
      const seen = wakeup.generation;
      const began = performance.now();
      try {
        const lease = await leases.hold(this.name);
        if (lease === undefined) {
          await wakeup.wait(settings.pollMs);
          continue;
        }
        handled = await this.batch(lease);
        this.retry.succeeded();
      } catch (error) {
        // Another process runs the follower now: the next round finds out where it got.
        if (error instanceof CheckpointMovedError || error instanceof LeaseLostError) continue;
        if (fencedOut(error)) {
          // Found out by the fence before by the lease's own connection: give that a moment.
          this.logger.warn(`another process took the lease over: an append of this one was refused`);
          await this.pause(settings.pollMs);
          continue;
        }
        // A handler's failure gets here once the checkpoint sits right before its event (see inTransactions()).
        await this.pause(await this.retry.failed(error));
        continue;
      }
      if (handled < settings.batchSize) {
        await wakeup.wait(settings.pollMs, seen);
        await this.pause(began + settings.gatherMs - performance.now());
      }
    }
  }

  /** Sleeps `ms` unless stopped meanwhile. */
  private async pause(ms: number): Promise<void> {
    if (ms > 0) await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }

  /** One batch under the lease token `lease`: returns how many events it read. */
  private async batch(lease: number): Promise<number> {
    const from = await this.runtime.checkpoints.position(this.name);
    if (from === undefined) throw new Error(`${this.name} has no checkpoint`);
    const events = await this.runtime.store.readLog(from, this.runtime.settings.batchSize);
    if (events.length === 0) return 0;
    if (this.metadata.transactional) await this.inTransactions(events, from, lease);
    else await this.withoutTransaction(events, from, lease);
    this.runtime.moves.moved(this.name, events[events.length - 1].position);
    return events.length;
  }

  /** The batch and the checkpoint's move in one transaction; on a failure, the events before it in another. */
  private async inTransactions(events: StoredEvent[], from: number, lease: number): Promise<void> {
    try {
      await this.applyInTransaction(events, from, lease);
    } catch (error) {
      if (!(error instanceof FollowerFailure)) throw error;
      // The whole batch rolled back: apply the events before the failing one again on
      // their own, so that the follower stops right at the failing event. A batch
      // handler does not say which event it failed at: find it one event at a time.
      if (this.dispatch.batched && events.length > 1) {
        this.logger.warn(
          `a batch from position ${error.failure.position} failed (${error.failure.message}): one event at a time`,
        );
        let at = from;
        for (const event of events) {
          await this.applyInTransaction([event], at, lease);
          at = event.position;
        }
        return;
      }
      const before = events.filter((event) => event.position < error.failure.position);
      if (before.length > 0) await this.applyInTransaction(before, from, lease);
      throw error;
    }
  }

  /** A holder that lost its lease meanwhile has the move refused, and so the batch rolled back. */
  private async applyInTransaction(events: StoredEvent[], from: number, lease: number): Promise<void> {
    const { dataSource, leases, checkpoints } = this.runtime;
    await dataSource.transaction(async (manager) => {
      await leases.markBatch(this.name, manager);
      await this.dispatch.all(events, manager);
      await checkpoints.move(this.name, from, events[events.length - 1].position, manager, lease);
    });
  }

  /**
   * Runs a handler outside any transaction of ours with the appends it makes (a process
   * manager's commands) fenced by the lease: should another process claim the lease
   * meanwhile, they are refused ({@link underFence}).
   */
  private fenced(lease: number, handle: () => Promise<void>): Promise<void> {
    return underFence({ follower: this.name, lease }, handle);
  }

  /**
   * Effects outside any transaction of ours: the checkpoint moves after each of them. An
   * effect started just before the lease was lost (this process stopped in between) may
   * happen once more under the next holder: such handlers must be idempotent.
   */
  private async withoutTransaction(events: StoredEvent[], from: number, lease: number): Promise<void> {
    const { checkpoints, dataSource, leases } = this.runtime;
    const last = events[events.length - 1].position;
    if (this.dispatch.batched) {
      leases.assertHeld(this.name);
      await this.fenced(lease, () => this.dispatch.all(events, dataSource.manager));
      await checkpoints.move(this.name, from, last, undefined, lease);
      return;
    }
    if (this.metadata.concurrency > 1) return this.inStreamLanes(events, from, lease);
    let at = from;
    for (const event of events) {
      if (!this.dispatch.handles(event)) continue;
      // Stop as soon as the lease is gone: another process may be handling the same events.
      leases.assertHeld(this.name);
      await this.fenced(lease, () => this.dispatch.one(event, dataSource.manager));
      await checkpoints.move(this.name, at, event.position, undefined, lease);
      at = event.position;
    }
    if (at !== last) await checkpoints.move(this.name, at, last, undefined, lease);
  }

  /**
   * Up to `concurrency` events at once, a stream's in order ({@link handleInStreamLanes}).
   * The checkpoint follows the handled prefix of the batch, one move at a time: a move
   * covers every event handled while the one before it was under way.
   */
  private async inStreamLanes(events: StoredEvent[], from: number, lease: number): Promise<void> {
    const { checkpoints, dataSource, leases } = this.runtime;
    let at = from;
    let target = from;
    // One move at a time, chained; a move asked for while one waits to start joins it.
    let moves = Promise.resolve();
    let moveWaiting = false;
    let moveFailed: { error: unknown } | undefined;
    const moveOn = async (): Promise<void> => {
      moveWaiting = false;
      if (moveFailed !== undefined || at >= target) return;
      const to = target;
      try {
        await checkpoints.move(this.name, at, to, undefined, lease);
        at = to;
      } catch (error) {
        moveFailed = { error };
      }
    };
    const handled = handleInStreamLanes(
      events.filter((event) => this.dispatch.handles(event)),
      this.metadata.concurrency,
      async (event) => {
        // A refused move means another process runs this follower now: start nothing more.
        if (moveFailed) throw moveFailed.error;
        leases.assertHeld(this.name);
        await this.fenced(lease, () => this.dispatch.one(event, dataSource.manager));
      },
      (position) => {
        target = position;
        if (moveWaiting) return;
        moveWaiting = true;
        moves = moves.then(moveOn);
      },
    );
    // The handled prefix is moved to before any error is passed on: the retry starts there.
    const outcome = await handled.then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    await moves;
    if (moveFailed) throw moveFailed.error;
    if (outcome) throw outcome.error;
    const last = events[events.length - 1].position;
    if (at !== last) await checkpoints.move(this.name, at, last, undefined, lease);
  }
}

/** A handler's append was refused by the lease's fence: another process runs the follower now. */
const fencedOut = (error: unknown): boolean =>
  error instanceof FollowerFailure && error.cause instanceof FencedAppendError;
