import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { poolOf, oldestAppendSeconds, oldestTransactionSeconds, PartitionKeeper } from '#event-sourcing/postgres';
import { WriteStats, FollowersService } from '#event-sourcing';

/** A counter whose value is read from a {@link WriteStats} map at scrape time. */
function countedBy(registry: Registry, name: string, help: string, counts: () => Map<string, number>): void {
  new Counter({
    name,
    help,
    labelNames: ['stream_type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [streamType, count] of counts()) this.inc({ stream_type: streamType }, count);
    },
  });
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[] = []): Gauge {
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

/**
 * Chronicle's Prometheus metrics, in a registry of its own (several apps in one process,
 * as in tests, do not collide). Values that need a query are read once per scrape.
 */
@Injectable()
export class AppMetrics {
  readonly registry = new Registry();
  private readonly requestDuration = new Histogram({
    name: 'chronicle_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly followerPosition = gauge(
    this.registry,
    'chronicle_follower_position',
    'Checkpoint of each follower: the position of the last event it processed',
    ['follower'],
  );
  private readonly followerLagEvents = gauge(
    this.registry,
    'chronicle_follower_lag_events',
    'Positions between the newest stored event and the follower checkpoint',
    ['follower'],
  );
  private readonly followerLagSeconds = gauge(
    this.registry,
    'chronicle_follower_lag_seconds',
    'Age of the oldest event the follower has not processed yet (0: caught up)',
    ['follower'],
  );
  private readonly followerHeldBack = gauge(
    this.registry,
    'chronicle_follower_held_back',
    '1 while the next event of the follower is committed but waits for an append in flight before it to end',
    ['follower'],
  );
  private readonly followerFailing = gauge(
    this.registry,
    'chronicle_follower_failing',
    '1 while the follower is stopped at an event its handler fails on',
    ['follower'],
  );
  private readonly oldestTransaction = gauge(
    this.registry,
    'chronicle_oldest_transaction_age_seconds',
    'Age of the oldest open transaction on the server that holds a transaction id (log readers no longer wait for it)',
  );
  private readonly oldestAppend = gauge(
    this.registry,
    'chronicle_oldest_append_age_seconds',
    'Age of the oldest append still in flight in this database: log readers wait for it before reading past its positions',
  );

  constructor(
    stats: WriteStats,
    private readonly followers: FollowersService,
    partitions: PartitionKeeper,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    collectDefaultMetrics({ register: this.registry });
    countedBy(this.registry, 'chronicle_events_appended_total', 'Events stored', () => stats.appended);
    countedBy(
      this.registry,
      'chronicle_concurrency_conflicts_total',
      'Appends refused because the stream had moved on (retried, or 409 with If-Match)',
      () => stats.conflicts,
    );
    countedBy(
      this.registry,
      'chronicle_command_retries_total',
      'Commands run again on fresh state after a concurrency conflict',
      () => stats.retries,
    );
    const pool = poolOf(dataSource);
    const poolGauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    poolGauge('chronicle_db_pool_connections', 'Connections the pool holds open', () => pool.totalCount);
    poolGauge('chronicle_db_pool_idle_connections', 'Open connections no query uses', () => pool.idleCount);
    poolGauge('chronicle_db_pool_waiting_requests', 'Queries waiting for a free connection', () => pool.waitingCount);
    new Gauge({
      name: 'chronicle_log_partition_positions_left',
      help: 'On a partitioned log: positions left before its last partition ends, as of the last check (appends fail at 0)',
      labelNames: ['partition'],
      registers: [this.registry],
      collect() {
        // Labelled, so that a plain log shows no sample rather than a 0 that would read as "full".
        this.reset();
        const { room } = partitions;
        if (room) this.set({ partition: room.lastPartition }, room.positionsLeft);
      },
    });
  }

  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.requestDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
  }

  /** The text exposition format, after reading the values that need the database (three queries). */
  async exposition(): Promise<string> {
    const [statuses, oldestAppend, oldest] = await Promise.all([
      this.followers.statuses(),
      oldestAppendSeconds(this.dataSource),
      oldestTransactionSeconds(this.dataSource),
    ]);
    for (const metric of [
      this.followerPosition,
      this.followerLagEvents,
      this.followerLagSeconds,
      this.followerHeldBack,
      this.followerFailing,
    ]) {
      metric.reset();
    }
    for (const status of statuses) {
      const labels = { follower: status.name };
      this.followerPosition.set(labels, status.checkpoint);
      this.followerLagEvents.set(labels, status.lagPositions);
      this.followerLagSeconds.set(labels, status.lagSeconds);
      this.followerHeldBack.set(labels, status.heldBack ? 1 : 0);
      this.followerFailing.set(labels, status.status === 'failing' ? 1 : 0);
    }
    this.oldestAppend.set(oldestAppend);
    this.oldestTransaction.set(oldest);
    return this.registry.metrics();
  }
}
