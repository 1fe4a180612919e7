import { applierOf } from './appliers.js';
import type { EventClass } from './event-registry.js';
import type { PersonalFields } from './personal-fields.js';
import { decodeValue, encodeValue, UnstorableValueError } from './snapshot-values.js';

/** A stored event as the aggregate sees it while rebuilding: the event object and when it was recorded. */
export interface HistoricEvent {
  event: object;
  version: number;
  recordedAt: Date;
}

/**
 * How an aggregate type takes part in snapshots, declared as a static `snapshots` on the
 * class. The snapshot holds the aggregate's own fields unless the class writes
 * `toSnapshot()` and `restore(state)` by hand.
 */
export interface SnapshotSettings {
  /**
   * The shape of the snapshot's state: raise it when a field is added, removed or changes
   * type, and older snapshots are ignored.
   */
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

type Fields = Record<string | symbol, unknown>;

// The base class keeps its bookkeeping in #private fields, which Object.keys never lists:
// of its own, only `id` is among an aggregate's fields.
const stateFields = (aggregate: EventSourcedAggregate): string[] =>
  Object.keys(aggregate).filter((field) => field !== 'id');

/**
 * An aggregate's state: its own fields (TypeScript-private ones too: everything its appliers
 * set), without the base class's id, versions, timestamps and pending events.
 */
export function stateOf(aggregate: EventSourcedAggregate): Record<string, unknown> {
  return Object.fromEntries(stateFields(aggregate).map((field) => [field, (aggregate as unknown as Fields)[field]]));
}

/**
 * Base class of event-sourced aggregates: state changes only through `apply(event)`;
 * command methods check the rules and apply new events; loading replays history.
 *
 * - **Appliers** are methods marked `@Applies(EventClass)`: bound by the event's class, never
 *   by a method or type name. `apply` of an event without one throws, so no event is ever
 *   dropped. `static events` lists every event class of the aggregate's stream (the events it
 *   decides, and any its stream still holds), and `EventSourcingModule.forFeature` checks at
 *   start that each has exactly one applier and every applier's event is listed (see
 *   `assertAggregateClass` in `#event-sourcing/testing`, which `given` runs in specs too).
 * - **Snapshots** (a type with `static snapshots`) hold the aggregate's own fields by default:
 *   plain JSON values, arrays and plain objects, Maps, Sets and Dates. A field of another
 *   class needs `toSnapshot()` and `restore(state)` written by hand (both), the exception;
 *   `assertSnapshotRoundTrip` in `#event-sourcing/testing` catches a field they forget.
 *
 * ```ts
 * export class Account extends EventSourcedAggregate {
 *   static readonly streamType = 'Account';
 *   static readonly events = [AccountOpened, MoneyDeposited];
 *   balance = 0;
 *
 *   deposit(amount: number): void {
 *     if (amount <= 0) throw new InvalidAmount(amount);
 *     this.apply(new MoneyDeposited(amount));
 *   }
 *
 *   @Applies(MoneyDeposited)
 *   onMoneyDeposited(event: MoneyDeposited): void {
 *     this.balance += event.amount;
 *   }
 *   ...
 * }
 * ```
 */
export abstract class EventSourcedAggregate {
  /** The version the store holds; new events are appended after it. */
  #storedVersion = 0;
  #firstRecordedAt?: Date;
  #lastRecordedAt?: Date;
  /** Events applied since the last save. */
  readonly #pending: object[] = [];

  constructor(readonly id: string) {}

  /** The version including events applied but not yet saved. */
  get version(): number {
    return this.#storedVersion + this.#pending.length;
  }

  get persistedVersion(): number {
    return this.#storedVersion;
  }

  /** When the first event was recorded (undefined before the first save). */
  get createdAt(): Date | undefined {
    return this.#firstRecordedAt;
  }

  /** When the newest stored event was recorded. */
  get updatedAt(): Date | undefined {
    return this.#lastRecordedAt;
  }

  /**
   * Applies a new event: its applier changes the state, and the event waits to be saved.
   * @throws Error when the class has no applier of the event's class (nothing changes)
   */
  apply(event: object): void {
    this.#applyToState(event);
    this.#pending.push(event);
  }

  /** The events applied since the last save, in order. */
  getUncommittedEvents(): readonly object[] {
    return this.#pending;
  }

  /** Replays stored events; they must follow the current version without a gap. */
  replay(history: Iterable<HistoricEvent>): void {
    for (const { event, version, recordedAt } of history) {
      if (version !== this.#storedVersion + 1) {
        throw new Error(
          `${this.constructor.name} ${this.id}: expected event version ${this.#storedVersion + 1}, got ${version}`,
        );
      }
      this.#applyToState(event);
      this.#markStored(version, recordedAt);
    }
  }

  /** The stored state as a snapshot; throws with events not yet saved. */
  takeSnapshot(): AggregateSnapshot {
    if (this.#pending.length > 0 || !this.#firstRecordedAt || !this.#lastRecordedAt) {
      throw new Error(`${this.constructor.name} ${this.id}: only a saved aggregate can be snapshotted`);
    }
    return {
      version: this.#storedVersion,
      createdAt: this.#firstRecordedAt,
      updatedAt: this.#lastRecordedAt,
      state: this.toSnapshot(),
    };
  }

  /** Starts a new, empty aggregate from a snapshot; events after it are then {@link replay}ed. */
  restoreSnapshot(snapshot: AggregateSnapshot): void {
    if (this.#storedVersion !== 0 || this.#pending.length > 0) {
      throw new Error(`${this.constructor.name} ${this.id}: a snapshot restores only a new aggregate`);
    }
    this.restore(snapshot.state);
    this.#storedVersion = snapshot.version;
    this.#firstRecordedAt = snapshot.createdAt;
    this.#lastRecordedAt = snapshot.updatedAt;
  }

  /**
   * The aggregate's state as plain JSON, sharing nothing with it. By default every own field
   * (see {@link stateOf}), Maps, Sets and Dates tagged so that {@link restore} gives them back;
   * override both methods, as the exception, for state the default cannot store.
   * @throws Error naming a field that holds an instance of another class, a function or a non-finite number
   */
  protected toSnapshot(): Record<string, unknown> {
    const state: Record<string, unknown> = {};
    for (const field of stateFields(this)) {
      try {
        state[field] = encodeValue((this as unknown as Fields)[field]);
      } catch (error) {
        if (!(error instanceof UnstorableValueError)) throw error;
        throw new Error(
          `${this.constructor.name}.${field} holds ${error.message}, which the default snapshot cannot store: write toSnapshot() and restore()`,
          { cause: error },
        );
      }
    }
    return state;
  }

  /**
   * Sets the state {@link toSnapshot} returned (in the current snapshot version) on a new
   * aggregate, building every value anew.
   * @throws Error when the state lacks a field the class has: it was taken before the field
   * existed, and `snapshots.version` should have been raised
   */
  protected restore(state: Record<string, unknown>): void {
    const missing = stateFields(this).filter((field) => !Object.hasOwn(state, field));
    if (missing.length > 0) {
      throw new Error(
        `${this.constructor.name} ${this.id}: the snapshot has no ${missing.join(', ')}, so it is older than ` +
          `these fields: raise ${this.constructor.name}.snapshots.version`,
      );
    }
    for (const field of Object.keys(state)) (this as unknown as Fields)[field] = decodeValue(state[field]);
  }

  /** Called by the repository once the pending events are committed. */
  markSaved(version: number, recordedAt: Date): void {
    this.#pending.length = 0;
    this.#markStored(version, recordedAt);
  }

  #applyToState(event: object): void {
    const applier = applierOf(this.constructor as typeof EventSourcedAggregate, event.constructor as EventClass);
    if (!applier) {
      const eventClass = event.constructor.name;
      throw new Error(
        `${this.constructor.name} has no applier of ${eventClass}: mark the method that applies it @Applies(${eventClass})`,
      );
    }
    (this as unknown as Record<string | symbol, (event: object) => void>)[applier.method](event);
  }

  #markStored(version: number, recordedAt: Date): void {
    this.#storedVersion = version;
    this.#firstRecordedAt ??= recordedAt;
    this.#lastRecordedAt = recordedAt;
  }
}
