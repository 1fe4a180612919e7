import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStore, StoredEvent } from '../store/event-store.js';
import type { LogWakeup } from './log-wakeup.js';

/** Events read from the log per query. */
const BATCH_SIZE = 100;
/**
 * The tail looks at the log again this soon after a wake-up, doubling up to POLL_MS: an
 * append wakes it at once, but its event stays unread while an append that took an earlier
 * position is still in flight, and an append that rolls back wakes nobody
 * (docs/ARCHITECTURE.md, "The log").
 */
const MIN_IDLE_MS = 25;
const POLL_MS = 1_000;
const MAX_READ_BACKOFF_MS = 5_000;
/**
 * Readers catching up on their own read at most this many pages at once per process, so
 * that a crowd of reconnecting clients queues here rather than in the database pool.
 */
const CATCH_UP_READS = 2;

/** Where a follower of the tail sends what it is given: one client's open response, say. */
export interface TailSink<T> {
  readonly open: boolean;
  /** Resolves when the sink closes (the client went away, or {@link stop} was called). */
  readonly closed: Promise<void>;
  /** Catch-up: sends `batch`, resolving once the client has room for more (back-pressure). */
  write(batch: T): Promise<void>;
  /** Live: sends `batch` at once; a sink whose client cannot keep up must close itself rather than buffer without bound. */
  push(batch: T): void;
  stop(): void;
}

interface Follower<T> {
  /** The last position this follower has been sent. */
  after: number;
  sink: TailSink<T>;
}

/**
 * One reader of the notification log per process whose batches go to every follower
 * (fan-out), so that a thousand open streams cost one query per new batch, not a
 * thousand. A follower that starts behind the tail reads its own pages first, then
 * joins. Both read with the store's `readLog`, which never skips an event, so a
 * follower joining once it is at or past the tail's position gets every later event
 * exactly once: the tail's next batch starts right after that position, and whatever
 * of it the follower has already been sent is left out for it.
 */
export class LogTail<T> {
  private readonly followers = new Set<Follower<T>>();
  /** The last position the running loop has read; undefined while no loop runs. */
  private position?: number;
  private loop?: Promise<void>;
  private stopped = false;
  private interrupt?: () => void;
  private catchUpReads = 0;
  private readonly catchUpQueue: (() => void)[] = [];
  private readonly logger = new Logger('LogTail');

  /** `encode` turns a batch of events into what sinks are sent: once per batch for all followers. */
  constructor(
    private readonly store: Pick<EventStore, 'readLog'>,
    private readonly wakeup: LogWakeup,
    private readonly encode: (events: StoredEvent[]) => T,
  ) {}

  /** How many followers the shared loop feeds now (not those still catching up). */
  get following(): number {
    return this.followers.size;
  }

  /** Sends `sink` every event after position `after`, in order, until the sink closes. */
  async follow(after: number, sink: TailSink<T>): Promise<void> {
    const follower = await this.catchUp(after, sink);
    if (!follower) return;
    try {
      await sink.closed;
    } finally {
      this.followers.delete(follower);
    }
  }

  /** Stops the shared loop (its followers' sinks are stopped by their owners) and waits for its last read. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.interrupt?.();
    await this.loop;
  }

  /**
   * Reads pages of its own until the follower has reached the running tail (or, with no
   * tail running, the end of the visible log, where it starts one), then joins it.
   */
  private async catchUp(from: number, sink: TailSink<T>): Promise<Follower<T> | undefined> {
    let after = from;
    let atEnd = false;
    for (let failures = 0; sink.open && !this.stopped;) {
      if (this.position !== undefined ? after >= this.position : atEnd) return this.join(after, sink);
      let events: StoredEvent[];
      try {
        events = await this.readOwnPage(after);
        failures = 0;
      } catch (error) {
        const retry = new AbortController();
        await Promise.race([
          sleep(this.retryIn(++failures, error), undefined, { signal: retry.signal }).catch(() => undefined),
          sink.closed,
        ]);
        retry.abort();
        continue;
      }
      atEnd = events.length < BATCH_SIZE;
      if (events.length > 0) {
        await sink.write(this.encode(events));
        after = events[events.length - 1].position;
      } else if (this.position !== undefined) {
        // Behind a tail that has read further, yet nothing visible here: look again shortly, not in a busy loop.
        await this.wakeup.wait(MIN_IDLE_MS);
      }
    }
    return undefined;
  }

  private async readOwnPage(after: number): Promise<StoredEvent[]> {
    if (this.catchUpReads >= CATCH_UP_READS) await new Promise<void>((resolve) => this.catchUpQueue.push(resolve));
    else this.catchUpReads++;
    try {
      return await this.store.readLog(after, BATCH_SIZE);
    } finally {
      // The slot passes straight to the next in line, if any.
      const next = this.catchUpQueue.shift();
      if (next) next();
      else this.catchUpReads--;
    }
  }

  // Synchronous with the check before it, so that no batch of the tail falls between the two.
  private join(after: number, sink: TailSink<T>): Follower<T> {
    const follower = { after, sink };
    this.followers.add(follower);
    if (this.position === undefined) {
      this.position = after;
      this.loop = this.run();
    }
    return follower;
  }

  private async run(): Promise<void> {
    let idleMs = MIN_IDLE_MS;
    let failures = 0;
    try {
      while (!this.stopped && this.followers.size > 0) {
        const generation = this.wakeup.generation;
        let events: StoredEvent[] = [];
        try {
          events = await this.store.readLog(this.position!, BATCH_SIZE);
          failures = 0;
        } catch (error) {
          idleMs = this.retryIn(++failures, error);
        }
        if (events.length > 0) {
          this.fanOut(events);
          idleMs = MIN_IDLE_MS;
          if (events.length === BATCH_SIZE) continue;
        }
        const started = performance.now();
        await this.pause(this.wakeup.wait(idleMs, generation));
        // Woken before the timeout: the log grew. Else back off towards POLL_MS.
        const woken = performance.now() - started < idleMs - 1;
        if (failures === 0) idleMs = woken ? MIN_IDLE_MS : Math.min(idleMs * 2, POLL_MS);
      }
    } catch (error) {
      this.logger.error(`the log tail stopped: ${(error as Error).stack ?? String(error)}`);
      for (const { sink } of this.followers) sink.stop();
    } finally {
      // In the same turn as the loop's last look at its followers: a follower joining later starts a new loop.
      this.position = undefined;
      this.loop = undefined;
    }
  }

  private fanOut(events: StoredEvent[]): void {
    const first = events[0].position;
    const last = events[events.length - 1].position;
    this.position = last;
    let shared: T | undefined;
    for (const follower of this.followers) {
      if (!follower.sink.open || follower.after >= last) continue;
      // Only a follower that joined ahead of the tail has been sent part of this batch already.
      const batch =
        follower.after < first
          ? (shared ??= this.encode(events))
          : this.encode(events.filter((event) => event.position > follower.after));
      follower.after = last;
      follower.sink.push(batch);
    }
  }

  private retryIn(failures: number, error: unknown): number {
    const ms = Math.min(MAX_READ_BACKOFF_MS, 100 * 2 ** Math.min(failures, 10));
    this.logger.warn(`cannot read the log: ${(error as Error).message}; retrying in ${ms} ms`);
    return ms;
  }

  /** Waits for `work`, or less if the tail stops first. */
  private async pause(work: Promise<unknown>): Promise<void> {
    if (this.stopped) return;
    await Promise.race([work, new Promise<void>((resolve) => (this.interrupt = resolve))]);
    this.interrupt = undefined;
  }
}
