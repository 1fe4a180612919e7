import { isDeepStrictEqual } from 'node:util';
import { writesOwn } from '../domain/aggregate-checks.js';
import { EventSourcedAggregate, stateOf } from '../domain/event-sourced-aggregate.js';
import { show } from './show.js';

/**
 * Snapshots a saved aggregate (one built from events), restores a new one of its class from
 * the snapshot as the store gives it back (through JSON), and compares every own state field
 * of the two, so that a field a hand-written `toSnapshot()` or `restore()` forgets fails a
 * test. For a class that writes them, a field the history leaves at its initial value
 * fails it too: the comparison could not tell whether the snapshot keeps it, so give events
 * that change every field. The default snapshot keeps every field, so for a class without
 * them only a difference fails, and adding a field asks for no new event in the spec.
 * @throws Error listing each field that differs (or, for hand-written snapshots, that no event changed)
 */
export function assertSnapshotRoundTrip(aggregate: EventSourcedAggregate): void {
  const aggregateClass = aggregate.constructor as new (id: string) => EventSourcedAggregate;
  const snapshot = aggregate.takeSnapshot();
  const restored = new aggregateClass(aggregate.id);
  restored.restoreSnapshot({ ...snapshot, state: JSON.parse(JSON.stringify(snapshot.state)) as typeof snapshot.state });

  const [before, after, initial] = [aggregate, restored, new aggregateClass(aggregate.id)].map(stateOf);
  const handWritten = writesOwn(aggregateClass, 'toSnapshot');
  const faults: string[] = [];
  for (const field of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!isDeepStrictEqual(after[field], before[field])) {
      faults.push(`${field} is ${show(before[field])}, restored ${show(after[field])}`);
    } else if (handWritten && isDeepStrictEqual(before[field], initial[field])) {
      faults.push(`${field} is still ${show(before[field])}, as on a new ${aggregateClass.name}: no event changed it`);
    }
  }
  if (faults.length > 0) {
    throw new Error(`${aggregateClass.name} does not come back from its snapshot as it was:\n  ${faults.join('\n  ')}`);
  }
}
