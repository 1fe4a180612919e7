import type { EventClass } from '../domain/event-registry.js';
import type { EventSourcedAggregate, SnapshotSettings } from '../domain/event-sourced-aggregate.js';

/** An aggregate class: constructed with its id, stored under a stable stream type. */
export interface AggregateClass<A extends EventSourcedAggregate> {
  new (id: string): A;
  readonly streamType: string;
  /** Every event class of its stream, each with an `@Applies` method (checked at start). */
  readonly events?: readonly EventClass[];
  /** Present when the type takes snapshots: of its own fields, unless it writes `toSnapshot` and `restore`. */
  readonly snapshots?: SnapshotSettings;
  /**
   * What tools over the store (the explorer) call one of its streams, from its latest state;
   * undefined: by its id only. A personal field reads as its erased value once its subject
   * was erased, as everywhere else.
   */
  displayName?(aggregate: A): string | undefined;
}
