import type { EntityManager } from 'typeorm';
import type { FollowerError } from './follower-retry.js';

/** Where one follower stands in the log. */
export interface Checkpoint {
  name: string;
  /** The position of the last event it has handled; 0 before the first. */
  position: number;
  /** The event it is stuck at while a handler fails there; null otherwise. */
  lastError: FollowerError | null;
  /** When it last moved or was reset. */
  updatedAt: Date;
}

/** A checkpoint and the log after it: what a follower's lag is measured from. */
export interface CheckpointStatus extends Checkpoint {
  /** The position of the last event of the log; 0 when it is empty. */
  head: number;
  /** When the first event after the checkpoint was recorded; null when there is none. */
  nextRecordedAt: Date | null;
  /**
   * That event is committed but not readable yet: an append that took a position before
   * it is still in flight, and the follower waits for it to end.
   */
  heldBack: boolean;
}

/**
 * The followers' checkpoints, one per follower name: where each follower stands in the log.
 * A checkpoint only moves by compare-and-set ({@link move}), and inside the transaction
 * that holds the follower's writes when it has one, so that a second process running the
 * same follower (a lease lost to a network blip) can neither skip nor repeat a batch: its
 * move is refused with {@link CheckpointMovedError} and its writes roll back. A move may
 * also carry the token of the lease it works under ({@link claim}): a holder that lost
 * its lease while it was stopped is refused even where the position still matches.
 *
 * `Transaction` is what a follower's handlers write through; the store's writes join it.
 * An abstract class rather than an interface so that Nest can inject it by type.
 */
export abstract class CheckpointStore<Transaction = EntityManager> {
  /** Creates a checkpoint at position 0 for each name that has none; the others stay as they are. */
  abstract create(names: readonly string[]): Promise<void>;

  /** The checkpoint's position as last committed; undefined when the follower has none. */
  abstract position(name: string): Promise<number | undefined>;

  /**
   * Moves the checkpoint from `from` to `to` and clears its failure, in `transaction` when
   * given (committed with it), else on its own.
   * @param lease the token {@link claim} gave the lease this move is made under; none: not checked.
   * @throws CheckpointMovedError when it is not at `from` (or does not exist), or a token
   *   newer than `lease` was claimed: another process moved it or holds the lease, and nothing changed.
   */
  abstract move(name: string, from: number, to: number, transaction?: Transaction, lease?: number): Promise<void>;

  /**
   * Fences the checkpoint for a new holder of the follower's lease: answers a token
   * greater than any claimed before, of any checkpoint, and from then on refuses the
   * moves that carry an older one (those with a newer one go through: a checkpoint
   * deleted and created again has forgotten its claims). Waits for a transaction that moved the checkpoint to end, so that a move either
   * commits before the claim or is refused after it.
   * @throws Error when the follower has no checkpoint.
   */
  abstract claim(name: string): Promise<number>;

  /**
   * Keeps every other writer of the checkpoint waiting until `transaction` ends, so that
   * what it sets there wins (a rebuild's switch-over): a move that waited then finds the
   * checkpoint where `transaction` left it.
   */
  abstract hold(name: string, transaction: Transaction): Promise<void>;

  /** Sets the checkpoint to `position` wherever it was, and clears its failure (a rebuild's switch-over). */
  abstract reset(name: string, position: number, transaction?: Transaction): Promise<void>;

  /** Records the event a handler is stuck at; the next move clears it. */
  abstract recordFailure(name: string, failure: FollowerError): Promise<void>;

  /** Every checkpoint, in name order, with the log after it. */
  abstract statuses(): Promise<CheckpointStatus[]>;
}

/**
 * Another process moved the checkpoint since it was read, or took the follower's lease
 * since this one was claimed: the work done after that does not count.
 */
export class CheckpointMovedError extends Error {
  constructor(
    readonly follower: string,
    readonly expected: number,
  ) {
    super(`Follower ${follower}: another process moved the checkpoint from ${expected}, or holds the lease now`);
  }
}
