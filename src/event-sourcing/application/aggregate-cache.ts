import type { AggregateSnapshot } from '../domain/event-sourced-aggregate.js';

/**
 * An aggregate's latest saved state, never the live object, the snapshot version its next
 * snapshot counts from, and the history generation of the events it was built from.
 */
export interface CachedAggregate {
  state: AggregateSnapshot;
  snapshotBase: number;
  generation: number;
}

/**
 * The latest saved states of the most recently used aggregates of one type, at most `size`
 * of them (a Map keeps insertion order: the first key is the least recently used).
 */
export class AggregateCache {
  private readonly entries = new Map<string, CachedAggregate>();

  constructor(readonly size: number) {}

  get(id: string): CachedAggregate | undefined {
    const entry = this.entries.get(id);
    if (entry) this.touch(id, entry);
    return entry;
  }

  /**
   * Keeps the entry unless a newer state of the aggregate is already kept (loads and saves
   * may overlap): a later version, or one built from a later rewrite of its history.
   */
  put(id: string, entry: CachedAggregate): void {
    const kept = this.entries.get(id);
    if (
      kept &&
      (kept.generation > entry.generation ||
        (kept.generation === entry.generation && kept.state.version > entry.state.version))
    )
      return;
    this.touch(id, entry);
    if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  get count(): number {
    return this.entries.size;
  }

  private touch(id: string, entry: CachedAggregate): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
  }
}
