import type { EventBus } from '@nestjs/cqrs';
import type { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import { WriteStats } from '../observability/write-stats.js';
import type { EventStore } from '../store/event-store.js';
import { AggregateCache } from './aggregate-cache.js';
import type { AggregateClass } from './aggregate-class.js';
import { AggregateLoader, type PointInTime } from './aggregate-loader.js';
import type { IdGenerator } from './clock.js';
import type { Command, CommandOutcome, CommandResult } from './command-context.js';
import { CommandPipeline } from './command-pipeline.js';
import { SnapshotPolicy, snapshotKindOf, type RepositorySnapshots } from './snapshot-policy.js';

/**
 * Loads and saves one aggregate type. Commands go through {@link create} and
 * {@link update}, which add what every command needs: idempotency keys, `If-Match`,
 * bounded retries on concurrency conflicts, and publishing to the `EventBus` after commit.
 *
 * A facade over three parts: the {@link AggregateLoader} (events, snapshots and the cache
 * to an aggregate), the {@link CommandPipeline} (a command to an append) and the
 * {@link SnapshotPolicy} (what is kept of a saved state).
 */
export class AggregateRepository<A extends EventSourcedAggregate> {
  /** Latest saved states, each brought up to date by the events after it on every load. */
  readonly cache: AggregateCache | undefined;
  private readonly loader: AggregateLoader<A>;
  private readonly commands: CommandPipeline<A>;
  private readonly snapshots: SnapshotPolicy<A>;

  /** @param retries how many times a command is tried again on fresh state after a conflict */
  constructor(
    readonly aggregateClass: AggregateClass<A>,
    store: EventStore,
    eventBus: EventBus,
    ids: IdGenerator,
    retries: number,
    snapshots?: RepositorySnapshots,
    stats = new WriteStats(),
  ) {
    const kind = snapshotKindOf(aggregateClass, snapshots);
    const streams = store.streamLoader(snapshots?.store, kind);
    const cacheSize = snapshots?.cacheSize ?? 0;
    // The cache needs the personal-data key read with the events: only a stream loader gives it.
    this.cache = streams && aggregateClass.snapshots && cacheSize > 0 ? new AggregateCache(cacheSize) : undefined;
    this.snapshots = new SnapshotPolicy(aggregateClass.streamType, snapshots, kind, this.cache);
    this.loader = new AggregateLoader(aggregateClass, store, streams, this.snapshots);
    this.commands = new CommandPipeline(
      aggregateClass,
      this.loader,
      this.snapshots,
      store,
      eventBus,
      ids,
      retries,
      stats,
    );
  }

  /**
   * The aggregate as of its latest event, or as of a point in time; undefined if it has no
   * events (by then). Rebuilt from the cached latest state, else the newest usable snapshot,
   * and the events after it.
   */
  load(id: string, at?: PointInTime): Promise<A | undefined> {
    return this.loader.load(id, at);
  }

  /** Like {@link load}, but a missing aggregate is an `AggregateNotFoundError`. */
  get(id: string, at?: PointInTime): Promise<A> {
    return this.loader.get(id, at);
  }

  /** Runs a command that starts a new aggregate; `start` applies its first events. */
  create<R extends CommandResult>(
    command: Command<R>,
    start: () => { aggregate: A; result: R },
  ): Promise<CommandOutcome<R>> {
    return this.commands.create(command, start);
  }

  /**
   * Runs a command against an existing aggregate: load (or take the cached state), `decide`
   * (which applies events or throws a domain error), append with the loaded version as the
   * expected one; see {@link CommandPipeline.update}.
   */
  update<R extends CommandResult>(
    command: Command<R>,
    id: string,
    decide: (aggregate: A) => R,
  ): Promise<CommandOutcome<R>> {
    return this.commands.update(command, id, decide);
  }

  /** Resolves once every snapshot write started so far has finished (for tests and shutdown). */
  snapshotsWritten(): Promise<void> {
    return this.snapshots.written();
  }
}
