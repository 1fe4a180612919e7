import { newEvent } from '../../../test/support/event-store-contract.js';
import { InMemoryEventStore } from '../store/in-memory-event-store.js';
import type { StoredEvent } from '../store/event-store.js';
import { LogTail, type TailSink } from './log-tail.js';
import { LogWakeup } from './log-wakeup.js';

/** Keeps the positions it is sent, in order. */
class PositionsSink implements TailSink<number[]> {
  readonly positions: number[] = [];
  readonly closed: Promise<void>;
  open = true;
  private close!: () => void;

  constructor() {
    this.closed = new Promise((resolve) => (this.close = resolve));
  }

  async write(batch: number[]): Promise<void> {
    this.positions.push(...batch);
  }

  push(batch: number[]): void {
    this.positions.push(...batch);
  }

  stop(): void {
    this.open = false;
    this.close();
  }
}

const positionsOf = (events: StoredEvent[]) => events.map((event) => event.position);
const range = (after: number, last: number) => Array.from({ length: last - after }, (_, i) => after + 1 + i);

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let tries = 0; !check(); tries++) {
    if (tries > 1_000) throw new Error(`Gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let store: InMemoryEventStore;
let wakeup: LogWakeup;
let tail: LogTail<number[]>;
let reads: number;
const sinks: PositionsSink[] = [];

/** Appends `count` events; with `wake`, as a repository does, tells the log's readers. */
async function append(count: number, wake = true): Promise<number> {
  const { position } = await store.append({
    streamId: 'thing-1',
    streamType: 'Thing',
    expectedVersion: 'any',
    events: Array.from({ length: count }, (_, n) => newEvent('Happened', { n })),
  });
  if (wake) wakeup.appended();
  return position;
}

function follow(after: number): PositionsSink {
  const sink = new PositionsSink();
  sinks.push(sink);
  void tail.follow(after, sink);
  return sink;
}

beforeEach(() => {
  store = new InMemoryEventStore();
  const readLog = store.readLog.bind(store);
  reads = 0;
  store.readLog = (after, limit) => {
    reads++;
    return readLog(after, limit);
  };
  wakeup = new LogWakeup();
  tail = new LogTail(store, wakeup, positionsOf);
});
afterEach(async () => {
  for (const sink of sinks.splice(0)) sink.stop();
  await tail.stop();
});

describe('LogTail', () => {
  it('feeds every follower from one read per new batch, not one read per follower', async () => {
    const head = await append(3);
    const followers = Array.from({ length: 50 }, () => follow(head));
    await eventually(() => tail.following === followers.length, 'every follower to join the tail');

    reads = 0;
    const last = await append(1);
    await eventually(() => followers.every((sink) => sink.positions.includes(last)), 'the event to reach everyone');
    expect(reads).toBeLessThan(5);
    for (const sink of followers) expect(sink.positions).toEqual([last]);
  });

  it('lets a follower that starts behind catch up on its own pages, then join without gap or duplicate', async () => {
    await append(250);
    const live = follow(250);
    await eventually(() => tail.following === 1, 'the first follower to start the tail');
    // Visible to readers, but the tail is not told: a newcomer reads past the tail's position.
    const unannounced = await append(30, false);
    const behind = [follow(0), follow(120), follow(260)];
    await eventually(() => tail.following === 4, 'the newcomers to join');
    const last = await append(5);
    await eventually(() => [live, ...behind].every((sink) => sink.positions.at(-1) === last), 'everyone at the end');

    expect(unannounced).toBe(280);
    expect(live.positions).toEqual(range(250, last));
    expect(behind.map((sink) => sink.positions)).toEqual([range(0, last), range(120, last), range(260, last)]);
  });

  it('delivers every event exactly once, in order, to followers joining while the log grows', async () => {
    const followers: { after: number; sink: PositionsSink }[] = [];
    let last = 0;
    for (let round = 0; round < 40; round++) {
      last = await append(1 + (round % 7));
      if (round % 5 === 0) followers.push({ after: Math.floor(last / 2), sink: follow(Math.floor(last / 2)) });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await eventually(() => followers.every(({ sink }) => sink.positions.at(-1) === last), 'everyone at the end');
    for (const { after, sink } of followers) expect(sink.positions).toEqual(range(after, last));
  });

  it('stops its loop when the last follower leaves, and starts it again for the next one', async () => {
    const first = follow(await append(1));
    await eventually(() => tail.following === 1, 'the follower to join');
    first.stop();
    await eventually(() => tail.following === 0, 'the follower to leave');

    const next = follow(0);
    const last = await append(2);
    await eventually(() => next.positions.at(-1) === last, 'the next follower to get the new events');
    expect(next.positions).toEqual(range(0, last));
  });
});
