import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { currentPartition, isPartitioned, readPartitionedLog, type LogPartition } from './partition-catalog.js';
import { createPartitionsAhead } from './partitions-ahead.js';

export interface PartitionKeeperSettings {
  /** Empty partitions to keep beyond the one being written. */
  ahead: number;
  /** How often to check. */
  everyMs: number;
}

export const DEFAULT_KEEPER_SETTINGS: PartitionKeeperSettings = { ahead: 2, everyMs: 5 * 60_000 };

/**
 * Keeps partitions ahead of the head of a partitioned log, in the running app: at start,
 * then every few minutes, so no append finds its position without a partition. On a
 * plain log it does nothing after one catalog lookup at start. Several instances may
 * run it at once (see {@link createPartitionsAhead}).
 */
export class PartitionKeeper implements OnApplicationBootstrap, OnApplicationShutdown {
  /** Positions left before the last partition ends, as of the last check; undefined on a plain log. */
  room?: { lastPartition: string; positionsLeft: number };
  private timer?: NodeJS.Timeout;
  private readonly logger = new Logger(PartitionKeeper.name);

  constructor(
    private readonly pool: Pool,
    private readonly settings: PartitionKeeperSettings = DEFAULT_KEEPER_SETTINGS,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!(await isPartitioned(this.pool))) return;
    await this.keep();
    // unref: a timer alone must not keep a process (a CLI, a test) alive.
    this.timer = setInterval(() => void this.keep(), this.settings.everyMs).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One check: creates what is missing, then measures the room left. Failures are logged, and tried again next time. */
  async keep(): Promise<LogPartition[]> {
    const client = await this.pool.connect().catch((error: Error) => {
      this.logger.warn(`cannot check the log's partitions: ${error.message}`);
    });
    if (!client) return [];
    try {
      const created = await createPartitionsAhead(client, this.settings.ahead);
      for (const p of created) this.logger.log(`created partition ${p.name} for positions ${p.from} to ${p.to - 1}`);
      const log = await readPartitionedLog(client);
      const last = log.partitions[log.partitions.length - 1];
      const positionsLeft = Math.max(0, last.to - 1 - log.head);
      this.room = { lastPartition: last.name, positionsLeft };
      const current = currentPartition(log);
      if (!current || positionsLeft < current.to - current.from) {
        this.logger.warn(
          `the log's head (${log.head}) is within one partition of the end of ${last.name}: ` +
            `${positionsLeft} positions left (npm run events:partitions -- ahead)`,
        );
      }
      return created;
    } catch (error) {
      this.logger.warn(`cannot keep partitions ahead: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    } finally {
      client.release();
    }
  }
}
