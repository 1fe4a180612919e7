import { AggregateRoot } from '@nestjs/cqrs';
import { EventRegistry } from './event-registry.js';

/** A stored event as the aggregate sees it while rebuilding: the event object and when it was recorded. */
export interface HistoricEvent {
  event: object;
  version: number;
  recordedAt: Date;
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
