import { UnknownEventError } from './errors.js';

// Event classes are rebuilt from stored data without running their constructors.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventClass = abstract new (...args: any[]) => object;

export interface EventTypeInfo {
  type: string;
  schemaVersion: number;
  eventClass: EventClass;
}

/** What an append needs to know about an event besides its data. */
export interface EventRecord {
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
}

const byType = new Map<string, EventTypeInfo>();
const byClass = new Map<EventClass, EventTypeInfo>();

/**
 * The mapping between event classes and their stable stored names. Classes register
 * themselves with {@link DomainEvent}; class names never reach the database.
 */
export const EventRegistry = {
  register(info: EventTypeInfo): void {
    const existing = byType.get(info.type);
    if (existing && existing.eventClass !== info.eventClass) {
      throw new Error(
        `Event type "${info.type}" is registered twice: ${existing.eventClass.name} and ${info.eventClass.name}`,
      );
    }
    byType.set(info.type, info);
    byClass.set(info.eventClass, info);
  },

  infoOfClass(eventClass: EventClass): EventTypeInfo {
    const info = byClass.get(eventClass);
    if (!info) throw new Error(`${eventClass.name} has no @DomainEvent decorator`);
    return info;
  },

  infoOf(event: object): EventTypeInfo {
    return this.infoOfClass(event.constructor as EventClass);
  },

  toRecord(event: object): EventRecord {
    const { type, schemaVersion } = this.infoOf(event);
    return { type, schemaVersion, data: { ...event } as Record<string, unknown> };
  },

  /** Rebuilds the event object of a stored record; `position` only names it in errors. */
  fromRecord(record: EventRecord, position: number): object {
    const info = byType.get(record.type);
    if (!info)
      throw new UnknownEventError(position, record.type, record.schemaVersion, 'no class is registered for this type');
    if (info.schemaVersion !== record.schemaVersion) {
      throw new UnknownEventError(
        position,
        record.type,
        record.schemaVersion,
        `the code reads schema version ${info.schemaVersion} and no upcaster converts this one`,
      );
    }
    return Object.assign(Object.create(info.eventClass.prototype as object) as object, record.data);
  },
};
