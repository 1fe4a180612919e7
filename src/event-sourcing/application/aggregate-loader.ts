import { Logger } from '@nestjs/common';
import { writesOwn } from '../domain/aggregate-checks.js';
import { AggregateNotFoundError, UnreadableEventError } from '../domain/errors.js';
import { EventRegistry } from '../domain/event-registry.js';
import type { AggregateSnapshot, EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import type { EventStore } from '../store/event-store.js';
import type { Snapshot } from '../store/snapshot-store.js';
import type { LoadedEvent, LoadedStream, StreamLoader } from '../store/stream-loading.js';
import type { CachedAggregate } from './aggregate-cache.js';
import type { AggregateClass } from './aggregate-class.js';
import type { SnapshotPolicy } from './snapshot-policy.js';

/** Where to stop replaying: after a version, or after the last event recorded at or before an instant. */
export interface PointInTime {
  version?: number;
  asOf?: Date;
}

/**
 * Builds aggregates of one type from their events: from the cached latest state and the
 * events saved after it, or from the newest usable snapshot and the events after it, or
 * from all of them. Tells the {@link SnapshotPolicy} where each aggregate started from.
 */
export class AggregateLoader<A extends EventSourcedAggregate> {
  private readonly logger = new Logger(`AggregateRepository<${this.aggregateClass.streamType}>`);
  private readonly cache = this.snapshots.cache;
  private readonly restoreKeepsState = writesOwn(this.aggregateClass, 'restore');

  /** @param streams where the store reads snapshot, events and the personal-data key in one round trip */
  constructor(
    private readonly aggregateClass: AggregateClass<A>,
    private readonly store: EventStore,
    private readonly streams: StreamLoader | undefined,
    private readonly snapshots: SnapshotPolicy<A>,
  ) {}

  /**
   * The aggregate rebuilt from its newest usable snapshot (at or below the point in
   * time, in the current snapshot version) and the events after it, or from all its
   * events; undefined if it has none (at that point in time). The latest state starts from
   * the cached one when there is one, and replays the events saved after it.
   */
  async load(id: string, at: PointInTime = {}): Promise<A | undefined> {
    const latest = at.version === undefined && at.asOf === undefined;
    const cached = latest ? this.cache?.get(id) : undefined;
    let loaded: LoadedStream | undefined;
    if (cached) {
      loaded = await this.streams!.load(id, {}, { version: cached.state.version, generation: cached.generation });
      if (loaded.generation === cached.generation && this.cacheable(loaded.keyFound)) {
        const aggregate = this.restoreCached(id, cached, loaded.events);
        if (loaded.events.length > 0) this.snapshots.remember(aggregate);
        return aggregate;
      }
      this.cache!.delete(id);
      // Built from events rewritten since (by any instance): the statement read the stream as
      // a load without it does. Else its subject was forgotten (by any instance): the cached
      // state may hold its personal data in plain, and the load is made the normal way.
      if (loaded.generation === cached.generation) loaded = undefined;
    }
    const { snapshot, events, keyFound, generation } =
      loaded ?? (this.streams ? await this.loadTogether(id, at) : await this.loadInTurn(id, at));
    // An id of another aggregate type is not an id of this one (snapshots are found by type).
    if (!snapshot && (events.length === 0 || events[0].streamType !== this.aggregateClass.streamType)) return undefined;
    const start = snapshot && {
      version: snapshot.version,
      createdAt: snapshot.firstRecordedAt,
      updatedAt: snapshot.recordedAt,
      state: snapshot.state,
    };
    const aggregate = start
      ? await this.rebuildFromSnapshot(id, start, events, at, generation)
      : this.rebuild(id, undefined, 0, events, generation);
    if (!this.cacheable(keyFound)) this.snapshots.readWithoutKey(aggregate);
    else if (latest) this.snapshots.remember(aggregate);
    return aggregate;
  }

  /** Like {@link load}, but a missing aggregate is an {@link AggregateNotFoundError}. */
  async get(id: string, at: PointInTime = {}): Promise<A> {
    const aggregate = await this.load(id, at);
    if (!aggregate) throw new AggregateNotFoundError(this.aggregateClass.streamType, id);
    return aggregate;
  }

  /**
   * The cached latest saved state as an aggregate, read from nothing: undefined when none is
   * cached or `version` (`If-Match`) names another. Only an append can prove it was the latest.
   */
  fromCache(id: string, version: number | undefined): A | undefined {
    const cached = this.cache?.get(id);
    if (!cached || (version !== undefined && version !== cached.state.version)) return undefined;
    return this.restoreCached(id, cached, []);
  }

  /**
   * For a type with personal fields, only a state read while its subject's key exists is
   * cached (a cached load without the key drops it, so caching the state read then is futile).
   */
  private cacheable(keyFound: boolean | undefined): boolean {
    return keyFound === true || !this.aggregateClass.snapshots?.personal;
  }

  /** An aggregate from a cached state and the events saved after it. */
  private restoreCached(id: string, cached: CachedAggregate, events: LoadedEvent[]): A {
    // One cached state is restored many times: a hand-written `restore` may keep what it is
    // given, so it gets a copy; the default one builds every value anew already.
    const state = this.restoreKeepsState ? structuredClone(cached.state.state) : cached.state.state;
    const start = { ...cached.state, state };
    return this.rebuild(id, start, cached.snapshotBase, events, cached.generation);
  }

  /** A new aggregate from a snapshot-form state (or none) and the events after it, read in `generation` of the history. */
  private rebuild(
    id: string,
    start: AggregateSnapshot | undefined,
    snapshotBase: number,
    events: LoadedEvent[],
    generation: number | undefined,
  ): A {
    const aggregate = new this.aggregateClass(id);
    if (start) aggregate.restoreSnapshot(start);
    this.snapshots.startsFrom(aggregate, snapshotBase, generation);
    aggregate.replay(
      events.map((e) => ({
        event: EventRegistry.fromRecord(e, e.position),
        version: e.version,
        recordedAt: e.recordedAt,
      })),
    );
    return aggregate;
  }

  /**
   * A snapshot is a shortcut: one that cannot be restored (a state of an older shape stored
   * under the same snapshot version) is passed over, and every event replayed instead.
   */
  private async rebuildFromSnapshot(
    id: string,
    start: AggregateSnapshot,
    events: LoadedEvent[],
    at: PointInTime,
    generation: number | undefined,
  ): Promise<A> {
    try {
      return this.rebuild(id, start, start.version, events, generation);
    } catch (error) {
      if (error instanceof UnreadableEventError) throw error;
      this.snapshotUnreadable(id, error);
      // Read after the generation was: if a rewrite came between, the state is only taken for older than it is.
      const all = await this.store.readStream(id, { toVersion: at.version, recordedAtOrBefore: at.asOf });
      return this.rebuild(id, undefined, 0, all, generation);
    }
  }

  /** Snapshot, events and the stream's personal-data key in one round trip. */
  private async loadTogether(id: string, at: PointInTime): Promise<LoadedStream> {
    const range = { toVersion: at.version, recordedAtOrBefore: at.asOf };
    try {
      return await this.streams!.load(id, range);
    } catch (error) {
      // Unreadable events stay unreadable without the snapshot; anything else may be the snapshot's fault.
      if (this.snapshots.kind === undefined || error instanceof UnreadableEventError) throw error;
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
    const { kind, store } = this.snapshots;
    if (kind === undefined || store === undefined) return undefined;
    try {
      return await store.findLatest(id, { ...kind, maxVersion: at.version, recordedAtOrBefore: at.asOf });
    } catch (error) {
      this.snapshotUnreadable(id, error);
      return undefined;
    }
  }

  private snapshotUnreadable(id: string, error: unknown): void {
    this.logger.error(`Reading a snapshot of ${id} failed; replaying all its events`, (error as Error).stack);
  }
}
