import { EventRegistry } from '../domain/event-registry.js';
import type { EventMetadata, StoredEvent } from '../store/event-store.js';
import { InMemoryEventStore } from '../store/in-memory-event-store.js';

/** Events appended to one stream at once in a spec's log, with what their envelopes say. */
export interface SpecAppend {
  streamId: string;
  /** `Spec` unless given. */
  streamType?: string;
  events: object[];
  /** One id per event; by default uuid-shaped from the event's position ({@link specEventId}). */
  ids?: string[];
  /** Merged over `{ correlationId: 'correlation', causationId: 'command' }`. */
  metadata?: Partial<EventMetadata>;
  /** By default 2026-01-01T00:00:00Z for the log's first append, and a second later for each one after it. */
  recordedAt?: Date;
}

/** Events of one stream, appended together: `stream(accountId, opened, deposited)`. */
export function stream(streamId: string, ...events: object[]): SpecAppend {
  return { streamId, events };
}

/** The id a spec's log gives the event at `position` unless told another: 00000000-0000-4000-8000-000000000001 for 1. */
export function specEventId(position: number): string {
  return `00000000-0000-4000-8000-${position.toString().padStart(12, '0')}`;
}

const FIRST_RECORDED_AT = Date.UTC(2026, 0, 1);

/**
 * A spec's log: appends go to an `InMemoryEventStore`, so that followers get events as a store
 * gives them back (data through JSON, upcast, with positions, versions and metadata).
 */
export class SpecLog {
  private readonly store: InMemoryEventStore;
  private appends = 0;
  private length = 0;
  private recordedAt = new Date(FIRST_RECORDED_AT);

  constructor() {
    this.store = new InMemoryEventStore(() => this.recordedAt);
  }

  /** The position of the log's last event (0 while empty). */
  get position(): number {
    return this.length;
  }

  async append(appends: readonly SpecAppend[]): Promise<void> {
    for (const { streamId, streamType = 'Spec', events, ids, metadata, recordedAt } of appends) {
      if (ids && ids.length !== events.length) {
        throw new Error(`${streamId}: ${ids.length} ids for ${events.length} events`);
      }
      this.recordedAt = recordedAt ?? new Date(FIRST_RECORDED_AT + this.appends * 1000);
      await this.store.append({
        streamId,
        streamType,
        expectedVersion: 'any',
        events: events.map((event, i) => ({
          id: ids?.[i] ?? specEventId(this.length + i + 1),
          ...EventRegistry.toRecord(event),
          metadata: { correlationId: 'correlation', causationId: 'command', ...metadata },
        })),
      });
      this.appends++;
      this.length += events.length;
    }
  }

  /** The log after `position` in batches of at most `size` events, as a follower reads it. */
  async *batches(after: number, size: number): AsyncGenerator<StoredEvent[]> {
    for (let at = after; at < this.length; at += size) yield await this.store.readLog(at, size);
  }
}
