import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Module, type INestApplicationContext, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type pg from 'pg';
import type { EntityManager } from 'typeorm';
import { loadConfig } from '../../src/config/app-config.js';
import { databaseOptions } from '../../src/database/database-options.js';
import { DomainEvent } from '#event-sourcing/domain';
import {
  EventSourcingModule,
  EventStore,
  type StoredEvent,
  Follower,
  Handles,
  type FollowerContext,
  FollowersService,
  type FollowerError,
  type FollowerStatus,
} from '#event-sourcing';
import { PostgresEventStore } from '#event-sourcing/postgres';
import { createMigratedDatabase, type TestDatabase } from '../support/test-database.js';

/** The only event type of these tests; a unique name, apart from other test files' registrations. */
@DomainEvent('TestFollowerNoted')
export class Noted {
  readonly n!: number;
  /** The fragile follower of failures.int-spec.ts throws on it while it is broken. */
  readonly poison?: boolean;
}
export const NOTED = 'TestFollowerNoted';

/** Injection token: the name of the app instance a follower runs in. */
export const INSTANCE = 'TestFollowerInstance';

/**
 * A migrated database of its own, with the `seen` table the test followers write to: one
 * plain INSERT per handled event, so an event applied twice by a follower fails loudly.
 */
export interface FollowerDatabase {
  url: string;
  pool: pg.Pool;
  /** Appends from outside every test app: no wake-up, no NOTIFY; only polling finds these. */
  store: PostgresEventStore;
  drop(): Promise<void>;
}

export async function followerDatabase(database?: TestDatabase): Promise<FollowerDatabase> {
  const { dataSource, pool, drop } = await createMigratedDatabase(database);
  await pool.query(`
    CREATE TABLE seen (
      follower        text   NOT NULL,
      event_id        uuid   NOT NULL,
      position        bigint NOT NULL,
      handled_by      text   NOT NULL,
      checkpoint_then bigint,
      seq             bigint GENERATED ALWAYS AS IDENTITY,
      PRIMARY KEY (follower, event_id)
    )`);
  return { url: (dataSource.options as { url: string }).url, pool, store: new PostgresEventStore(pool), drop };
}

/** What a test follower stores per event it handles. */
export async function recordSeen(
  manager: EntityManager,
  follower: string,
  envelope: StoredEvent,
  instance: string,
  checkpointThen: number | null = null,
): Promise<void> {
  await manager.query(
    'INSERT INTO seen (follower, event_id, position, handled_by, checkpoint_then) VALUES ($1, $2, $3, $4, $5)',
    [follower, envelope.id, envelope.position, instance, checkpointThen],
  );
}

/** A transactional follower that records every Noted event it sees in `seen` under `name`. */
export function seenView(name: string): new (instance: string) => object {
  @Follower(name)
  class SeenView {
    constructor(@Inject(INSTANCE) private readonly instance: string) {}

    @Handles(Noted)
    async noted(_: Noted, { envelope, manager }: FollowerContext): Promise<void> {
      await recordSeen(manager, name, envelope, this.instance);
    }
  }
  return SeenView;
}

export interface FollowerApp {
  context: INestApplicationContext;
  store: EventStore;
  followers: FollowersService;
  status(name: string): Promise<FollowerStatus>;
  close(): Promise<void>;
}

/**
 * A small Nest app on `url`: TypeORM, the event-sourcing module with followers, and the
 * given test followers. Followers start on bootstrap (`init`).
 */
export async function startApp(
  url: string,
  followers: Provider[],
  options: {
    instance?: string;
    enabled?: boolean;
    maxBackoffMs?: number;
    leaseTimeoutSeconds?: number;
    poolSize?: number;
  } = {},
): Promise<FollowerApp> {
  @Module({})
  class FollowersTestModule {}

  const config = loadConfig({});
  // createApplicationContext runs init(): the bootstrap hook starts the followers.
  const context = await NestFactory.createApplicationContext(
    {
      module: FollowersTestModule,
      imports: [
        TypeOrmModule.forRoot({
          ...databaseOptions(url, { ...config.database, poolSize: options.poolSize ?? config.database.poolSize }),
          autoLoadEntities: true,
        }),
        EventSourcingModule.forRoot({
          commandRetries: 3,
          followers: {
            enabled: options.enabled ?? true,
            batchSize: 50,
            pollMs: 100,
            gatherMs: config.followers.gatherMs,
            maxBackoffMs: options.maxBackoffMs ?? 200,
            leaseTimeoutSeconds: options.leaseTimeoutSeconds ?? 10,
          },
          sseHeartbeatMs: 15_000,
        }),
      ],
      providers: [{ provide: INSTANCE, useValue: options.instance ?? 'app' }, ...followers],
    },
    { logger: false, abortOnError: false },
  );
  const service = context.get(FollowersService);
  return {
    context,
    store: context.get(EventStore),
    followers: service,
    status: async (name) => {
      const status = (await service.statuses()).find((s) => s.name === name);
      if (!status) throw new Error(`No follower named ${name} in statuses()`);
      return status;
    },
    close: () => context.close(),
  };
}

/** Appends `count` Noted events to one new stream, numbered from `from`; `poison` marks some. */
export async function appendNoted(
  store: EventStore,
  from: number,
  count: number,
  poison: (n: number) => boolean = () => false,
): Promise<string[]> {
  const events = Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return {
      id: randomUUID(),
      type: NOTED,
      schemaVersion: 1,
      data: poison(n) ? { n, poison: true } : { n },
      metadata: { correlationId: randomUUID(), causationId: randomUUID() },
    };
  });
  await store.append({ streamId: `noted-${randomUUID()}`, streamType: 'TestNotes', expectedVersion: 0, events });
  return events.map((e) => e.id);
}

/** Every stored event's position, in log order. */
export async function logPositions(pool: pg.Pool): Promise<number[]> {
  const { rows } = await pool.query('SELECT position FROM events ORDER BY position');
  return rows.map((row) => Number(row.position));
}

/** The position of the event whose data has `n`. */
export async function positionOf(pool: pg.Pool, n: number): Promise<number> {
  const { rows } = await pool.query(`SELECT position FROM events WHERE (data->>'n')::int = $1`, [n]);
  if (rows.length !== 1) throw new Error(`${rows.length} events with n = ${n}`);
  return Number(rows[0].position);
}

/** The positions a follower handled, in the order it handled them. */
export async function seenPositions(pool: pg.Pool, follower: string): Promise<number[]> {
  const { rows } = await pool.query('SELECT position FROM seen WHERE follower = $1 ORDER BY seq', [follower]);
  return rows.map((row) => Number(row.position));
}

export interface StoredFollower {
  position: number;
  lastError: FollowerError | null;
}

/** The follower's row in `followers`, or undefined when there is none. */
export async function storedFollower(pool: pg.Pool, name: string): Promise<StoredFollower | undefined> {
  const { rows } = await pool.query('SELECT position, last_error FROM followers WHERE name = $1', [name]);
  return rows.length === 0 ? undefined : { position: Number(rows[0].position), lastError: rows[0].last_error };
}

export async function checkpointOf(pool: pg.Pool, name: string): Promise<number> {
  return (await storedFollower(pool, name))?.position ?? -1;
}

/**
 * Polls `probe` until `done` holds, for at most `timeoutMs`; then fails, naming what it
 * waited for and the last value it saw.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() >= deadline) {
      throw new Error(`Gave up after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    }
    await sleep(25);
  }
}

/** Waits until follower `name`'s stored checkpoint is the last position of the log. */
export async function waitForHead(pool: pg.Pool, name: string, timeoutMs = 10_000): Promise<number> {
  const head = (await logPositions(pool)).at(-1) ?? 0;
  await waitUntil(
    `${name} to reach the head of the log (position ${head})`,
    () => checkpointOf(pool, name),
    (checkpoint) => checkpoint === head,
    timeoutMs,
  );
  return head;
}

/** A promise with its resolve, for gates in handlers. */
export function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Rejects with a clear message when `promise` has not settled within `timeoutMs`. */
export async function within<T>(what: string, promise: Promise<T>, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Gave up after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
