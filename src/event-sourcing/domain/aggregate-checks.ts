import { appliedEvents, applierOf } from './appliers.js';
import { EventRegistry, type EventClass } from './event-registry.js';
import { EventSourcedAggregate } from './event-sourced-aggregate.js';

/**
 * What the check reads of an aggregate class; `events` lists every event class of its stream
 * (those its commands decide, and those its stream still holds but it no longer decides).
 */
type CheckedClass = (abstract new (id: string) => EventSourcedAggregate) & { readonly events?: readonly EventClass[] };

type SnapshotMethod = 'toSnapshot' | 'restore';

/**
 * Whether the class writes its own `toSnapshot()` or `restore()` instead of the default,
 * which stores and gives back its own fields. (The start-up check makes it both or neither.)
 */
export function writesOwn(
  aggregateClass: abstract new (id: string) => EventSourcedAggregate,
  method: SnapshotMethod,
): boolean {
  return Reflect.get(aggregateClass.prototype, method) !== Reflect.get(EventSourcedAggregate.prototype, method);
}

/**
 * The start-up check of an aggregate class (`EventSourcingModule.forFeature` runs it on each,
 * `given` in specs too): its `static events` names every event class it applies, each with
 * exactly one `@Applies` method, so no event it decides can be applied without an applier;
 * and it writes both `toSnapshot()` and `restore()`, or neither. (`@Applies` itself refuses a
 * class without `@DomainEvent` and a second applier of one event, when the class is defined.)
 * @throws Error naming the aggregate and the event or method at fault
 */
export function assertAggregateClass(aggregateClass: CheckedClass): void {
  const name = aggregateClass.name;
  const listed = aggregateClass.events ?? [];
  if (listed.length === 0) {
    throw new Error(
      `${name} lists no events: declare static readonly events = [...] with every event class of its stream`,
    );
  }
  listed.forEach((eventClass: EventClass | undefined, i) => {
    if (typeof eventClass !== 'function') {
      throw new Error(`${name}.events[${i}] is ${String(eventClass)}: is there an import cycle?`);
    }
    if (!EventRegistry.isRegistered(eventClass)) {
      throw new Error(
        `${name}.events lists ${eventClass.name}, which is not an event (it has no @DomainEvent decorator)`,
      );
    }
    if (!applierOf(aggregateClass, eventClass)) {
      throw new Error(
        `${name} decides ${eventClass.name} but has no applier of it: mark one method @Applies(${eventClass.name})`,
      );
    }
  });
  for (const eventClass of appliedEvents(aggregateClass)) {
    if (!listed.includes(eventClass)) {
      throw new Error(
        `${name} applies ${eventClass.name} (${String(applierOf(aggregateClass, eventClass)!.method)}) but does not list it in ${name}.events`,
      );
    }
  }
  const writes = (method: SnapshotMethod) => writesOwn(aggregateClass, method);
  if (writes('toSnapshot') !== writes('restore')) {
    const [written, missing] = writes('toSnapshot') ? ['toSnapshot', 'restore'] : ['restore', 'toSnapshot'];
    throw new Error(
      `${name} writes ${written}() but not ${missing}(): write both, or neither for the default snapshot`,
    );
  }
}
