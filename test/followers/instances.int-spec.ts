import {
  appendNoted,
  followerDatabase,
  logPositions,
  seenView,
  seenPositions,
  startApp,
  waitForHead,
  waitUntil,
  type FollowerApp,
  type FollowerDatabase,
} from './followers-harness.js';

const SHARED = 'test-follower-shared';

const SharedView = seenView(SHARED);

let db: FollowerDatabase;
const apps = new Map<string, FollowerApp>();

beforeAll(async () => {
  db = await followerDatabase();
});
afterAll(async () => {
  for (const app of apps.values()) await app.close();
  await db.drop();
});

/** Four writers per app, each appending 1 to 3 events at a time to streams of its own. */
async function appendConcurrently(app: FollowerApp, appends: number): Promise<string[]> {
  const ids: string[][] = await Promise.all(
    Array.from({ length: 4 }, async (_, w) => {
      const mine: string[] = [];
      for (let i = 0; i < appends; i++) mine.push(...(await appendNoted(app.store, w * 1000 + i, 1 + (i % 3))));
      return mine;
    }),
  );
  return ids.flat();
}

async function seenIds(): Promise<{ event_id: string; handled_by: string }[]> {
  const { rows } = await db.pool.query('SELECT event_id, handled_by FROM seen WHERE follower = $1 ORDER BY seq', [
    SHARED,
  ]);
  return rows;
}

describe('two app instances running the same follower', () => {
  it('apply every event exactly once through the one instance holding the lease; the other takes over when it closes', async () => {
    apps.set('a', await startApp(db.url, [SharedView], { instance: 'a' }));
    apps.set('b', await startApp(db.url, [SharedView], { instance: 'b' }));

    const appended = (
      await Promise.all([appendConcurrently(apps.get('a')!, 15), appendConcurrently(apps.get('b')!, 15)])
    ).flat();
    expect(appended).toHaveLength(2 * 4 * 30);
    await waitForHead(db.pool, SHARED);

    const log = await logPositions(db.pool);
    expect(log).toHaveLength(appended.length);
    expect(await seenPositions(db.pool, SHARED)).toEqual(log);
    const seen = await seenIds();
    expect(seen.map((row) => row.event_id).sort()).toEqual([...appended].sort());

    const statuses = await Promise.all(['a', 'b'].map(async (name) => apps.get(name)!.status(SHARED)));
    for (const status of statuses) {
      expect(status).toMatchObject({ checkpoint: log.at(-1), status: 'live', lastError: null });
    }
    expect(statuses.filter((status) => status.runningHere)).toHaveLength(1);
    const holder = statuses[0].runningHere ? 'a' : 'b';
    const other = holder === 'a' ? 'b' : 'a';
    expect(new Set(seen.map((row) => row.handled_by))).toEqual(new Set([holder]));

    // The holder goes away; the other instance takes the lease and carries on.
    await apps.get(holder)!.close();
    apps.delete(holder);
    const survivor = apps.get(other)!;
    await waitUntil(
      `instance ${other} to take over the lease`,
      () => survivor.status(SHARED),
      (status) => status.runningHere,
      5_000,
    );
    const later = await appendConcurrently(survivor, 5);
    await waitForHead(db.pool, SHARED, 5_000);

    const after = await seenIds();
    expect(after.slice(seen.length)).toEqual(
      expect.arrayContaining(later.map((id) => ({ event_id: id, handled_by: other }))),
    );
    expect(after).toHaveLength(appended.length + later.length);
    expect(await seenPositions(db.pool, SHARED)).toEqual(await logPositions(db.pool));
    expect(await survivor.status(SHARED)).toMatchObject({ status: 'live', lastError: null, runningHere: true });
  });
});
