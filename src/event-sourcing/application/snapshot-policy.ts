import { Logger } from '@nestjs/common';
import type { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import type { SnapshotKind } from '../store/stream-loading.js';
import type { AggregateCache } from './aggregate-cache.js';
import type { AggregateClass } from './aggregate-class.js';

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

/** The snapshots a repository reads and writes: none for a type without `static snapshots`, or with `every` 0. */
export function snapshotKindOf(
  aggregateClass: AggregateClass<EventSourcedAggregate>,
  settings: RepositorySnapshots | undefined,
): SnapshotKind | undefined {
  const snapshots = aggregateClass.snapshots;
  if (!snapshots || !settings || settings.every <= 0) return undefined;
  return { streamType: aggregateClass.streamType, schemaVersion: snapshots.version, personal: snapshots.personal };
}

/**
 * What a repository keeps of the states it saved: a snapshot once `every` events were
 * saved since the one an aggregate started from, and the aggregate cache's entry. It
 * remembers, for every aggregate it is told of, the snapshot version that one started from.
 */
export class SnapshotPolicy<A extends EventSourcedAggregate> {
  private readonly logger: Logger;
  /** The version of the snapshot (0: none) each loaded aggregate started from. */
  private readonly base = new WeakMap<A, number>();
  /** The history generation each aggregate's events were read or appended in, where the store has one. */
  private readonly generations = new WeakMap<A, number>();
  /** Aggregates loaded without their subject's key (a forgotten subject): their state is not cached, nor after a save. */
  private readonly keyless = new WeakSet<A>();
  /** Snapshot writes still running; see {@link written}. */
  private readonly writing = new Set<Promise<void>>();

  /**
   * @param kind the snapshots written and read ({@link snapshotKindOf}); none: none are written
   * @param cache where the latest saved states are kept, if anywhere
   */
  constructor(
    streamType: string,
    private readonly settings: RepositorySnapshots | undefined,
    readonly kind: SnapshotKind | undefined,
    readonly cache: AggregateCache | undefined,
  ) {
    this.logger = new Logger(`AggregateRepository<${streamType}>`);
  }

  /** Where snapshots are read from, when the type uses them. */
  get store(): SnapshotStore | undefined {
    return this.kind && this.settings?.store;
  }

  /** Notes the snapshot version (0: none) a newly built aggregate starts from, and the history generation it was read in. */
  startsFrom(aggregate: A, snapshotVersion: number, generation: number | undefined): void {
    this.base.set(aggregate, snapshotVersion);
    if (generation !== undefined) this.generations.set(aggregate, generation);
  }

  /** The history generation of the events the aggregate's state was built from, where the store has one. */
  generationOf(aggregate: A): number | undefined {
    return this.generations.get(aggregate);
  }

  /** Notes an aggregate read without its subject's key: neither its state nor its next saved one is cached. */
  readWithoutKey(aggregate: A): void {
    this.keyless.add(aggregate);
  }

  /** Caches a copy of the aggregate's saved state: commands change the aggregate itself. */
  remember(aggregate: A): void {
    const generation = this.generations.get(aggregate);
    // A state of no known generation could not be told stale after a rewrite.
    if (!this.cache || generation === undefined) return;
    this.cache.put(aggregate.id, {
      state: aggregate.takeSnapshot(),
      snapshotBase: this.base.get(aggregate) ?? 0,
      generation,
    });
  }

  /**
   * After a commit: a snapshot if one is due, and the cache's entry kept up to date or dropped.
   * @param generation the history generation the append committed in: the saved state's
   */
  saved(aggregate: A, duplicate: boolean, generation: number | undefined): void {
    if (generation !== undefined) this.generations.set(aggregate, generation);
    this.snapshotIfDue(aggregate);
    // A duplicate's events are an earlier request's, not necessarily the ones applied here.
    if (duplicate || this.keyless.has(aggregate)) this.cache?.delete(aggregate.id);
    else this.remember(aggregate);
  }

  /** Resolves once every snapshot write started so far has finished (for tests and shutdown). */
  async written(): Promise<void> {
    while (this.writing.size > 0) await Promise.allSettled([...this.writing]);
  }

  /**
   * Writes a snapshot once `every` events were saved since the one the aggregate was
   * loaded from (so an ignored, outdated snapshot is replaced on the next save). Not
   * awaited: the command neither waits for it nor fails with it; errors are logged.
   */
  private snapshotIfDue(aggregate: A): void {
    const kind = this.kind;
    if (kind === undefined) return;
    const { store, every } = this.settings!;
    if (aggregate.persistedVersion - (this.base.get(aggregate) ?? 0) < every) return;
    const write = (async () => {
      // The state is taken now, on the command's path, before anything else can touch the aggregate.
      const taken = aggregate.takeSnapshot();
      this.base.set(aggregate, taken.version);
      await store.save(
        {
          streamId: aggregate.id,
          streamType: kind.streamType,
          version: taken.version,
          schemaVersion: kind.schemaVersion,
          state: taken.state,
          firstRecordedAt: taken.createdAt,
          recordedAt: taken.updatedAt,
          generation: this.generations.get(aggregate),
        },
        kind.personal,
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
