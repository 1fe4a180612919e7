import { Inject } from '@nestjs/common';
import { Follower, HandlesBatches, type BatchEvent, type FollowerBatchContext } from '#event-sourcing';
import {
  INSTANCE,
  NOTED,
  Noted,
  appendNoted,
  deferred,
  followerDatabase,
  logPositions,
  positionOf,
  seenPositions,
  startApp,
  storedFollower,
  waitForHead,
  waitUntil,
  within,
  type FollowerApp,
  type FollowerDatabase,
} from './followers-harness.js';

const BATCHED = 'test-follower-batched';

/** What the batch handler is doing: how many events each call got, where it waits, where it throws. */
const handler = {
  calls: [] as number[],
  gate: { n: -1, reached: deferred(), released: deferred() },
  poison: true,
  poisonAttempts: 0,
};

/**
 * A transactional follower that takes the log a batch at a time: one INSERT of the whole
 * batch into `seen` (the primary key fails on an event applied twice), then, on a gated
 * note, waits; on a poisoned one (while `handler.poison`), throws after that INSERT.
 */
@Follower(BATCHED, { tables: ['seen'] })
class BatchedView {
  constructor(@Inject(INSTANCE) private readonly instance: string) {}

  @HandlesBatches(Noted)
  async noted(events: BatchEvent<Noted>[], { manager }: FollowerBatchContext): Promise<void> {
    handler.calls.push(events.length);
    await manager.query(
      `INSERT INTO seen (follower, event_id, position, handled_by)
       SELECT $1, unnest($2::uuid[]), unnest($3::bigint[]), $4`,
      [BATCHED, events.map((e) => e.envelope.id), events.map((e) => e.envelope.position), this.instance],
    );
    if (events.some(({ event }) => event.n === handler.gate.n)) {
      handler.gate.reached.resolve();
      await handler.gate.released.promise;
    }
    const poisoned = events.find(({ event }) => event.poison);
    if (poisoned) {
      handler.poisonAttempts++;
      if (handler.poison) throw new Error(`cannot handle note ${poisoned.event.n}`);
    }
  }
}

let db: FollowerDatabase;
const apps: FollowerApp[] = [];
const start = async () => {
  const app = await startApp(db.url, [BatchedView]);
  apps.push(app);
  return app;
};

beforeEach(async () => {
  db = await followerDatabase();
  handler.calls = [];
  handler.gate = { n: -1, reached: deferred(), released: deferred() };
  handler.poison = true;
  handler.poisonAttempts = 0;
});
afterEach(async () => {
  handler.gate.released.resolve();
  for (const app of apps.splice(0)) await app.close();
  await db.drop();
});

describe('a transactional follower with a batch handler', () => {
  it('gets whole batches, and its writes become visible together with the checkpoint', async () => {
    // Notes 1-60 before the start: a batch of 50 (the harness's batch size), then 10.
    for (let n = 1; n <= 60; n += 10) await appendNoted(db.store, n, 10);
    handler.gate.n = 60;
    await start();
    await within('the second batch to reach note 60', handler.gate.reached.promise);

    // The second batch wrote its rows but has not committed: neither they nor its checkpoint show.
    const log = await logPositions(db.pool);
    const first = log.slice(0, 50);
    expect(handler.calls).toEqual([50, 10]);
    expect(await seenPositions(db.pool, BATCHED)).toEqual(first);
    expect(await storedFollower(db.pool, BATCHED)).toEqual({ position: first.at(-1), lastError: null });

    handler.gate.released.resolve();
    await waitForHead(db.pool, BATCHED);
    expect(await seenPositions(db.pool, BATCHED)).toEqual(log);
  });

  it('rolls a failing batch back whole, stops right before the failing event, and resumes once fixed', async () => {
    await appendNoted(db.store, 1, 10, (n) => n === 7);
    const app = await start();
    const beforePoison = await positionOf(db.pool, 6);

    await waitUntil(
      `${BATCHED} to record its error and retry`,
      async () => ({ stored: await storedFollower(db.pool, BATCHED), attempts: handler.poisonAttempts }),
      ({ stored, attempts }) => stored?.lastError != null && attempts >= 3,
    );
    // The batch of 10 failed, then its events one per transaction, up to the poisoned one.
    expect(handler.calls.slice(0, 8)).toEqual([10, 1, 1, 1, 1, 1, 1, 1]);
    const log = await logPositions(db.pool);
    expect(await seenPositions(db.pool, BATCHED)).toEqual(log.filter((p) => p <= beforePoison));
    expect(await storedFollower(db.pool, BATCHED)).toEqual({
      position: beforePoison,
      lastError: {
        position: await positionOf(db.pool, 7),
        type: NOTED,
        message: 'cannot handle note 7',
        at: expect.any(String),
      },
    });
    expect(await app.status(BATCHED)).toMatchObject({ status: 'failing', checkpoint: beforePoison });

    handler.poison = false;
    await waitForHead(db.pool, BATCHED);
    // Each event exactly once (the primary key of `seen`), in log order.
    expect(await seenPositions(db.pool, BATCHED)).toEqual(log);
    expect(await storedFollower(db.pool, BATCHED)).toEqual({ position: log.at(-1), lastError: null });
  });

  it('rebuilds its view a batch at a time', async () => {
    for (let n = 1; n <= 120; n += 10) await appendNoted(db.store, n, 10);
    const app = await start();
    await waitForHead(db.pool, BATCHED);
    const log = await logPositions(db.pool);
    handler.calls = [];

    const result = await app.followers.rebuild(BATCHED);

    expect(result).toMatchObject({ events: 120, position: log.at(-1) });
    // The rebuild reads the log in pages of the follower batch size (50).
    expect(handler.calls).toEqual([50, 50, 20]);
    expect(await seenPositions(db.pool, BATCHED)).toEqual(log);
    expect(await storedFollower(db.pool, BATCHED)).toEqual({ position: log.at(-1), lastError: null });
  });
});
