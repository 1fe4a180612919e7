import type { Logger } from '@nestjs/common';
import type { StoredEvent } from '../store/event-store.js';

/** The event a follower's handler failed at, as its checkpoint records it. */
export interface FollowerError {
  position: number;
  type: string;
  message: string;
  at: string;
}

/** A handler threw at {@link FollowerFailure.failure}: the follower stops right before that event. */
export class FollowerFailure extends Error {
  constructor(
    readonly failure: FollowerError,
    cause: unknown,
  ) {
    super(failure.message, { cause });
  }
}

/** The failure of a handler at `envelope`. */
export function failureAt(envelope: StoredEvent, cause: unknown): FollowerFailure {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new FollowerFailure(
    { position: envelope.position, type: envelope.type, message, at: new Date().toISOString() },
    cause,
  );
}

/**
 * How a follower goes on after an error: a handler's failure is logged and recorded (the
 * checkpoint then sits right before the failing event), anything else (the log cannot be
 * read) only logged; either way the next attempt comes after a pause that doubles with
 * each failure in a row, up to `maxBackoffMs`.
 */
export class FollowerRetry {
  private failures = 0;

  constructor(
    private readonly logger: Logger,
    private readonly maxBackoffMs: number,
    private readonly record: (failure: FollowerError) => Promise<void>,
  ) {}

  /** Counts a failed attempt and reports it; answers how long to pause before the next. */
  async failed(error: unknown): Promise<number> {
    this.failures++;
    const pause = Math.min(this.maxBackoffMs, 100 * 2 ** Math.min(this.failures, 16));
    if (error instanceof FollowerFailure) {
      const { position, type, message } = error.failure;
      this.logger.error(`stopped at position ${position} (${type}): ${message}`);
      // The follower retries whether or not the record is written.
      await this.record(error.failure).catch(() => undefined);
    } else this.logger.warn(`cannot read the log: ${(error as Error).message}; retrying in ${pause} ms`);
    return pause;
  }

  /** Counts a successful attempt: a run of failures is over. */
  succeeded(): void {
    if (this.failures > 0) this.logger.log('recovered');
    this.failures = 0;
  }
}
