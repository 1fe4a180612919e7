import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { EventStore } from '../store/event-store.js';
import { CheckpointMoves } from './checkpoint-moves.js';
import { CheckpointStore } from './checkpoint-store.js';
import { FOLLOWER, handlersOf, type FollowerHandlers, type FollowerMetadata } from './follower.decorator.js';
import { FollowerLeases } from './follower-leases.js';
import { FollowerLoop, type FollowerSettings } from './follower-loop.js';
import type { FollowerError } from './follower-retry.js';
import { LogWakeup } from './log-wakeup.js';
import { rebuildView, type RebuildResult } from './view-rebuild.js';

export const FOLLOWER_SETTINGS = Symbol('FollowerSettings');

export interface FollowersConfig extends FollowerSettings {
  /** false: this process runs no followers (they run in other instances). */
  enabled: boolean;
  /**
   * How long an instance keeps its leases once it renews nothing (stopped, or cut off
   * from the database): then another instance takes its followers over. 0: for as long
   * as its session lives (the server's TCP settings decide: hours for a dead host, for
   * ever for a stopped process). See {@link FollowerLeases}.
   */
  leaseTimeoutSeconds: number;
  /** How long a read with `?minPosition=` waits at most for its view (default 5 s). */
  minPositionWaitMs?: number;
}

export interface FollowerStatus {
  name: string;
  checkpoint: number;
  lagPositions: number;
  lagSeconds: number;
  status: 'live' | 'catching-up' | 'failing';
  /**
   * The next event is committed but not readable yet: an append that took a position
   * before it is still in flight, and the follower waits for it to end (it loses nothing
   * meanwhile). Only an append holds readers back, never a transaction that took none.
   */
  heldBack: boolean;
  runningHere: boolean;
  rebuildingHere: boolean;
  lastError: FollowerError | null;
  updatedAt: string;
}

/** Finds every `@Follower` provider and runs it: from its checkpoint on start, until shutdown. */
@Injectable()
export class FollowersService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private followers = new Map<string, { metadata: FollowerMetadata; handlers: FollowerHandlers }>();
  private readonly rebuilds = new Map<string, Promise<RebuildResult>>();
  private loops: FollowerLoop[] = [];
  private leases?: FollowerLeases;
  private readonly moves = new CheckpointMoves();
  private readonly logger = new Logger('Followers');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly store: EventStore,
    private readonly checkpoints: CheckpointStore,
    private readonly wakeup: LogWakeup,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(FOLLOWER_SETTINGS) private readonly config: FollowersConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const followers = this.discovery
      .getProviders({ metadataKey: FOLLOWER.KEY })
      .filter((wrapper) => wrapper.instance)
      .map((wrapper) => ({
        instance: wrapper.instance as object,
        metadata: this.discovery.getMetadataByDecorator(FOLLOWER, wrapper)!,
      }));
    const names = followers.map((f) => f.metadata.name);
    this.followers = new Map(
      followers.map(({ instance, metadata }) => [metadata.name, { metadata, handlers: handlersOf(instance) }]),
    );
    // A new follower starts at position 0, so a view added later is filled from history.
    await this.checkpoints.create(names);
    if (!this.config.enabled || followers.length === 0) return;

    const pool = (this.dataSource.driver as unknown as { master: pg.Pool }).master;
    this.leases = new FollowerLeases({
      connection: pool.options as pg.ClientConfig,
      timeoutSeconds: this.config.leaseTimeoutSeconds,
      checkpoints: this.checkpoints,
      onNotification: () => this.wakeup.wake(),
    });
    const runtime = {
      store: this.store,
      checkpoints: this.checkpoints,
      dataSource: this.dataSource,
      leases: this.leases,
      wakeup: this.wakeup,
      moves: this.moves,
      settings: this.config,
    };
    // pg-pool fills in its own default (10) when the app gives no size.
    const lanes = lanesWithin(pool.options.max!);
    this.loops = [...this.followers.values()].map(
      ({ metadata, handlers }) => new FollowerLoop(this.withinLanes(metadata, lanes), handlers, runtime),
    );
    for (const loop of this.loops) loop.start();
    this.logger.log(`following the log: ${names.join(', ')}`);
  }

  /**
   * A follower's concurrency, capped at `lanes`: each of its events in hand may hold one of
   * the pool's connections (a process manager's command loads and appends), and requests
   * must still find one.
   */
  private withinLanes(metadata: FollowerMetadata, lanes: number): FollowerMetadata {
    if (metadata.concurrency <= lanes) return metadata;
    this.logger.warn(
      `${metadata.name} asks for ${metadata.concurrency} events at once: ${lanes} here, three quarters of the database pool's connections`,
    );
    return { ...metadata, concurrency: lanes };
  }

  /**
   * Call as the process begins to stop (in its signal handler), before anything else: the
   * database may stop at the same moment, and the followers' lease connection closing then
   * is part of the shutdown, not a fault to warn about.
   */
  stopping(): void {
    this.leases?.closingSoon();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.stop()));
    await Promise.allSettled(this.rebuilds.values());
    await this.leases?.close();
  }

  /**
   * Every follower's checkpoint and lag, from the database: the same answer on every
   * instance of this app. Only this app's followers: a checkpoint left by a follower since
   * removed (or by another app on the same database) falls further behind for ever, and
   * would fail readiness and the lag alerts for nothing this app runs.
   */
  async statuses(): Promise<FollowerStatus[]> {
    const checkpoints = (await this.checkpoints.statuses()).filter((checkpoint) => this.followers.has(checkpoint.name));
    return checkpoints.map((checkpoint) => {
      const lagPositions = Math.max(0, checkpoint.head - checkpoint.position);
      const { nextRecordedAt, lastError } = checkpoint;
      return {
        name: checkpoint.name,
        checkpoint: checkpoint.position,
        lagPositions,
        lagSeconds: nextRecordedAt ? Math.max(0, (Date.now() - nextRecordedAt.getTime()) / 1000) : 0,
        status: lastError ? 'failing' : lagPositions === 0 ? 'live' : 'catching-up',
        heldBack: checkpoint.heldBack,
        runningHere: this.leases?.isHeld(checkpoint.name) ?? false,
        rebuildingHere: this.rebuilds.has(checkpoint.name),
        lastError,
        updatedAt: checkpoint.updatedAt.toISOString(),
      };
    });
  }

  /**
   * Rebuilds a follower's view from position 0 into fresh tables and switches over
   * (see rebuildView). One rebuild of a view at a time per process.
   */
  rebuild(name: string): Promise<RebuildResult> {
    const follower = this.followers.get(name);
    if (!follower) throw new UnknownFollowerError(name);
    if (this.rebuilds.has(name)) throw new RebuildRunningError(name);
    if (!follower.metadata.transactional || follower.metadata.tables.length === 0) throw new NotRebuildableError(name);
    const rebuild = rebuildView(
      follower.metadata,
      follower.handlers,
      this.store,
      this.dataSource,
      this.checkpoints,
      this.config.batchSize,
    )
      .then((result) => {
        this.moves.moved(name, result.position);
        return result;
      })
      .finally(() => this.rebuilds.delete(name));
    this.rebuilds.set(name, rebuild);
    return rebuild;
  }

  /**
   * Waits until follower `name` has processed `position`, or `timeoutMs` has passed
   * (`minPositionWaitMs` unless given); returns its checkpoint. A follower of this process
   * wakes the wait when it moves; one in another instance is seen by a re-read of the
   * checkpoint every `pollMs`, as an idle follower looks at the log.
   */
  waitFor(name: string, position: number, timeoutMs = this.config.minPositionWaitMs ?? 5_000): Promise<number> {
    return this.moves.waitFor(name, position, timeoutMs, () => this.checkpoint(name), this.config.pollMs);
  }

  /** The checkpoint of one follower: how far its view is up to date. */
  async checkpoint(name: string): Promise<number> {
    return (await this.checkpoints.position(name)) ?? 0;
  }
}

export class UnknownFollowerError extends Error {
  constructor(readonly follower: string) {
    super(`There is no follower named ${follower}`);
  }
}

export class NotRebuildableError extends Error {
  constructor(readonly follower: string) {
    super(`${follower} keeps no tables it could rebuild (a view declares them with @Follower(name, { tables }))`);
  }
}

export class RebuildRunningError extends Error {
  constructor(readonly follower: string) {
    super(`A rebuild of ${follower} is already running`);
  }
}

/** How many events one follower may have in hand at once, with a pool of `poolMax` connections: requests keep a quarter. */
const lanesWithin = (poolMax: number): number => Math.max(1, Math.floor((poolMax * 3) / 4));
