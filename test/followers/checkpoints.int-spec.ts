import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, type Provider } from '@nestjs/common';
import { Follower, Handles, type FollowerContext } from '#event-sourcing';
import {
  INSTANCE,
  Noted,
  appendNoted,
  checkpointOf,
  deferred,
  followerDatabase,
  logPositions,
  positionOf,
  recordSeen,
  seenView,
  seenPositions,
  startApp,
  storedFollower,
  waitForHead,
  waitUntil,
  within,
  type FollowerApp,
  type FollowerDatabase,
} from './followers-harness.js';

const EARLY = 'test-follower-early';
const LATE = 'test-follower-late';
const WATCHER = 'test-follower-watcher';
const EFFECTS = 'test-follower-effects';
const COUNTED = 'test-follower-counted';
const LANES = 'test-follower-lanes';

const EarlyView = seenView(EARLY);

const LateView = seenView(LATE);

const Watcher = seenView(WATCHER);

/** Holds the handler at note `n` until released. */
const gate = { n: -1, reached: deferred(), released: deferred() };

/** Non-transactional: stores, per event, the checkpoint it finds when the event is handled. */
@Follower(EFFECTS, { transactional: false })
class EffectsFollower {
  constructor(@Inject(INSTANCE) private readonly instance: string) {}

  @Handles(Noted)
  async noted(event: Noted, { envelope, manager }: FollowerContext): Promise<void> {
    if (event.n === gate.n) {
      gate.reached.resolve();
      await gate.released.promise;
    }
    const [{ position }] = await manager.query('SELECT position FROM followers WHERE name = $1', [EFFECTS]);
    await recordSeen(manager, EFFECTS, envelope, this.instance, Number(position));
  }
}

/** Non-transactional: counts the events handed to it, and stores nothing. */
const counted = { calls: 0 };
@Follower(COUNTED, { transactional: false })
class CountedFollower {
  @Handles(Noted)
  noted(): void {
    counted.calls++;
  }
}

/** Non-transactional, 4 events at once: notes what it handles; holds note `holdAt` until released, fails at `failAt`. */
const freshLanes = () => ({
  holdAt: -1,
  held: deferred(),
  released: deferred(),
  failAt: -1,
  inFlight: 0,
  mostInFlight: 0,
  /** Each event's note, stream and position, in the order their handling ended well. */
  handled: [] as { n: number; streamId: string; position: number }[],
});
let lanes = freshLanes();
@Follower(LANES, { transactional: false, concurrency: 4 })
class LanesFollower {
  @Handles(Noted)
  async noted(event: Noted, { envelope }: FollowerContext): Promise<void> {
    lanes.mostInFlight = Math.max(lanes.mostInFlight, ++lanes.inFlight);
    try {
      if (event.n === lanes.holdAt) {
        lanes.held.resolve();
        await lanes.released.promise;
      }
      // Gives the other lanes a turn, as a command's round trip would.
      await sleep(1);
      if (event.n === lanes.failAt) throw new Error(`note ${event.n} fails`);
      lanes.handled.push({ n: event.n, streamId: envelope.streamId, position: envelope.position });
    } finally {
      lanes.inFlight--;
    }
  }
}

let db: FollowerDatabase;
const apps: FollowerApp[] = [];
const start = async (followers: Provider[], options?: Parameters<typeof startApp>[2]) => {
  const app = await startApp(db.url, followers, options);
  apps.push(app);
  return app;
};
const stop = async (app: FollowerApp) => {
  apps.splice(apps.indexOf(app), 1);
  await app.close();
};

beforeEach(async () => {
  db = await followerDatabase();
});
afterEach(async () => {
  gate.released.resolve();
  lanes.released.resolve();
  for (const app of apps.splice(0)) await app.close();
  await db.drop();
});

/** Appends notes `from` to `from + count - 1`, four events per append (and stream). */
async function appendMany(store: FollowerDatabase['store'] | FollowerApp['store'], from: number, count: number) {
  for (let n = from; n < from + count; n += 4) await appendNoted(store, n, Math.min(4, from + count - n));
}

describe('a follower added later', () => {
  it('starts at position 0, catches up on the whole history in order, then follows new events live', async () => {
    await appendMany(db.store, 1, 60);
    const first = await start([EarlyView]);
    await waitForHead(db.pool, EARLY);
    await stop(first);
    expect(await storedFollower(db.pool, LATE)).toBeUndefined();

    // More history, then the app comes back with a new follower: more than two batches behind.
    await appendMany(db.store, 61, 70);
    const history = await logPositions(db.pool);
    expect(history).toHaveLength(130);
    const app = await start([EarlyView, LateView]);
    await waitForHead(db.pool, LATE);
    expect(await seenPositions(db.pool, LATE)).toEqual(history);
    expect(await seenPositions(db.pool, EARLY)).toEqual(history);

    // Live: appended after the start, one at a time, through the app's own store.
    for (let n = 131; n <= 135; n++) await appendNoted(app.store, n, 1);
    const log = await logPositions(db.pool);
    expect(log).toHaveLength(135);
    await waitForHead(db.pool, LATE);
    await waitForHead(db.pool, EARLY);
    expect(await seenPositions(db.pool, LATE)).toEqual(log);
    expect(await seenPositions(db.pool, EARLY)).toEqual(log);
    for (const name of [EARLY, LATE]) {
      expect(await app.status(name)).toMatchObject({
        checkpoint: log.at(-1),
        lagPositions: 0,
        status: 'live',
        lastError: null,
        runningHere: true,
      });
    }
  });
});

describe('events appended by another process', () => {
  it('reach a follower running in another app instance', async () => {
    const follower = await start([Watcher], { instance: 'follower' });
    // An instance of the same service that runs no followers, and writes.
    const writer = await start([Watcher], { instance: 'writer', enabled: false });

    const fromWriter = await appendNoted(writer.store, 1, 2);
    await waitUntil(
      'the events appended by the writer instance to be handled',
      () => seenPositions(db.pool, WATCHER),
      (seen) => seen.length === 2,
    );
    // And a write from outside any app, which sends no notification at all.
    const [fromOutside] = await appendNoted(db.store, 3, 1);
    await waitForHead(db.pool, WATCHER);

    const { rows } = await db.pool.query('SELECT event_id, handled_by FROM seen WHERE follower = $1 ORDER BY seq', [
      WATCHER,
    ]);
    expect(rows).toEqual([...fromWriter, fromOutside].map((id) => ({ event_id: id, handled_by: 'follower' })));
    expect(await seenPositions(db.pool, WATCHER)).toEqual(await logPositions(db.pool));
    expect(await follower.status(WATCHER)).toMatchObject({ runningHere: true, status: 'live', lastError: null });
    expect(await writer.status(WATCHER)).toMatchObject({ runningHere: false, status: 'live', lastError: null });
  });
});

describe('a non-transactional follower', () => {
  it('moves its checkpoint after each event, and continues from it after a stop mid-way', async () => {
    await appendMany(db.store, 1, 120);
    gate.n = 30;
    gate.reached = deferred();
    gate.released = deferred();

    const first = await start([EffectsFollower], { instance: 'first' });
    await within('the handler to reach note 30', gate.reached.promise);
    // Mid-batch (notes 1-50): the checkpoint already sits right after note 29.
    const at29 = await positionOf(db.pool, 29);
    expect(await checkpointOf(db.pool, EFFECTS)).toBe(at29);
    expect(await seenPositions(db.pool, EFFECTS)).toEqual((await logPositions(db.pool)).filter((p) => p <= at29));

    const closing = stop(first);
    gate.released.resolve();
    await closing;
    gate.n = -1;
    const stoppedAt = await checkpointOf(db.pool, EFFECTS);
    const history = await logPositions(db.pool);
    expect(stoppedAt).toBeGreaterThanOrEqual(await positionOf(db.pool, 30));
    expect(stoppedAt).toBeLessThan(history.at(-1)!);
    expect(await seenPositions(db.pool, EFFECTS)).toEqual(history.filter((p) => p <= stoppedAt));

    // Events while no instance runs it; then a new app picks up at the stored checkpoint.
    await appendMany(db.store, 121, 10);
    await start([EffectsFollower], { instance: 'second' });
    await waitForHead(db.pool, EFFECTS);

    const log = await logPositions(db.pool);
    const { rows } = await db.pool.query(
      'SELECT position, handled_by, checkpoint_then FROM seen WHERE follower = $1 ORDER BY seq',
      [EFFECTS],
    );
    // Every event once, in order; each handled with the checkpoint at the event before it.
    expect(rows.map((row) => Number(row.position))).toEqual(log);
    expect(rows.map((row) => Number(row.checkpoint_then))).toEqual([0, ...log.slice(0, -1)]);
    expect(rows.map((row) => row.handled_by)).toEqual(log.map((p) => (p <= stoppedAt ? 'first' : 'second')));
    expect(await storedFollower(db.pool, EFFECTS)).toEqual({ position: log.at(-1), lastError: null });
  });
});

describe('a non-transactional follower with concurrency', () => {
  beforeEach(() => {
    lanes = freshLanes();
  });

  /** Each stream's notes in the order they were handled. */
  const byStream = () => {
    const streams = new Map<string, number[]>();
    for (const { streamId, n } of lanes.handled) streams.set(streamId, [...(streams.get(streamId) ?? []), n]);
    return streams;
  };

  it('handles other streams while one event is in hand, each stream in order, and moves the checkpoint only up to it', async () => {
    // 30 streams of 4 notes: notes 1-4 are the first stream's.
    await appendMany(db.store, 1, 120);
    lanes.holdAt = 2;
    await start([LanesFollower]);
    await within('the handler to reach note 2', lanes.held.promise);

    // The batch (notes 1-50) goes on in the other lanes: one at a time, it would wait here.
    await waitUntil(
      "the batch's other streams to be handled",
      async () => lanes.handled.length,
      (handled) => handled >= 40,
    );
    expect(lanes.handled.map(({ n }) => n)).not.toEqual(expect.arrayContaining([2, 3, 4]));
    expect(await checkpointOf(db.pool, LANES)).toBeLessThan(await positionOf(db.pool, 2));

    lanes.released.resolve();
    await waitForHead(db.pool, LANES);
    const log = await logPositions(db.pool);
    expect(lanes.handled.map(({ position }) => position).sort((a, b) => a - b)).toEqual(log);
    for (const notes of byStream().values()) expect(notes).toEqual([...notes].sort((a, b) => a - b));
    expect(lanes.mostInFlight).toBe(4);
    expect(await storedFollower(db.pool, LANES)).toEqual({ position: log.at(-1), lastError: null });
  });

  it('has no more events in hand at once than three quarters of the database pool, so that requests still find a connection', async () => {
    await appendMany(db.store, 1, 120);
    await start([LanesFollower], { poolSize: 3 });
    await waitForHead(db.pool, LANES);
    expect(lanes.handled).toHaveLength(120);
    expect(lanes.mostInFlight).toBe(2);
  });

  it('stops right before an event that fails, and goes on from there once it is handled', async () => {
    // Notes 5-8 are the second stream's.
    await appendMany(db.store, 1, 40);
    lanes.failAt = 6;
    const app = await start([LanesFollower]);
    const [at5, at6] = [await positionOf(db.pool, 5), await positionOf(db.pool, 6)];
    await waitUntil(
      'the follower to stop at note 6',
      () => storedFollower(db.pool, LANES),
      (stored) => stored?.lastError?.position === at6,
    );
    // However often it retries, the checkpoint stays right before the failing event.
    expect(await checkpointOf(db.pool, LANES)).toBe(at5);
    expect((await app.status(LANES)).lastError).toMatchObject({ position: at6, message: 'note 6 fails' });

    lanes.failAt = -1;
    await waitForHead(db.pool, LANES);
    const log = await logPositions(db.pool);
    expect([...new Set(lanes.handled.map(({ position }) => position))].sort((a, b) => a - b)).toEqual(log);
    // Other streams' events handled before a retry may come again; a stream's, never out of order.
    for (const notes of byStream().values()) {
      const firstTimes = notes.filter((n, i) => notes.indexOf(n) === i);
      expect(firstTimes).toEqual([...firstTimes].sort((a, b) => a - b));
    }
    // Below the checkpoint, nothing comes again.
    expect(
      lanes.handled
        .filter(({ n }) => n <= 5)
        .map(({ n }) => n)
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5]);
    expect(await storedFollower(db.pool, LANES)).toEqual({ position: log.at(-1), lastError: null });
  });
});

describe('a follower whose checkpoint is gone', () => {
  it('handles nothing until the checkpoint is back, then goes on from it', async () => {
    counted.calls = 0;
    await appendMany(db.store, 1, 4);
    await start([CountedFollower]);
    const handled = await waitForHead(db.pool, COUNTED);
    expect(counted.calls).toBe(4);

    await db.pool.query('DELETE FROM followers WHERE name = $1', [COUNTED]);
    await appendMany(db.store, 5, 4);
    // Some polls (every 100 ms) and retries: none may start again from position 0.
    await sleep(600);
    expect(counted.calls).toBe(4);
    expect(await storedFollower(db.pool, COUNTED)).toBeUndefined();

    await db.pool.query('INSERT INTO followers (name, position) VALUES ($1, $2)', [COUNTED, handled]);
    await waitForHead(db.pool, COUNTED);
    expect(counted.calls).toBe(8);
  });
});
