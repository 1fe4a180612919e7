import { randomBytes, randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { CheckpointMovedError, Follower, Handles } from '#event-sourcing';
import { DomainEvent } from '#event-sourcing/domain';
import { PostgresCheckpointStore, PostgresEventStore } from '#event-sourcing/postgres';
import { loadConfig } from '../../src/config/app-config.js';
import { databaseOptions } from '../../src/database/database-options.js';
import { FencedAppendError, underFence } from '../../src/event-sourcing/store/append-fence.js';
import { CheckpointMoves } from '../../src/event-sourcing/subscriptions/checkpoint-moves.js';
import {
  FOLLOWER as FOLLOWER_METADATA,
  handlersOf,
} from '../../src/event-sourcing/subscriptions/follower.decorator.js';
import { FollowerLeases } from '../../src/event-sourcing/subscriptions/follower-leases.js';
import { FollowerLoop } from '../../src/event-sourcing/subscriptions/follower-loop.js';
import { LogWakeup } from '../../src/event-sourcing/subscriptions/log-wakeup.js';
import { LEASE_SPACE } from '../../src/event-sourcing/subscriptions/lease-queries.js';
import { createMigratedDatabase, createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { until } from '../support/until.js';

/**
 * Fenced leases (docs/SCALING.md, "Where the followers run"): a holder that renews
 * nothing past its lease timeout, as a stopped process does, has its session ended by an
 * instance that wants the lease, and whatever it still had in flight is refused. The
 * holder's session row is expired by hand here, as a stop would leave it: no test waits
 * for a timeout, and a lease timeout of an hour keeps every holder from renewing meanwhile.
 */
const TIMEOUT_SECONDS = 3600;
const FOLLOWER = 'fenced-follower';

let database: TestDatabase;
let admin: pg.Pool;
let dataSource: DataSource;
let dropDatabase: () => Promise<void>;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  ({ pool: admin, dataSource, drop: dropDatabase } = await createMigratedDatabase(database));
  await admin.query('CREATE TABLE fenced_writes (n int PRIMARY KEY)');
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await admin.query('DELETE FROM followers');
  await admin.query('DELETE FROM fenced_writes');
});
afterAll(() => dropDatabase());

/** An instance's leases and checkpoints, connected as the role of `url`. */
async function instance(
  url: string,
): Promise<{ leases: FollowerLeases; checkpoints: PostgresCheckpointStore; dataSource: DataSource }> {
  const own = new DataSource({ ...databaseOptions(url, loadConfig({}).database), migrationsRun: false });
  await own.initialize();
  const checkpoints = new PostgresCheckpointStore(own);
  const leases = new FollowerLeases({
    connection: { connectionString: url },
    timeoutSeconds: TIMEOUT_SECONDS,
    checkpoints,
    onNotification: () => undefined,
  });
  cleanups.push(
    () => own.destroy(),
    () => leases.close(),
  );
  return { leases, checkpoints, dataSource: own };
}

/** The server process of the session that holds `FOLLOWER`'s lease. */
async function leaseHolder(): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database
      WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()
        AND l.classid = $1 AND l.objid = hashtext($2)::oid`,
    [LEASE_SPACE, FOLLOWER],
  );
  expect(rows).toHaveLength(1);
  return rows[0].pid;
}

/** As a stopped holder leaves its session: the row past its expiry, the session still there. */
async function expire(pid: number): Promise<void> {
  const { rowCount } = await admin.query(
    `UPDATE follower_lease_sessions SET expires_at = now() - interval '1 second' WHERE pid = $1`,
    [pid],
  );
  expect(rowCount).toBe(1);
}

async function alive(pid: number): Promise<boolean> {
  const { rows } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
  return rows.length === 1;
}

/** A database role that is no superuser, with the rights the app needs on the followers' tables. */
async function ordinaryRole(): Promise<string> {
  const role = `chronicle_lease_${randomBytes(4).toString('hex')}`;
  // A password too: the embedded test server asks for one, where the machine's may trust.
  const password = randomBytes(12).toString('hex');
  await admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER PASSWORD '${password}'`);
  await admin.query(
    `GRANT SELECT, INSERT, UPDATE, DELETE ON followers, follower_lease_sessions, fenced_writes TO ${role}`,
  );
  await admin.query(`GRANT USAGE ON SEQUENCE follower_lease_tokens TO ${role}`);
  cleanups.unshift(async () => {
    await admin.query(`DROP OWNED BY ${role}`);
    await admin.query(`DROP ROLE ${role}`);
  });
  const url = new URL(database.url);
  url.username = role;
  url.password = password;
  return url.toString();
}

describe.each([
  ['the role that created the database', () => Promise.resolve(database.url)],
  ['a role that is no superuser', ordinaryRole],
])('fenced leases, connected as %s', (_, roleUrl) => {
  it('leaves a holder that renews its lease alone, ends it once its renewal is past due, and refuses what it still sends', async () => {
    const url = await roleUrl();
    const a = await instance(url);
    const b = await instance(url);
    await a.checkpoints.create([FOLLOWER]);
    const token = await a.leases.hold(FOLLOWER);
    expect(token).toEqual(expect.any(Number));
    await a.checkpoints.move(FOLLOWER, 0, 4, undefined, token);

    // Renewed within its timeout: nobody takes it, nobody ends it.
    expect(await b.leases.hold(FOLLOWER)).toBeUndefined();
    const holder = await leaseHolder();
    expect(await alive(holder)).toBe(true);

    await expire(holder);
    const taken = await b.leases.hold(FOLLOWER);
    expect(taken).toBeGreaterThan(token!);
    expect(await alive(holder)).toBe(false);
    expect(b.leases.isHeld(FOLLOWER)).toBe(true);

    // The old holder's move comes too late, though the checkpoint is still where it began.
    await expect(a.checkpoints.move(FOLLOWER, 4, 9, undefined, token)).rejects.toBeInstanceOf(CheckpointMovedError);
    await b.checkpoints.move(FOLLOWER, 4, 9, undefined, taken);
    expect(await a.checkpoints.position(FOLLOWER)).toBe(9);

    // It finds out, and rejoins as an instance without the lease, on a session of its own.
    await until(
      async () => a.leases.isHeld(FOLLOWER),
      (held) => !held,
      'the old holder to find its session ended',
    );
    expect(await a.leases.hold(FOLLOWER)).toBeUndefined();
    expect(await leaseHolder()).not.toBe(holder);
  });
});

it('ends the batch transactions the former holder left open, so the new holder neither waits for them nor sees their writes', async () => {
  const a = await instance(database.url);
  const b = await instance(database.url);
  await a.checkpoints.create([FOLLOWER]);
  const token = (await a.leases.hold(FOLLOWER))!;

  // The holder stops in the middle of a batch: written, checkpoint moved, not committed.
  const batch = dataSource.createQueryRunner();
  cleanups.push(() => batch.release().catch(() => undefined));
  await batch.connect();
  const [{ pid: batchPid }] = (await batch.query('SELECT pg_backend_pid() AS pid')) as { pid: number }[];
  await batch.startTransaction();
  await a.leases.markBatch(FOLLOWER, batch.manager);
  await batch.query('INSERT INTO fenced_writes (n) VALUES (1)');
  await a.checkpoints.move(FOLLOWER, 0, 7, batch.manager, token);

  await expire(await leaseHolder());
  const taken = await b.leases.hold(FOLLOWER);
  expect(taken).toBeGreaterThan(token);
  await until(
    () => alive(batchPid),
    (still) => !still,
    'the batch transaction to end with its session',
  );
  await expect(batch.commitTransaction()).rejects.toThrow();
  expect((await admin.query('SELECT n FROM fenced_writes')).rows).toEqual([]);
  expect(await b.checkpoints.position(FOLLOWER)).toBe(0);
});

it('takes a lease at once from a holder that released it or whose session ended, with a new token each time', async () => {
  const a = await instance(database.url);
  const b = await instance(database.url);
  await a.checkpoints.create([FOLLOWER]);
  const first = (await a.leases.hold(FOLLOWER))!;
  await a.leases.release(FOLLOWER);
  const second = (await b.leases.hold(FOLLOWER))!;
  expect(second).toBeGreaterThan(first);

  await admin.query('SELECT pg_terminate_backend($1)', [await leaseHolder()]);
  const third = await until(
    () => a.leases.hold(FOLLOWER),
    (token) => token !== undefined,
    'the lease to come free with the session that held it',
  );
  expect(third).toBeGreaterThan(second);
  await expect(b.checkpoints.move(FOLLOWER, 0, 1, undefined, second)).rejects.toBeInstanceOf(CheckpointMovedError);
});

@DomainEvent('FenceTestTriggered')
class Triggered {}

/** A process manager that sends the command it is given for each Triggered event. */
@Follower(FOLLOWER, { transactional: false })
class Commander {
  constructor(private readonly command: () => Promise<void>) {}

  @Handles(Triggered)
  async triggered(): Promise<void> {
    await this.command();
  }
}

it('a process manager whose command the fence refused records no failure, for the new holder to show, and lets the lease go', async () => {
  const a = await instance(database.url);
  const b = await instance(database.url);
  await a.checkpoints.create([FOLLOWER]);
  const store = new PostgresEventStore(admin);
  const event = (type: string) => ({
    id: randomUUID(),
    type,
    schemaVersion: 1,
    data: {},
    metadata: { correlationId: 'fence-test', causationId: 'fence-test' },
  });
  await store.append({
    streamId: 'fence-trigger',
    streamType: 'FencedCommandTest',
    expectedVersion: 0,
    events: [event('FenceTestTriggered')],
  });

  // The handler stops before its command, as a process stopped there would, until the lease has moved.
  let reached!: () => void;
  const handling = new Promise<void>((resolve) => (reached = resolve));
  let resume!: () => void;
  const resumed = new Promise<void>((resolve) => (resume = resolve));
  let refusal: unknown;
  const command = async () => {
    reached();
    await resumed;
    try {
      await store.append({
        streamId: 'fence-command',
        streamType: 'FencedCommandTest',
        expectedVersion: 0,
        events: [event('FenceTested')],
      });
    } catch (error) {
      refusal = error;
      throw error;
    }
  };
  const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  cleanups.push(async () => warnings.mockRestore());
  const loop = new FollowerLoop(
    Reflect.getMetadata(FOLLOWER_METADATA.KEY, Commander),
    handlersOf(new Commander(command)),
    {
      store,
      checkpoints: a.checkpoints,
      dataSource: a.dataSource,
      leases: a.leases,
      wakeup: new LogWakeup(),
      moves: new CheckpointMoves(),
      settings: { batchSize: 10, pollMs: 50, gatherMs: 0, maxBackoffMs: 60_000 },
    },
  );
  loop.start();
  cleanups.push(() => loop.stop().catch(() => undefined));
  await handling;
  await expire(await leaseHolder());
  expect(await b.leases.hold(FOLLOWER)).toEqual(expect.any(Number));
  resume();

  await until(
    async () => refusal,
    (error) => error !== undefined,
    'the command to be refused',
  );
  // Stopping waits for the loop to be done with the refusal.
  await loop.stop();
  expect(refusal).toBeInstanceOf(FencedAppendError);
  const { rows } = await admin.query('SELECT position, last_error FROM followers WHERE name = $1', [FOLLOWER]);
  expect(rows).toEqual([{ position: '0', last_error: null }]);
  expect(warnings).toHaveBeenCalledWith('another process took the lease over: an append of this one was refused');
  expect((await admin.query("SELECT 1 FROM events WHERE stream_id = 'fence-command'")).rows).toEqual([]);
});

it('stores the appends a process manager makes under its lease until another instance claims it, then refuses them, alone or sent together', async () => {
  const a = await instance(database.url);
  const b = await instance(database.url);
  await a.checkpoints.create([FOLLOWER]);
  const token = (await a.leases.hold(FOLLOWER))!;
  const store = new PostgresEventStore(admin);
  const append = (streamId: string) =>
    store.append({
      streamId,
      streamType: 'FenceTest',
      expectedVersion: 0,
      events: [
        {
          id: randomUUID(),
          type: 'FenceTested',
          schemaVersion: 1,
          data: {},
          metadata: { correlationId: 'fence-test', causationId: 'fence-test' },
        },
      ],
    });
  const underA = (streamId: string) => underFence({ follower: FOLLOWER, lease: token }, () => append(streamId));

  await underA('fence-before');
  await expire(await leaseHolder());
  const taken = (await b.leases.hold(FOLLOWER))!;
  expect(taken).toBeGreaterThan(token);

  // The stopped holder continues: what it sends now is refused, one append alone or many
  // at once (all but the first two in flight go out together, in groups).
  await expect(underA('fence-after')).rejects.toBeInstanceOf(FencedAppendError);
  const together = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => underA(`fence-after-${i}`)));
  expect(together.map((outcome) => outcome.status === 'rejected' && outcome.reason)).toEqual(
    Array.from({ length: 8 }, () => expect.any(FencedAppendError)),
  );
  // The new holder's, and appends under no lease, go through.
  await underFence({ follower: FOLLOWER, lease: taken }, () => append('fence-new-holder'));
  await append('fence-unfenced');
  const { rows } = await admin.query("SELECT stream_id FROM events WHERE stream_type = 'FenceTest' ORDER BY position");
  expect(rows.map((row) => row.stream_id)).toEqual(['fence-before', 'fence-new-holder', 'fence-unfenced']);
});
