import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { EventBus } from '@nestjs/cqrs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AggregateNotFoundError,
  ConcurrencyError,
  IdempotencyKeyReusedError,
  UnreadableEventError,
} from '../domain/errors.js';
import { EventRegistry } from '../domain/event-registry.js';
import type { AggregateSnapshot, EventSourcedAggregate, SnapshotSettings } from '../domain/event-sourced-aggregate.js';
import { WriteStats } from '../observability/write-stats.js';
import {
  IdempotencyKeyTakenError,
  type EventStore,
  type IdempotencyRecord,
  type StoredEvent,
} from '../store/event-store.js';
import type { Snapshot, SnapshotStore } from '../store/snapshot-store.js';
import type { LoadedStream, SnapshotKind, StreamLoader } from '../store/stream-loading.js';
import { AggregateCache, type CachedAggregate } from './aggregate-cache.js';
import type { IdGenerator } from './clock.js';
import type { Command, CommandOutcome } from './command-context.js';
import { KeyedMutex } from './keyed-mutex.js';

/** An aggregate class: constructed with its id, stored under a stable stream type. */
export interface AggregateClass<A extends EventSourcedAggregate> {
  new (id: string): A;
  readonly streamType: string;
  /** Present when the type takes snapshots (it then implements `toSnapshot` and `restore`). */
  readonly snapshots?: SnapshotSettings;
}

/** Where a repository keeps snapshots and how often it writes one. */
export interface RepositorySnapshots {
  store: SnapshotStore;
  /** A snapshot once this many events were saved since the one the aggregate was loaded from; 0: none. */
  every: number;
  /**
   * How many aggregates keep their latest saved state in memory, in snapshot form, so that a
   * load reads only the events after it (0 or absent: none). Needs a type with `static snapshots`
   * and a store with a {@link StreamLoader}.
   */
  cacheSize?: number;
}

/** Where to stop replaying: after a version, or after the last event recorded at or before an instant. */
export interface PointInTime {
  version?: number;
  asOf?: Date;
}

type Result = Record<string, unknown>;

/** A command's decision: the aggregate with the events it applied, and whether it started from a cached state read from nothing. */
interface Decided<A, R> {
  aggregate: A;
  result: R;
  unread: boolean;
}

/**
 * Loads and saves one aggregate type. Commands go through {@link create} and
 * {@link update}, which add what every command needs: idempotency keys, `If-Match`,
 * bounded retries on concurrency conflicts, and publishing to the `EventBus` after commit.
 */
export class AggregateRepository<A extends EventSourcedAggregate> {
  private readonly mutex = new KeyedMutex();
  private readonly logger = new Logger(`AggregateRepository<${this.aggregateClass.streamType}>`);
  /** The version of the snapshot (0: none) each loaded aggregate started from. */
  private readonly snapshotBase = new WeakMap<A, number>();
  /** Aggregates loaded without their subject's key (a forgotten subject): their state is not cached, nor after a save. */
  private readonly keyless = new WeakSet<A>();
  /** Snapshot writes still running; see {@link snapshotsWritten}. */
  private readonly writing = new Set<Promise<void>>();
  /** Where the store can read snapshot and events in one round trip. */
  private readonly loader: StreamLoader | undefined;
  /** Latest saved states, each brought up to date by the events after it on every load. */
  readonly cache: AggregateCache | undefined;

  constructor(
    readonly aggregateClass: AggregateClass<A>,
    private readonly store: EventStore,
    private readonly eventBus: EventBus,
    private readonly ids: IdGenerator,
    private readonly retries: number,
    private readonly snapshots?: RepositorySnapshots,
    private readonly stats = new WriteStats(),
  ) {
    this.loader = store.streamLoader(snapshots?.store, this.snapshotKind);
    const cacheSize = snapshots?.cacheSize ?? 0;
    // The cache needs the personal-data key read with the events: only a stream loader gives it.
    this.cache = this.loader && aggregateClass.snapshots && cacheSize > 0 ? new AggregateCache(cacheSize) : undefined;
  }

  /**
   * The aggregate rebuilt from its newest usable snapshot (at or below the point in
   * time, in the current snapshot version) and the events after it, or from all its
   * events; undefined if it has none (at that point in time). The latest state starts from
   * the cached one when there is one, and replays the events saved after it.
   */
  async load(id: string, at: PointInTime = {}): Promise<A | undefined> {
    const latest = at.version === undefined && at.asOf === undefined;
    const cached = latest ? this.cache?.get(id) : undefined;
    if (cached) {
      const { events, keyFound } = await this.loader!.load(id, {}, cached.state.version);
      if (this.cacheable(keyFound)) {
        return this.remembered(this.restoreCached(id, cached, events), events.length > 0);
      }
      // Its subject was forgotten (by any instance): the cached state may hold its personal data in plain.
      this.cache!.delete(id);
    }
    const { snapshot, events, keyFound } = this.loader
      ? await this.loadTogether(id, at)
      : await this.loadInTurn(id, at);
    // An id of another aggregate type is not an id of this one (snapshots are found by type).
    if (!snapshot && (events.length === 0 || events[0].streamType !== this.aggregateClass.streamType)) return undefined;
    const start = snapshot && {
      version: snapshot.version,
      createdAt: snapshot.firstRecordedAt,
      updatedAt: snapshot.recordedAt,
      state: snapshot.state,
    };
    const aggregate = this.rebuild(id, start, snapshot?.version ?? 0, events);
    if (!this.cacheable(keyFound)) this.keyless.add(aggregate);
    else if (latest) this.remembered(aggregate, true);
    return aggregate;
  }

  /**
   * For a type with personal fields, only a state read while its subject's key exists is
   * cached (a cached load without the key drops it, so caching the state read then is futile).
   */
  private cacheable(keyFound: boolean | undefined): boolean {
    return keyFound === true || !this.aggregateClass.snapshots?.personal;
  }

  /** A new aggregate from a snapshot-form state (or none) and the events after it. */
  private rebuild(id: string, start: AggregateSnapshot | undefined, snapshotBase: number, events: StoredEvent[]): A {
    const aggregate = new this.aggregateClass(id);
    if (start) aggregate.restoreSnapshot(start);
    this.snapshotBase.set(aggregate, snapshotBase);
    aggregate.replay(
      events.map((e) => ({
        event: EventRegistry.fromRecord(e, e.position),
        version: e.version,
        recordedAt: e.recordedAt,
      })),
    );
    return aggregate;
  }

  /** Caches a copy of the aggregate's saved state when it changed: commands change the aggregate itself. */
  private remembered(aggregate: A, changed: boolean): A {
    if (this.cache && changed) {
      this.cache.put(aggregate.id, {
        state: aggregate.takeSnapshot(),
        snapshotBase: this.snapshotBase.get(aggregate) ?? 0,
      });
    }
    return aggregate;
  }

  /** Resolves once every snapshot write started so far has finished (for tests and shutdown). */
  async snapshotsWritten(): Promise<void> {
    while (this.writing.size > 0) await Promise.allSettled([...this.writing]);
  }

  /** Like {@link load}, but a missing aggregate is an {@link AggregateNotFoundError}. */
  async get(id: string, at: PointInTime = {}): Promise<A> {
    const aggregate = await this.load(id, at);
    if (!aggregate) throw new AggregateNotFoundError(this.aggregateClass.streamType, id);
    return aggregate;
  }

  /** Runs a command that starts a new aggregate; `start` applies its first events. */
  create<R extends Result>(command: Command, start: () => { aggregate: A; result: R }): Promise<CommandOutcome<R>> {
    return this.execute(command, async () => ({ ...start(), unread: false }));
  }

  /**
   * Runs a command against an existing aggregate: load, `decide` (which applies events
   * or throws a domain error), append with the loaded version as the expected one.
   *
   * With the aggregate cached, the first try decides on the cached state without reading
   * anything, and its append proves that state was the latest: the expected version, and
   * for a type with personal fields the subject's key ({@link AppendRequest.whileKeyOf}).
   * When that fails (another instance wrote the stream, the subject was forgotten), or the
   * decision stores nothing or throws, which no append checks, the command loads and
   * decides again, and that is not counted as a retry.
   */
  update<R extends Result>(command: Command, id: string, decide: (aggregate: A) => R): Promise<CommandOutcome<R>> {
    const pinned = command.context.expectedVersion;
    return this.mutex.run(id, () =>
      this.execute(command, async (mayTrustCache) => {
        const cached = mayTrustCache ? this.fromCache(id, pinned) : undefined;
        if (cached) {
          try {
            const result = decide(cached);
            if (cached.getUncommittedEvents().length > 0) return { aggregate: cached, result, unread: true };
          } catch {
            // A refusal, like a decision to store nothing, has no append to check the state it was made on.
          }
        }
        const aggregate = await this.get(id);
        if (pinned !== undefined && pinned !== aggregate.version) {
          throw new ConcurrencyError(id, pinned, aggregate.version);
        }
        return { aggregate, result: decide(aggregate), unread: false };
      }),
    );
  }

  /** The cached latest saved state as an aggregate, unless none is cached or `If-Match` names another version. */
  private fromCache(id: string, pinned: number | undefined): A | undefined {
    const cached = this.cache?.get(id);
    if (!cached || (pinned !== undefined && pinned !== cached.state.version)) return undefined;
    return this.restoreCached(id, cached, []);
  }

  /** An aggregate from a cached state and the events saved after it. */
  private restoreCached(id: string, cached: CachedAggregate, events: StoredEvent[]): A {
    // A copy: one cached state is restored many times, and `restore` may keep what it is given.
    const start = { ...cached.state, state: structuredClone(cached.state.state) };
    return this.rebuild(id, start, cached.snapshotBase, events);
  }

  /** @param attempt decides once; it may start from the cached state on the first try only. */
  private async execute<R extends Result>(
    command: Command,
    attempt: (mayTrustCache: boolean) => Promise<Decided<A, R>>,
  ): Promise<CommandOutcome<R>> {
    // Only an idempotency key is ever compared with a fingerprint: without one, skip the hash.
    const fingerprint = command.context.idempotencyKey === undefined ? '' : fingerprintOf(command);
    for (let tries = 0, first = true; ; first = false) {
      const earlier = await this.earlierOutcome<R>(command, fingerprint);
      if (earlier) return earlier;
      let decided: Decided<A, R> | undefined;
      try {
        decided = await attempt(first);
        return await this.save(decided, command, fingerprint);
      } catch (error) {
        if (error instanceof IdempotencyKeyTakenError) continue;
        if (!(error instanceof ConcurrencyError)) throw error;
        if (decided?.unread) continue;
        this.stats.count(this.stats.conflicts, this.aggregateClass.streamType);
        if (command.context.expectedVersion !== undefined || tries >= this.retries) throw error;
        this.stats.count(this.stats.retries, this.aggregateClass.streamType);
        // Another instance wrote first: back off a little so the writers spread out.
        await sleep(Math.random() * Math.min(50, 2 ** tries));
        tries++;
      }
    }
  }

  private async earlierOutcome<R extends Result>(
    command: Command,
    fingerprint: string,
  ): Promise<CommandOutcome<R> | undefined> {
    const key = command.context.idempotencyKey;
    if (key === undefined) return undefined;
    const record = await this.store.findIdempotencyRecord(key);
    if (!record) return undefined;
    if (record.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(key);
    return outcomeOf<R>(record);
  }

  private async save<R extends Result>(
    { aggregate, result, unread }: Decided<A, R>,
    command: Command,
    fingerprint: string,
  ): Promise<CommandOutcome<R>> {
    const pending = [...aggregate.getUncommittedEvents()];
    const { context } = command;
    if (pending.length === 0) {
      const [last] = await this.store.readStream(aggregate.id, { fromVersion: aggregate.version });
      return { id: aggregate.id, version: aggregate.version, position: last.position, result };
    }
    const appended = await this.store.append({
      streamId: aggregate.id,
      streamType: this.aggregateClass.streamType,
      expectedVersion: aggregate.persistedVersion,
      events: pending.map((event) => ({
        id: this.ids.next(),
        ...EventRegistry.toRecord(event),
        metadata: {
          correlationId: context.correlationId,
          causationId: context.commandId,
          ...(context.idempotencyKey === undefined ? {} : { idempotencyKey: context.idempotencyKey }),
          ...(context.actorId === undefined ? {} : { actorId: context.actorId }),
        },
      })),
      idempotency:
        context.idempotencyKey === undefined ? undefined : { key: context.idempotencyKey, fingerprint, result },
      whileKeyOf: unread && this.aggregateClass.snapshots?.personal ? aggregate.id : undefined,
    });
    if (!appended.duplicate) this.stats.count(this.stats.appended, this.aggregateClass.streamType, pending.length);
    aggregate.markSaved(appended.version, appended.recordedAt);
    this.eventBus.publishAll(pending);
    this.snapshotIfDue(aggregate);
    // A duplicate's events are an earlier request's, not necessarily the ones applied here.
    if (appended.duplicate || this.keyless.has(aggregate)) this.cache?.delete(aggregate.id);
    else this.remembered(aggregate, true);
    return { id: aggregate.id, version: appended.version, position: appended.position, result };
  }

  private get snapshotVersion(): number | undefined {
    const settings = this.aggregateClass.snapshots;
    return settings && this.snapshots && this.snapshots.every > 0 ? settings.version : undefined;
  }

  /** The snapshots this repository may start a load from, if it uses any. */
  private get snapshotKind(): SnapshotKind | undefined {
    const schemaVersion = this.snapshotVersion;
    if (schemaVersion === undefined) return undefined;
    return {
      streamType: this.aggregateClass.streamType,
      schemaVersion,
      personal: this.aggregateClass.snapshots?.personal,
    };
  }

  /** Snapshot, events and the stream's personal-data key in one round trip. */
  private async loadTogether(id: string, at: PointInTime): Promise<LoadedStream> {
    const range = { toVersion: at.version, recordedAtOrBefore: at.asOf };
    try {
      return await this.loader!.load(id, range);
    } catch (error) {
      // Unreadable events stay unreadable without the snapshot; anything else may be the snapshot's fault.
      if (this.snapshotKind === undefined || error instanceof UnreadableEventError) throw error;
      this.snapshotUnreadable(id, error);
      return { events: await this.store.readStream(id, range) };
    }
  }

  private async loadInTurn(id: string, at: PointInTime): Promise<LoadedStream> {
    const snapshot = await this.findSnapshot(id, at);
    const events = await this.store.readStream(id, {
      fromVersion: snapshot ? snapshot.version + 1 : undefined,
      toVersion: at.version,
      recordedAtOrBefore: at.asOf,
    });
    return { snapshot, events };
  }

  /** A snapshot is a shortcut: when it cannot be read, loading replays every event instead. */
  private async findSnapshot(id: string, at: PointInTime): Promise<Snapshot | undefined> {
    const kind = this.snapshotKind;
    if (kind === undefined) return undefined;
    try {
      return await this.snapshots!.store.findLatest(id, {
        ...kind,
        maxVersion: at.version,
        recordedAtOrBefore: at.asOf,
      });
    } catch (error) {
      this.snapshotUnreadable(id, error);
      return undefined;
    }
  }

  private snapshotUnreadable(id: string, error: unknown): void {
    this.logger.error(`Reading a snapshot of ${id} failed; replaying all its events`, (error as Error).stack);
  }

  /**
   * After a commit: writes a snapshot once `every` events were saved since the one the
   * aggregate was loaded from (so an ignored, outdated snapshot is replaced on the next
   * save). Not awaited: the command neither waits for it nor fails with it; errors are logged.
   */
  private snapshotIfDue(aggregate: A): void {
    const schemaVersion = this.snapshotVersion;
    if (schemaVersion === undefined) return;
    const base = this.snapshotBase.get(aggregate) ?? 0;
    if (aggregate.persistedVersion - base < this.snapshots!.every) return;
    const write = (async () => {
      // The state is taken now, on the command's path, before anything else can touch the aggregate.
      const taken = aggregate.takeSnapshot();
      this.snapshotBase.set(aggregate, taken.version);
      await this.snapshots!.store.save(
        {
          streamId: aggregate.id,
          streamType: this.aggregateClass.streamType,
          version: taken.version,
          schemaVersion,
          state: taken.state,
          firstRecordedAt: taken.createdAt,
          recordedAt: taken.updatedAt,
        },
        this.aggregateClass.snapshots?.personal,
      );
    })()
      .catch((error: unknown) => {
        this.logger.error(
          `Writing a snapshot of ${aggregate.id} at version ${aggregate.persistedVersion} failed`,
          (error as Error)?.stack ?? String(error),
        );
      })
      .finally(() => this.writing.delete(write));
    this.writing.add(write);
  }
}

function outcomeOf<R extends Result>(record: IdempotencyRecord): CommandOutcome<R> {
  return { id: record.streamId, version: record.version, position: record.position, result: record.result as R };
}

/** Same command name and fields (apart from the context): the same request. */
function fingerprintOf(command: Command): string {
  const { context: _context, ...fields } = command as Command & Record<string, unknown>;
  return createHash('sha256')
    .update(JSON.stringify([command.constructor.name, fields]))
    .digest('base64url');
}
