import { stateOf, type EventSourcedAggregate } from '#event-sourcing/domain';

/**
 * An aggregate's state as JSON: its own fields (TypeScript-private ones too: what its
 * appliers set), without the base class's bookkeeping. Maps become objects and Sets arrays,
 * which JSON would otherwise turn into `{}`.
 */
export function aggregateState(aggregate: EventSourcedAggregate): Record<string, unknown> {
  return Object.fromEntries(Object.entries(stateOf(aggregate)).map(([field, value]) => [field, toJson(value)]));
}

function toJson(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, item]) => [String(key), toJson(item)]));
  if (value instanceof Set || Array.isArray(value)) return [...value].map(toJson);
  return value;
}
