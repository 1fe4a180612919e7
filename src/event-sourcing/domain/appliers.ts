import type { EventClass } from './event-registry.js';

/** The method of an aggregate class that applies one event class, and the class that declared it. */
export interface Applier {
  readonly method: string | symbol;
  readonly declaredBy: abstract new (...args: never[]) => object;
}

// A static property of each aggregate class that declares appliers; a subclass's table starts
// as a copy of its parent's, and static inheritance makes the nearest table the one found.
const APPLIERS = Symbol('appliers');

type WithAppliers = abstract new (...args: never[]) => object;
type Table = Map<EventClass, Applier>;

function tableOf(aggregateClass: WithAppliers): Table | undefined {
  return (aggregateClass as unknown as { [APPLIERS]?: Table })[APPLIERS];
}

/**
 * Records that `method` of `aggregateClass` applies `eventClass` (see {@link Applies}).
 * @throws Error when the class declared another applier of that event already
 */
export function bindApplier(aggregateClass: WithAppliers, eventClass: EventClass, method: string | symbol): void {
  let table = tableOf(aggregateClass);
  if (!Object.hasOwn(aggregateClass, APPLIERS)) {
    table = new Map(table);
    Object.defineProperty(aggregateClass, APPLIERS, { value: table });
  }
  const existing = table!.get(eventClass);
  if (existing?.declaredBy === aggregateClass) {
    throw new Error(
      `${aggregateClass.name} has two appliers of ${eventClass.name}: ${String(existing.method)} and ${String(method)}`,
    );
  }
  table!.set(eventClass, { method, declaredBy: aggregateClass });
}

/** The applier of an event class in an aggregate class (its own or inherited), if it has one. */
export function applierOf(aggregateClass: WithAppliers, eventClass: EventClass): Applier | undefined {
  return tableOf(aggregateClass)?.get(eventClass);
}

/** Every event class an aggregate class has an applier of. */
export function appliedEvents(aggregateClass: WithAppliers): EventClass[] {
  return [...(tableOf(aggregateClass)?.keys() ?? [])];
}
