import { Inject } from '@nestjs/common';
import { Follower, Handles, type FollowerContext } from '#event-sourcing';
import {
  INSTANCE,
  NOTED,
  Noted,
  appendNoted,
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
  type FollowerApp,
  type FollowerDatabase,
} from './followers-harness.js';

const FRAGILE = 'test-follower-fragile';
const STURDY = 'test-follower-sturdy';

/** The switch that "fixes" the fragile handler, and how often it met a poisoned event. */
const handler = { broken: true, poisonAttempts: 0 };

@Follower(FRAGILE)
class FragileView {
  constructor(@Inject(INSTANCE) private readonly instance: string) {}

  @Handles(Noted)
  async noted(event: Noted, { envelope, manager }: FollowerContext): Promise<void> {
    if (event.poison) {
      handler.poisonAttempts++;
      if (handler.broken) throw new Error(`cannot handle note ${event.n}`);
    }
    await recordSeen(manager, FRAGILE, envelope, this.instance);
  }
}

const SturdyView = seenView(STURDY);

let db: FollowerDatabase;
const apps: FollowerApp[] = [];
const start = async (instance: string, maxBackoffMs?: number) => {
  const app = await startApp(db.url, [FragileView, SturdyView], { instance, maxBackoffMs });
  apps.push(app);
  return app;
};

beforeEach(async () => {
  db = await followerDatabase();
  handler.broken = true;
  handler.poisonAttempts = 0;
});
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  await db.drop();
});

const upTo = (positions: number[], last: number) => positions.filter((p) => p <= last);

describe('a follower whose handler throws', () => {
  it('stops right before the failing event while another follower goes on, then resumes by itself once fixed', async () => {
    // History: notes 1-10 in two appends, note 6 poisoned; all of it fits one batch.
    await appendNoted(db.store, 1, 5);
    await appendNoted(db.store, 6, 5, (n) => n === 6);
    const app = await start('app');
    const poisoned = await positionOf(db.pool, 6);
    const beforePoison = await positionOf(db.pool, 5);

    await waitForHead(db.pool, STURDY);
    // It retries on its own, with a back-off: the poisoned event is met again and again.
    await waitUntil(
      `${FRAGILE} to record its error and retry`,
      async () => ({ stored: await storedFollower(db.pool, FRAGILE), attempts: handler.poisonAttempts }),
      ({ stored, attempts }) => stored?.lastError != null && attempts >= 3,
    );
    // Live events after the failure: the sturdy follower takes them, the fragile one stays put.
    await appendNoted(app.store, 11, 3);
    await waitForHead(db.pool, STURDY);

    const log = await logPositions(db.pool);
    expect(log).toHaveLength(13);
    const error = { position: poisoned, type: NOTED, message: 'cannot handle note 6' };
    expect(await storedFollower(db.pool, FRAGILE)).toEqual({
      position: beforePoison,
      lastError: { ...error, at: expect.any(String) },
    });
    expect(await seenPositions(db.pool, FRAGILE)).toEqual(upTo(log, beforePoison));
    expect(await app.status(FRAGILE)).toMatchObject({
      checkpoint: beforePoison,
      status: 'failing',
      lastError: error,
      runningHere: true,
      lagPositions: log.length - upTo(log, beforePoison).length,
    });
    expect(await seenPositions(db.pool, STURDY)).toEqual(log);
    expect(await app.status(STURDY)).toMatchObject({
      checkpoint: log.at(-1),
      status: 'live',
      lastError: null,
      lagPositions: 0,
    });

    handler.broken = false;
    await waitForHead(db.pool, FRAGILE);

    // Each event exactly once (a second INSERT would have failed on the primary key), in log order.
    expect(await seenPositions(db.pool, FRAGILE)).toEqual(log);
    expect(await storedFollower(db.pool, FRAGILE)).toEqual({ position: log.at(-1), lastError: null });
    expect(await app.status(FRAGILE)).toMatchObject({ status: 'live', lastError: null, lagPositions: 0 });
    expect(await seenPositions(db.pool, STURDY)).toEqual(log);
  });

  it('resumes from the same checkpoint in a new app after the failing one was closed', async () => {
    await appendNoted(db.store, 1, 8, (n) => n === 4);
    const poisoned = await positionOf(db.pool, 4);
    const beforePoison = await positionOf(db.pool, 3);
    const log = await logPositions(db.pool);

    const first = await start('first');
    await waitUntil(
      `${FRAGILE} to record its error`,
      () => storedFollower(db.pool, FRAGILE),
      (stored) => stored?.lastError != null,
    );
    await waitForHead(db.pool, STURDY);
    expect(await storedFollower(db.pool, FRAGILE)).toMatchObject({
      position: beforePoison,
      lastError: { position: poisoned, message: 'cannot handle note 4' },
    });
    await first.close();
    apps.splice(apps.indexOf(first), 1);

    // Closed while failing: nothing moved, nothing was lost.
    expect(await storedFollower(db.pool, FRAGILE)).toMatchObject({
      position: beforePoison,
      lastError: { position: poisoned },
    });
    expect(await seenPositions(db.pool, FRAGILE)).toEqual(upTo(log, beforePoison));

    handler.poisonAttempts = 0;
    const second = await start('second');
    // The new app picks up at the poisoned event again: not before it (notes 1-3 would fail
    // their INSERT and move the error), not after it.
    await waitUntil(
      'the new app to meet the poisoned event',
      async () => handler.poisonAttempts,
      (n) => n >= 2,
    );
    expect(await storedFollower(db.pool, FRAGILE)).toMatchObject({
      position: beforePoison,
      lastError: { position: poisoned, type: NOTED, message: 'cannot handle note 4' },
    });
    expect(await second.status(FRAGILE)).toMatchObject({ status: 'failing', runningHere: true });

    handler.broken = false;
    await waitForHead(db.pool, FRAGILE);
    expect(await seenPositions(db.pool, FRAGILE)).toEqual(log);
    const { rows } = await db.pool.query('SELECT DISTINCT handled_by FROM seen WHERE follower = $1 AND position > $2', [
      FRAGILE,
      beforePoison,
    ]);
    expect(rows).toEqual([{ handled_by: 'second' }]);
    expect(await second.status(FRAGILE)).toMatchObject({ status: 'live', lastError: null });
    expect(await second.status(STURDY)).toMatchObject({ status: 'live', lastError: null, checkpoint: log.at(-1) });
  });

  it('lets the app close at once while the failing follower waits to retry', async () => {
    await appendNoted(db.store, 1, 3, (n) => n === 2);
    const app = await start('patient', 30_000);
    // Pauses of 200, 400, 800 and 1600 ms between the first five attempts; then 3200 ms.
    await waitUntil(
      'the fifth attempt at the poisoned event',
      async () => handler.poisonAttempts,
      (n) => n >= 5,
    );

    const closing = Date.now();
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    expect(Date.now() - closing).toBeLessThan(1_500);
    expect(await storedFollower(db.pool, FRAGILE)).toMatchObject({
      position: await positionOf(db.pool, 1),
      lastError: { position: await positionOf(db.pool, 2) },
    });
  });
});
