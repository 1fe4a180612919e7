import type { ClientBase } from 'pg';
import { EVENTS, quote } from '../migration/event-tables.js';
import { followersBefore } from '../subscriptions/postgres-checkpoint-store.js';
import { inTransaction, type LogPartition } from './partition-catalog.js';
import { lockPartitionedLog, PARTITION_LOCK_TIMEOUT } from './partitions-ahead.js';

/** Thrown by {@link detachPartition} for a partition it must not or cannot detach. */
export class DetachRefusedError extends Error {}

/**
 * Detaches an old partition from the log: it stays in the database as a table of its
 * own, with its rows, to archive (pg_dump -t) and drop. Reads of the log no longer see
 * its events. Never the partition that holds the head, nor a newer one, nor one that
 * holds events a follower (a row of `followers`) has not processed yet.
 *
 * DETACH takes an ACCESS EXCLUSIVE lock on `events` for a moment; the lock timeout
 * keeps a request queued behind a long reader from holding appends back for longer.
 * @throws DetachRefusedError
 */
export async function detachPartition(client: ClientBase, name: string): Promise<LogPartition> {
  return inTransaction(
    client,
    async () => {
      const log = await lockPartitionedLog(client);
      const partition = log.partitions.find((p) => p.name === name);
      if (!partition) throw new DetachRefusedError(`${name} is not a partition of ${EVENTS}`);
      if (partition.to > log.head) {
        throw new DetachRefusedError(
          `${name} holds positions ${partition.from}-${partition.to - 1}, at or after the head (${log.head}): only older partitions can be detached`,
        );
      }
      // A follower still inside (or before) the range would skip the rest of it without notice.
      const behind = await followersBefore(client, partition.to - 1);
      if (behind.length > 0) {
        throw new DetachRefusedError(
          `${name} holds events followers have not processed yet: ${behind.join(', ')}. Detach it once they are past ${partition.to - 1}`,
        );
      }
      await client.query(`ALTER TABLE ${EVENTS} DETACH PARTITION ${quote(name)}`);
      return partition;
    },
    PARTITION_LOCK_TIMEOUT,
  );
}
