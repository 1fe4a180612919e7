import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import {
  type EventResponse,
  HttpLogFollower,
  RemoteLogError,
  StoredCheckpoint,
  type FollowerCheckpoint,
  type LogPageHandler,
} from '#event-sourcing/http';
import { PostgresCheckpointStore } from '#event-sourcing/postgres';
import { newEvent } from '../support/event-store-contract.js';
import { appendEvents, logThrough } from '../support/notification-log.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createMigratedDatabase } from '../support/test-database.js';
import { signToken, TEST_JWT_SECRET } from '../support/tokens.js';

const FOLLOWER = 'remote-owners';

let app: TestApp;
let baseUrl: string;
/** The follower's own database: another service's, with a view of the remote streams' owners. */
let view: { dataSource: DataSource; drop(): Promise<void> };

beforeAll(async () => {
  [app, view] = await Promise.all([createTestApp(), createMigratedDatabase()]);
  await app.app.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(app.http.address() as AddressInfo).port}`;
  await view.dataSource.query('CREATE TABLE remote_owners (stream_id text PRIMARY KEY, owner text NOT NULL)');
});
afterAll(async () => {
  await app?.close();
  await view?.drop();
});

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`Not there after ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const owners = async (): Promise<Record<string, string>> => {
  const rows: { stream_id: string; owner: string }[] = await view.dataSource.query(
    'SELECT stream_id, owner FROM remote_owners',
  );
  return Object.fromEntries(rows.map((r) => [r.stream_id, r.owner]));
};

const storedCheckpoint = async (): Promise<number> => {
  const rows: { position: string }[] = await view.dataSource.query('SELECT position FROM followers WHERE name = $1', [
    FOLLOWER,
  ]);
  return Number(rows[0].position);
};

/** Runs a follower until stopped; `pages` records every page it handled. */
function start(pages: EventResponse[][]): { stop(): Promise<void> } {
  const checkpoint = new StoredCheckpoint(new PostgresCheckpointStore(view.dataSource), FOLLOWER);
  const follower = new HttpLogFollower({ baseUrl, name: FOLLOWER, batchSize: 3, pollMs: 50 });
  // The view and the checkpoint move in one transaction: a plain INSERT fails on a duplicate.
  const handle: LogPageHandler = (events, page) =>
    view.dataSource.transaction(async (manager) => {
      for (const event of events) {
        if (event.type !== 'Started') continue;
        await manager.query('INSERT INTO remote_owners (stream_id, owner) VALUES ($1, $2)', [
          event.streamId,
          event.data.owner,
        ]);
      }
      await checkpoint.saveIn(manager, page.next);
      pages.push(events);
      return page.next;
    });
  const abort = new AbortController();
  const following = follower.follow(handle, checkpoint, abort.signal);
  return {
    stop: async () => {
      abort.abort();
      await following;
    },
  };
}

describe('HttpLogFollower', () => {
  it('keeps a view of another service in step, and resumes from its checkpoint without duplicates or gaps', async () => {
    const opened: Record<string, string> = {};
    const open = async (owner: string) => {
      const id = randomUUID();
      await appendEvents(app, id, newEvent('Started', { owner }));
      opened[id] = owner;
      return id;
    };
    const move = async (id: string) => (await appendEvents(app, id, newEvent('Moved', { by: 5 }))).position;
    for (let i = 0; i < 4; i++) await move(await open(`Remote ${i}`)); // two events each

    const firstRun: EventResponse[][] = [];
    const first = start(firstRun);
    await eventually(owners, (view) => Object.keys(view).length === 4);
    expect(await owners()).toEqual(opened);
    await first.stop();
    const stoppedAt = await storedCheckpoint();
    expect(stoppedAt).toBe(firstRun.at(-1)!.at(-1)!.position);
    expect(firstRun.every((page) => page.length > 0 && page.length <= 3)).toBe(true);

    // More streams while nobody follows; then a new follower on the same checkpoint.
    for (let i = 4; i < 7; i++) await open(`Remote ${i}`);
    await move(await open('Remote 7'));
    const secondRun: EventResponse[][] = [];
    const second = start(secondRun);
    await eventually(owners, (view) => Object.keys(view).length === 8);
    const last = await move(Object.keys(opened)[0]);
    await eventually(storedCheckpoint, (position) => position === last);
    await second.stop();

    expect(await owners()).toEqual(opened);
    expect(secondRun[0][0].position).toBeGreaterThan(stoppedAt);
    // Both runs together handed over the whole log, each event once, in order.
    const handled = [...firstRun, ...secondRun].flat();
    expect(handled).toEqual(await logThrough(app.http, last));
  });

  it('retries a failing remote, and saves the checkpoint itself when the handler returns nothing', async () => {
    // A proxy that answers 503 to the first two requests, then passes them to the app.
    let requests = 0;
    const proxy: Server = createServer((req, res) => {
      requests++;
      if (requests <= 2) {
        res.writeHead(503, { 'Retry-After': '0', 'Content-Type': 'application/problem+json' }).end('{}');
        return;
      }
      fetch(`${baseUrl}${req.url}`)
        .then(async (upstream) =>
          res.writeHead(upstream.status, { 'Content-Type': 'application/json' }).end(await upstream.text()),
        )
        .catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const id = randomUUID();
      await appendEvents(app, id, newEvent('Started', { owner: 'Behind a proxy' }));
      const log = await logThrough(app.http, (await appendEvents(app, id, newEvent('Moved', { by: 3 }))).position);

      let saved = 0;
      const checkpoint: FollowerCheckpoint = { load: async () => 0, save: async (position) => void (saved = position) };
      const seen: EventResponse[] = [];
      const follower = new HttpLogFollower({
        baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`,
        name: 'through-proxy',
        batchSize: 1000,
        pollMs: 50,
        minBackoffMs: 10,
      });
      const abort = new AbortController();
      const following = follower.follow(async (events) => void seen.push(...events), checkpoint, abort.signal);
      await eventually(
        async () => saved,
        (position) => position === log.at(-1)!.position,
      );
      abort.abort();
      await following;
      expect(requests).toBeGreaterThan(2);
      expect(seen).toEqual(log);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('stops with an error when the remote refuses the request (4xx)', async () => {
    const follower = new HttpLogFollower({ baseUrl, name: 'bad-checkpoint', pollMs: 50 });
    const checkpoint: FollowerCheckpoint = { load: async () => -1, save: async () => undefined };
    await expect(follower.follow(async () => undefined, checkpoint, new AbortController().signal)).rejects.toThrow(
      RemoteLogError,
    );
  });
});

describe('HttpLogFollower of a service with authentication on', () => {
  let remote: TestApp;
  let remoteUrl: string;
  beforeAll(async () => {
    remote = await createTestApp({ env: { AUTH_JWT_SECRET: TEST_JWT_SECRET } });
    await remote.app.listen(0, '127.0.0.1');
    remoteUrl = `http://127.0.0.1:${(remote.http.address() as AddressInfo).port}`;
  });
  afterAll(() => remote?.close());

  /** Follows `remote` from 0 until it has handled `position`, and answers the events it handled. */
  async function followTo(position: number, authorization?: () => string): Promise<EventResponse[]> {
    const handled: EventResponse[] = [];
    const abort = new AbortController();
    const follower = new HttpLogFollower({ baseUrl: remoteUrl, name: 'operator', pollMs: 50, authorization });
    const checkpoint: FollowerCheckpoint = { load: async () => 0, save: async () => undefined };
    const handle: LogPageHandler = async (events) => {
      handled.push(...events);
      if (handled.some((event) => event.position >= position)) abort.abort();
    };
    await follower.follow(handle, checkpoint, abort.signal);
    return handled;
  }

  it("reads the operators' log with the Authorization it is given, asked for again on every request", async () => {
    const { position } = await appendEvents(remote, randomUUID(), newEvent('Started', { owner: 'Remote' }));
    let asked = 0;
    const handled = await followTo(position, () => {
      asked++;
      return `Bearer ${signToken({ sub: 'follower', roles: ['admin'] })}`;
    });
    expect(handled.map((event) => event.position)).toContain(position);
    expect(asked).toBeGreaterThan(0);
  });

  it('gives up on a 401 without it, and on a 403 for a token without the operator role', async () => {
    await expect(followTo(1)).rejects.toThrow(RemoteLogError);
    await expect(followTo(1)).rejects.toThrow(/answered 401/);
    await expect(followTo(1, () => `Bearer ${signToken({ sub: 'alice' })}`)).rejects.toThrow(/answered 403/);
  });
});
