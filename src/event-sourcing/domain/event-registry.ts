import type { PersonalFields } from './personal-fields.js';
import { UnreadableEventError } from './errors.js';

// Event classes are rebuilt from stored data without running their constructors.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventClass<E extends object = object> = abstract new (...args: any[]) => E;

/** Turns the data of one schema version of an event into the data of the next version. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/** Upcasters by the schema version they read: `{ 1: v1ToV2, 2: v2ToV3 }`. */
export type Upcasters = Readonly<Record<number, Upcaster>>;

export interface EventTypeInfo {
  type: string;
  /** The current schema version: the shape of the class's fields. */
  schemaVersion: number;
  eventClass: EventClass;
  /** Former names of the type, still found in stored events. */
  aliases?: readonly string[];
  upcasters?: Upcasters;
  /** Fields encrypted with the stream's data-subject key, and what each shows once erased. */
  personal?: PersonalFields;
}

/** What an append needs to know about an event besides its data. */
export interface EventRecord {
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
}

const byType = new Map<string, EventTypeInfo>();
const byAlias = new Map<string, EventTypeInfo>();
const byClass = new Map<EventClass, EventTypeInfo>();

function assertValid(info: EventTypeInfo): void {
  const { type, schemaVersion, upcasters = {}, aliases = [] } = info;
  if (!(Number.isInteger(schemaVersion) && schemaVersion >= 1)) {
    throw new Error(`Event type "${type}": schema version ${schemaVersion} is not a whole number >= 1`);
  }
  for (const key of Object.keys(upcasters)) {
    const from = Number(key);
    if (!(Number.isInteger(from) && from >= 1 && from < schemaVersion)) {
      throw new Error(`Event type "${type}": an upcaster reads version ${key}, not one of 1..${schemaVersion - 1}`);
    }
    // Each upcaster must lead on to the current version.
    for (let next = from + 1; next < schemaVersion; next++) {
      if (!upcasters[next]) throw new Error(`Event type "${type}": no upcaster reads version ${next}`);
    }
  }
  for (const alias of aliases) {
    const owner = byType.get(alias) ?? byAlias.get(alias);
    if (alias === type || (owner && owner.eventClass !== info.eventClass)) {
      throw new Error(`Event type "${type}": alias "${alias}" is already a name of ${owner?.type ?? type}`);
    }
  }
}

/**
 * The mapping between event classes and their stable stored names. Classes register
 * themselves with {@link DomainEvent}; class names never reach the database.
 */
export const EventRegistry = {
  register(info: EventTypeInfo): void {
    const existing = byType.get(info.type) ?? byAlias.get(info.type);
    if (existing && existing.eventClass !== info.eventClass) {
      throw new Error(
        `Event type "${info.type}" is registered twice: ${existing.eventClass.name} and ${info.eventClass.name}`,
      );
    }
    assertValid(info);
    byType.set(info.type, info);
    for (const alias of info.aliases ?? []) byAlias.set(alias, info);
    byClass.set(info.eventClass, info);
  },

  /** The type stored under `type`, its current name or one of its aliases. */
  lookup(type: string): EventTypeInfo | undefined {
    return byType.get(type) ?? byAlias.get(type);
  },

  /** Whether the class has a {@link DomainEvent} decorator. */
  isRegistered(eventClass: EventClass): boolean {
    return byClass.has(eventClass);
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

  /**
   * Rebuilds the event object of a stored record in the current shape (the stores
   * upcast what they read, see serialization/upcast.ts); `position` only names it in errors.
   * @throws UnreadableEventError for a type no class reads, or a schema version other than the current one
   */
  fromRecord(record: EventRecord, position: number): object {
    const info = this.lookup(record.type);
    if (!info)
      throw new UnreadableEventError(
        position,
        record.type,
        record.schemaVersion,
        'no class is registered for this type',
      );
    if (info.schemaVersion !== record.schemaVersion) {
      const reason =
        record.schemaVersion > info.schemaVersion
          ? `the code reads schema version ${info.schemaVersion}, older than this one`
          : `the code reads schema version ${info.schemaVersion} and no upcaster converts this one`;
      throw new UnreadableEventError(position, record.type, record.schemaVersion, reason);
    }
    return Object.assign(Object.create(info.eventClass.prototype as object) as object, record.data);
  },
};
