import { AggregateRoot } from '@nestjs/cqrs';
import type { PersonalFields } from './personal-fields.js';
import { EventRegistry } from './event-registry.js';

/** A stored event as the aggregate sees it while rebuilding: the event object and when it was recorded. */
export interface HistoricEvent {
  event: object;
  version: number;
  recordedAt: Date;
}

/**
 * How an aggregate type takes part in snapshots: declared as a static `snapshots`
 * on the class, which then implements `toSnapshot()` and `restore(state)`.
 */
export interface SnapshotSettings {
  /** The shape of `toSnapshot()`'s state: bump it when that shape changes, and older snapshots are ignored. */
  version: number;
  /** A snapshot every this many events unless configured otherwise; 0 or absent: none. */
  every?: number;
  /** Personal fields of the state, as in `@DomainEvent({ personal })`: encrypted with the stream's subject key. */
  personal?: PersonalFields;
}

/** What the base class keeps of itself in a snapshot, besides the subclass's state. */
export interface AggregateSnapshot {
  version: number;
  createdAt: Date;
  updatedAt: Date;
  state: Record<string, unknown>;
}

/**
 * Base class of event-sourced aggregates. State changes only through `apply(event)`,
 * which calls `on<EventType>(event)` (named by the stable event type, not the class
 * name); command methods check the rules and apply new events; loading replays history.
 */
export abstract class EventSourcedAggregate extends AggregateRoot<object> {
  /** The version the store holds; new events are appended after it. */
  private storedVersion = 0;
  private firstRecordedAt?: Date;
  private lastRecordedAt?: Date;

  constructor(readonly id: string) {
    super();
  }

  /** The version including events applied but not yet saved. */
  get version(): number {
    return this.storedVersion + this.getUncommittedEvents().length;
  }

  get persistedVersion(): number {
    return this.storedVersion;
  }

  /** When the first event was recorded (undefined before the first save). */
  get createdAt(): Date | undefined {
    return this.firstRecordedAt;
  }

  /** When the newest stored event was recorded. */
  get updatedAt(): Date | undefined {
    return this.lastRecordedAt;
  }

  /** Replays stored events; they must follow the current version without a gap. */
  replay(history: Iterable<HistoricEvent>): void {
    for (const { event, version, recordedAt } of history) {
      if (version !== this.storedVersion + 1) {
        throw new Error(
          `${this.constructor.name} ${this.id}: expected event version ${this.storedVersion + 1}, got ${version}`,
        );
      }
      this.apply(event, true);
      this.markStored(version, recordedAt);
    }
  }

  /**
   * The stored state as a snapshot; throws for a type that does not take snapshots
   * or with events not yet saved.
   */
  takeSnapshot(): AggregateSnapshot {
    if (this.getUncommittedEvents().length > 0 || !this.firstRecordedAt || !this.lastRecordedAt) {
      throw new Error(`${this.constructor.name} ${this.id}: only a saved aggregate can be snapshotted`);
    }
    return {
      version: this.storedVersion,
      createdAt: this.firstRecordedAt,
      updatedAt: this.lastRecordedAt,
      state: this.toSnapshot(),
    };
  }

  /** Starts a new, empty aggregate from a snapshot; events after it are then {@link replay}ed. */
  restoreSnapshot(snapshot: AggregateSnapshot): void {
    if (this.storedVersion !== 0 || this.getUncommittedEvents().length > 0) {
      throw new Error(`${this.constructor.name} ${this.id}: a snapshot restores only a new aggregate`);
    }
    this.restore(snapshot.state);
    this.storedVersion = snapshot.version;
    this.firstRecordedAt = snapshot.createdAt;
    this.lastRecordedAt = snapshot.updatedAt;
  }

  /**
   * The aggregate's own state as plain JSON (private fields included: everything its
   * `on<Event>` handlers set). Types that declare `static snapshots` override it.
   */
  protected toSnapshot(): Record<string, unknown> {
    throw new Error(`${this.constructor.name} does not take snapshots`);
  }

  /** Sets the state `toSnapshot()` returned (in the current snapshot version) on a new aggregate. */
  protected restore(_state: Record<string, unknown>): void {
    throw new Error(`${this.constructor.name} does not take snapshots`);
  }

  /** Called by the repository once the pending events are committed. */
  markSaved(version: number, recordedAt: Date): void {
    this.commit();
    this.markStored(version, recordedAt);
  }

  protected override getEventName(event: object): string {
    return EventRegistry.infoOf(event).type;
  }

  private markStored(version: number, recordedAt: Date): void {
    this.storedVersion = version;
    this.firstRecordedAt ??= recordedAt;
    this.lastRecordedAt = recordedAt;
  }
}
