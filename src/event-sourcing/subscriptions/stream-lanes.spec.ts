import type { StoredEvent } from '../store/event-store.js';
import { handleInStreamLanes } from './stream-lanes.js';

/** Events at positions 1…, each of the stream its letter names: 'abca' is a1 b2 c3 a4. */
const log = (streams: string): StoredEvent[] =>
  [...streams].map((streamId, i) => ({ position: i + 1, streamId }) as StoredEvent);

/** A handler that waits until told, per position, and records what it saw. */
function heldHandler() {
  const waiting = new Map<number, { release(error?: Error): void }>();
  const started: number[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const handle = (event: StoredEvent) =>
    new Promise<void>((resolve, reject) => {
      started.push(event.position);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      waiting.set(event.position, {
        release: (error) => {
          inFlight--;
          if (error) reject(error);
          else resolve();
        },
      });
    });
  const release = async (position: number, error?: Error) => {
    // Lets the lanes go on to their next event before the test looks.
    for (let i = 0; i < 5 && !waiting.has(position); i++) await Promise.resolve();
    const held = waiting.get(position);
    if (!held) throw new Error(`position ${position} is not in hand (started: ${started.join(' ')})`);
    waiting.delete(position);
    held.release(error);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { handle, release, started, inHand: () => [...waiting.keys()], mostInFlight: () => mostInFlight };
}

describe('handleInStreamLanes', () => {
  it('handles up to the limit at once, each stream in log order, and reports the handled prefix', async () => {
    const handler = heldHandler();
    const reached: number[] = [];
    const done = handleInStreamLanes(log('abcab'), 2, handler.handle, (p) => reached.push(p));
    await Promise.resolve();
    // Two lanes at once: a's first and b's first; c waits for a free lane.
    expect(handler.inHand()).toEqual([1, 2]);
    await handler.release(2);
    // b's lane goes on to b5; the prefix cannot pass a1, still in hand.
    expect(handler.inHand()).toEqual([1, 5]);
    expect(reached).toEqual([]);
    await handler.release(1);
    expect(handler.inHand()).toEqual([5, 4]);
    expect(reached).toEqual([2]);
    await handler.release(4);
    await handler.release(5);
    expect(handler.inHand()).toEqual([3]);
    await handler.release(3);
    await done;
    expect(reached).toEqual([2, 5]);
    expect(handler.mostInFlight()).toBe(2);
    expect(handler.started).toEqual([1, 2, 5, 4, 3]);
  });

  it('ends with the earliest failure once the lanes under way are done, the prefix stopping before it', async () => {
    const handler = heldHandler();
    const reached: number[] = [];
    const done = handleInStreamLanes(log('abcdb'), 2, handler.handle, (p) => reached.push(p));
    const outcome = done.then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await handler.release(2, new Error('b2 failed'));
    // b's lane stops (b5 is never handled) and no new lane starts; a's goes on.
    expect(handler.inHand()).toEqual([1]);
    await handler.release(1);
    expect(await outcome).toBe('b2 failed');
    expect(reached).toEqual([1]);
    expect(handler.started).toEqual([1, 2]);
  });

  it('passes on the failure at the lower position when two lanes fail', async () => {
    const handler = heldHandler();
    const done = handleInStreamLanes(log('ab'), 2, handler.handle, () => undefined);
    const outcome = done.catch((error: Error) => error.message);
    await handler.release(2, new Error('at 2'));
    await handler.release(1, new Error('at 1'));
    expect(await outcome).toBe('at 1');
  });

  it('handles one stream one event at a time, whatever the limit', async () => {
    const handler = heldHandler();
    const done = handleInStreamLanes(log('aaa'), 4, handler.handle, () => undefined);
    for (const position of [1, 2, 3]) {
      await Promise.resolve();
      expect(handler.inHand()).toEqual([position]);
      await handler.release(position);
    }
    await done;
    expect(handler.mostInFlight()).toBe(1);
  });
});
