import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { AggregateClass } from '../application/aggregate-class.js';
import { AggregateLoader, type PointInTime } from '../application/aggregate-loader.js';
import { SnapshotPolicy, snapshotKindOf } from '../application/snapshot-policy.js';
import type { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import { EventCodec } from '../serialization/event-codec.js';
import { PayloadCodec } from '../serialization/payload-codec.js';
import { EventStore } from './event-store.js';
import { PostgresEventStore } from './postgres-event-store.js';
import { PostgresSnapshotStore } from './postgres-snapshot-store.js';

/** Streaming replicas that answer reads, and when one is used (EventSourcingOptions.readReplicas). */
export interface ReadReplicaSettings {
  /** Connection URLs of hot standbys of the primary; empty: every read goes to the primary. */
  urls: string[];
  /** A replica more than this many bytes of WAL behind the primary leaves the rotation until it catches up. */
  maxLagBytes: number;
  /** How often each replica's replay lag is measured, and one out of the rotation tried again. */
  checkMs: number;
  /** How long a read with `?minPosition=` waits for a replica to replay that position before it reads the primary. */
  minPositionWaitMs: number;
}

export const READ_REPLICA_SETTINGS = Symbol('ReadReplicaSettings');

/** Which server answered a read, as `X-Read-Source` says. */
export type ReadSourceKind = 'primary' | 'replica';

/** One replica as GET /health/ready reports it. */
export interface ReplicaStatus {
  /** Its host and port (no credentials). */
  name: string;
  /** Whether reads go to it now. */
  inRotation: boolean;
  /** Bytes of WAL the primary had written that it had not replayed, at the last check. */
  lagBytes?: number;
  /** How old the last transaction it replayed was, while it is behind (0 when caught up). */
  lagSeconds?: number;
  /** Why it is out of the rotation: unreachable, not a standby, or too far behind. */
  problem?: string;
}

/** How fresh a read must be: `asked` is the `?minPosition=` (0: any), `positionOn` how far a server has got. */
export interface ReadFreshness {
  asked: number;
  positionOn(dataSource: DataSource): Promise<number>;
  /** Whether the position is worth reading when nothing was asked (a view's, for X-Projection-Position). */
  alwaysRead?: boolean;
}

const POLL_MS = 20;

/** A replica's connections, and the read-only stores on them, made on its first successful check. */
class Replica {
  dataSource?: DataSource;
  store?: EventStore;
  readonly loaders = new Map<AggregateClass<EventSourcedAggregate>, AggregateLoader<EventSourcedAggregate>>();
  status: ReplicaStatus;

  /** Where it is, for the logs only. */
  readonly host: string;

  /**
   * `number` names it in the public readiness answer, which must not give away the
   * database's addresses or a driver's error text to whoever can reach it.
   */
  constructor(
    readonly url: string,
    number: number,
  ) {
    const { hostname, port } = new URL(url);
    this.host = `${hostname}:${port || 5432}`;
    this.status = { name: `replica ${number}`, inRotation: false, problem: 'not checked yet' };
  }
}

const readScope = new AsyncLocalStorage<Replica>();

/** A WAL location ('16/B374D848') as a number of bytes. */
const lsnBytes = (lsn: string): bigint => {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
};

/**
 * Sends reads to PostgreSQL streaming replicas (hot standbys), when there are any.
 *
 * A replica has DataSources and stores of its own, used only inside {@link read}: the
 * injected DataSource and EventStore stay on the primary, so commands, appends,
 * followers, leases, checkpoints, idempotency records, stream tickets and migrations
 * cannot reach a replica by accident (TypeORM's own `replication` mode sends every
 * repository `find` to a replica, a follower's and a command's too). Read handlers ask
 * {@link dataSource}, {@link eventStore} or {@link load} for the server of the read
 * they run in.
 *
 * Each replica's replay lag is measured every `checkMs`; one unreachable, not a standby,
 * or more than `maxLagBytes` behind leaves the rotation until a check finds it well. A
 * read that fails on a replica is read again on the primary, so a replica that stops
 * fails no request.
 */
@Injectable()
export class ReadReplicas implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ReadReplicas.name);
  private readonly replicas: Replica[];
  private next = 0;
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly primary: DataSource,
    private readonly primaryStore: EventStore,
    private readonly codec: EventCodec,
    private readonly payloads: PayloadCodec,
    @Inject(READ_REPLICA_SETTINGS) private readonly settings: ReadReplicaSettings,
  ) {
    this.replicas = settings.urls.map((url, i) => new Replica(url, i + 1));
  }

  /** Whether any replica is configured. */
  get configured(): boolean {
    return this.replicas.length > 0;
  }

  onModuleInit(): void {
    if (!this.configured) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.settings.checkMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
    await Promise.all(this.replicas.map((replica) => replica.dataSource?.destroy().catch(() => undefined)));
  }

  /** The DataSource of the read this runs in: a replica's inside {@link read}, else the primary's. */
  dataSource(): DataSource {
    return readScope.getStore()?.dataSource ?? this.primary;
  }

  /** The event store of the read this runs in (a replica's is for reading streams only). */
  eventStore(): EventStore {
    return readScope.getStore()?.store ?? this.primaryStore;
  }

  /** An aggregate as {@link AggregateLoader.get} builds it, from the server of the read this runs in. */
  load<A extends EventSourcedAggregate>(
    primaryLoad: (id: string, at?: PointInTime) => Promise<A>,
    aggregateClass: AggregateClass<A>,
    id: string,
    at?: PointInTime,
  ): Promise<A> {
    const replica = readScope.getStore();
    return replica ? this.loaderOn(replica, aggregateClass).get(id, at) : primaryLoad(id, at);
  }

  /** Every replica's last measured state, for GET /health/ready. */
  statuses(): ReplicaStatus[] {
    return this.replicas.map((replica) => ({ ...replica.status }));
  }

  /**
   * Runs `onReplica` on a replica in the rotation that has reached `freshness.asked`
   * (waiting up to `minPositionWaitMs` for one), with the position it has reached; else,
   * or if it fails there, `onPrimary`. Answers with which server answered.
   */
  async read<T>(
    freshness: ReadFreshness,
    onReplica: (position: number) => Promise<T>,
    onPrimary: () => Promise<T>,
  ): Promise<{ value: T; source: ReadSourceKind }> {
    const chosen = await this.freshReplica(freshness);
    if (chosen) {
      try {
        return { value: await readScope.run(chosen.replica, () => onReplica(chosen.position)), source: 'replica' };
      } catch (error) {
        // Whatever went wrong there (the replica stopped, or it lacks what the primary has), the primary answers.
        this.logger.debug(`a read on ${chosen.replica.status.name} failed, read on the primary: ${String(error)}`);
        void this.check();
      }
    }
    return { value: await onPrimary(), source: 'primary' };
  }

  private async freshReplica(freshness: ReadFreshness): Promise<{ replica: Replica; position: number } | undefined> {
    const replica = this.pick();
    if (!replica) return undefined;
    if (freshness.asked === 0 && !freshness.alwaysRead) return { replica, position: 0 };
    const deadline = Date.now() + this.settings.minPositionWaitMs;
    try {
      for (;;) {
        const position = await freshness.positionOn(replica.dataSource!);
        if (position >= freshness.asked) return { replica, position };
        if (Date.now() + POLL_MS > deadline || !replica.status.inRotation) return undefined;
        await sleep(POLL_MS);
      }
    } catch {
      void this.check();
      return undefined;
    }
  }

  /** The next replica in the rotation, in turn. */
  private pick(): Replica | undefined {
    for (let tries = 0; tries < this.replicas.length; tries++) {
      const replica = this.replicas[this.next++ % this.replicas.length];
      if (replica.status.inRotation) return replica;
    }
    return undefined;
  }

  private loaderOn<A extends EventSourcedAggregate>(replica: Replica, aggregateClass: AggregateClass<A>) {
    let loader = replica.loaders.get(aggregateClass);
    if (!loader) {
      // Reads snapshots where the type has them, writes none, caches nothing.
      const settings = { store: new PostgresSnapshotStore(this.poolOf(replica.dataSource!), this.payloads), every: 1 };
      const kind = snapshotKindOf(aggregateClass, settings);
      const policy = new SnapshotPolicy(aggregateClass.streamType, settings, kind, undefined);
      loader = new AggregateLoader(
        aggregateClass,
        replica.store!,
        replica.store!.streamLoader(settings.store, kind),
        policy,
      );
      replica.loaders.set(aggregateClass, loader);
    }
    return loader as AggregateLoader<A>;
  }

  private poolOf(dataSource: DataSource): Pool {
    return (dataSource.driver as unknown as { master: Pool }).master;
  }

  /** Measures every replica's lag, one round at a time. */
  private check(): Promise<void> {
    this.checking ??= this.checkAll().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async checkAll(): Promise<void> {
    let primaryLsn: bigint;
    try {
      const [row] = await this.primary.query<{ lsn: string }[]>('SELECT pg_current_wal_lsn() AS lsn');
      primaryLsn = lsnBytes(row.lsn);
    } catch {
      // Without the primary's position no lag can be told: the rotation stays as it is.
      return;
    }
    await Promise.all(this.replicas.map((replica) => this.checkOne(replica, primaryLsn)));
  }

  private async checkOne(replica: Replica, primaryLsn: bigint): Promise<void> {
    const was = replica.status.inRotation;
    let unreachable: string | undefined;
    try {
      const dataSource = await this.connected(replica);
      const [row] = await dataSource.query<{ standby: boolean; lsn: string | null; seconds: number | null }[]>(
        `SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS lsn,
                extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS seconds`,
      );
      if (!row.standby || row.lsn === null) {
        replica.status = { name: replica.status.name, inRotation: false, problem: 'not a standby in recovery' };
      } else {
        const behind = primaryLsn - lsnBytes(row.lsn);
        const lagBytes = behind > 0n ? Number(behind) : 0;
        const lagSeconds = lagBytes === 0 ? 0 : Math.max(0, row.seconds ?? 0);
        const tooFar = lagBytes > this.settings.maxLagBytes;
        replica.status = {
          name: replica.status.name,
          inRotation: !tooFar,
          lagBytes,
          lagSeconds,
          ...(tooFar ? { problem: `more than ${this.settings.maxLagBytes} bytes behind` } : {}),
        };
      }
    } catch (error) {
      replica.status = { name: replica.status.name, inRotation: false, problem: 'unreachable' };
      unreachable = String(error);
    }
    if (was !== replica.status.inRotation) {
      const how = replica.status.inRotation ? 'back in' : `out of (${unreachable ?? replica.status.problem})`;
      this.logger.log(`${replica.status.name} (${replica.host}) is ${how} the read rotation`);
    }
  }

  /** The replica's DataSource, made with the primary's options and entities on the first check that reaches it. */
  private async connected(replica: Replica): Promise<DataSource> {
    if (replica.dataSource) return replica.dataSource;
    const options = this.primary.options as DataSource['options'] & { extra?: Record<string, unknown> };
    const dataSource = new DataSource({
      ...options,
      url: replica.url,
      migrations: [],
      migrationsRun: false,
      extra: { ...options.extra, application_name: 'chronicle-replica' },
    } as DataSource['options']);
    await dataSource.initialize();
    replica.store = new PostgresEventStore(this.poolOf(dataSource), { codec: this.codec });
    replica.dataSource = dataSource;
    return dataSource;
  }
}
