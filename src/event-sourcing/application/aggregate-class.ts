import type { EventSourcedAggregate, SnapshotSettings } from '../domain/event-sourced-aggregate.js';

/** An aggregate class: constructed with its id, stored under a stable stream type. */
export interface AggregateClass<A extends EventSourcedAggregate> {
  new (id: string): A;
  readonly streamType: string;
  /** Present when the type takes snapshots (it then implements `toSnapshot` and `restore`). */
  readonly snapshots?: SnapshotSettings;
}
