/**
 * `#event-sourcing/domain`: what a bounded context's `domain/` layer may use. Nothing here
 * touches Nest's HTTP layer, TypeORM, pg, a clock or an id generator, so an aggregate and
 * its events stay plain, testable classes.
 */

/** Base class of event-sourced aggregates: `apply(event)`, `version`, loading from history and snapshots. */
export { EventSourcedAggregate } from './event-sourced-aggregate.js';
/** Marks the method of an aggregate that applies one event class: `@Applies(MoneyDeposited)`. */
export { Applies } from './applies.decorator.js';
/** An aggregate's own fields, without the base class's bookkeeping: what its default snapshot holds. */
export { stateOf } from './event-sourced-aggregate.js';
/** How an aggregate type declares snapshots (`static snapshots`), and what a snapshot holds. */
export type { AggregateSnapshot, HistoricEvent, SnapshotSettings } from './event-sourced-aggregate.js';
/** Marks a class as a domain event stored under a stable type name; its options (version, upcasters, aliases, personal fields). */
export { DomainEvent, type DomainEventOptions } from './domain-event.decorator.js';
/** Converters of older schema versions of an event's data, for `@DomainEvent({ upcasters })`; an event class, as `static events` lists it. */
export type { EventClass, Upcaster, Upcasters } from './event-registry.js';
/** Personal fields of an event or snapshot, with what each reads once its subject is erased. */
export type { PersonalFields } from './personal-fields.js';
/**
 * A refusal the domain expects (a 422 with a stable code), one that holds only for now (a
 * 409), and the store's errors a domain may name.
 */
export {
  AggregateNotFoundError,
  ConcurrencyError,
  DomainConflict,
  DomainRuleViolation,
  IdempotencyKeyReusedError,
  UnreadableEventError,
} from './errors.js';
