import { EventSourcedAggregate } from '#event-sourcing/domain';

class Bare extends EventSourcedAggregate {}

// What the base classes keep on every aggregate (id, versions, timestamps): bookkeeping the
// explorer shows apart. Taken from a saved bare aggregate, so that fields set only on save count too.
const BASE_FIELDS: ReadonlySet<string> = (() => {
  const bare = new Bare('');
  bare.markSaved(1, new Date(0));
  return new Set(Object.keys(bare));
})();

/**
 * An aggregate's state as JSON: its own fields (TypeScript-private ones too: what its
 * `on<Event>` handlers set), without the base classes' bookkeeping. Maps become objects
 * and Sets arrays, which JSON would otherwise turn into `{}`.
 */
export function aggregateState(aggregate: EventSourcedAggregate): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(aggregate)
      .filter(([field]) => !BASE_FIELDS.has(field))
      .map(([field, value]) => [field, toJson(value)]),
  );
}

function toJson(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, item]) => [String(key), toJson(item)]));
  if (value instanceof Set || Array.isArray(value)) return [...value].map(toJson);
  return value;
}
