import type { EntityManager } from 'typeorm';
import type { CheckpointStore } from './checkpoint-store.js';
import type { FollowerCheckpoint } from './http-log-follower.js';

/**
 * A {@link FollowerCheckpoint} of an `HttpLogFollower` in a {@link CheckpointStore}: with
 * `PostgresCheckpointStore`, a row of the `followers` table of the follower's own
 * database. Each save moves it from the position this object last loaded or saved, so a
 * second process running the same follower fails with `CheckpointMovedError` rather than
 * applying a page twice, provided that the handler writes its view in the transaction
 * that saves (`saveIn`).
 */
export class StoredCheckpoint<Transaction = EntityManager> implements FollowerCheckpoint {
  private position?: number;

  constructor(
    private readonly store: CheckpointStore<Transaction>,
    readonly name: string,
  ) {}

  /** The stored position; a follower without a checkpoint gets one at 0. */
  async load(): Promise<number> {
    await this.store.create([this.name]);
    this.position = (await this.store.position(this.name)) ?? 0;
    return this.position;
  }

  async save(position: number): Promise<void> {
    await this.move(position);
  }

  /**
   * Moves the checkpoint inside the caller's transaction: commit it with the view's
   * changes, and return `position` from the page handler. Should that transaction roll
   * back, `load()` again before the next save (a new `follow()` does).
   */
  async saveIn(transaction: Transaction, position: number): Promise<void> {
    await this.move(position, transaction);
  }

  private async move(position: number, transaction?: Transaction): Promise<void> {
    if (this.position === undefined) throw new Error(`Checkpoint ${this.name}: load() before saving`);
    await this.store.move(this.name, this.position, position, transaction);
    this.position = position;
  }
}
