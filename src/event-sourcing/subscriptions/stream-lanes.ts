import type { StoredEvent } from '../store/event-store.js';

/**
 * Handles a batch's events up to `limit` at once: each stream's events in one lane, in log
 * order, and lanes side by side, taken up in the order of their first event. A process
 * manager's handlers mostly wait on the commands they send, so a follower that waits for
 * each one before the next is bound by one command's latency: under load it falls ever
 * further behind however idle the database is (issue 21's transfer process).
 *
 * `reached` is told each time the handled prefix of the batch grows, with the position of
 * its last event: the checkpoint can move there, and not past an event still in hand. When
 * `handle` throws, its lane stops, no lane starts, and those under way run to their end;
 * the batch then ends with the error of the earliest event that failed, and the prefix
 * stops before it. Events after it in other lanes may have been handled; they are handled
 * again after the retry: as with any follower outside a transaction, every effect must be
 * idempotent.
 */
export async function handleInStreamLanes(
  events: readonly StoredEvent[],
  limit: number,
  handle: (event: StoredEvent) => Promise<void>,
  reached: (position: number) => void,
): Promise<void> {
  const lanes = new Map<string, StoredEvent[]>();
  for (const event of events) {
    const lane = lanes.get(event.streamId);
    if (lane) lane.push(event);
    else lanes.set(event.streamId, [event]);
  }
  const waiting = [...lanes.values()];
  const handled = new Set<number>();
  let prefix = 0;
  let failure: { position: number; error: unknown } | undefined;

  const runLanes = async (): Promise<void> => {
    for (let lane = waiting.shift(); lane; lane = waiting.shift()) {
      for (const event of lane) {
        try {
          await handle(event);
        } catch (error) {
          if (failure === undefined || event.position < failure.position) failure = { position: event.position, error };
          waiting.length = 0;
          break;
        }
        handled.add(event.position);
        const before = prefix;
        while (prefix < events.length && handled.has(events[prefix].position)) prefix++;
        if (prefix > before) reached(events[prefix - 1].position);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, lanes.size) }, runLanes));
  if (failure !== undefined) throw failure.error;
}
