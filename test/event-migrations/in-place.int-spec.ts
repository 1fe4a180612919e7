import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import {
  type EventMigration,
  reencode,
  PersonalDataKeys,
  EventCodec,
  PayloadEventCodec,
  PlainEventCodec,
  PayloadCodec,
} from '#event-sourcing';
import { advanceCheckpoint, findCheckpoint } from '../../src/event-sourcing/migration/migration-checkpoint.js';
import { runEventMigration, type EventMigrationOptions } from '#event-sourcing/postgres';
import { createMigratedDatabase } from '../support/test-database.js';
import { accountOpenedV2, restoreLog, rowsOf, saveLog, seedLog } from './event-migrations-harness.js';

const EVENTS = 1_000;
const BATCH = 64;

let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
let pool: pg.Pool;
const codec = new PlainEventCodec();
const quiet = () => undefined;
const migrate = (migration: EventMigration, options: EventMigrationOptions = {}, withCodec: EventCodec = codec) =>
  runEventMigration(pool, withCodec, migration, { batchSize: BATCH, log: quiet, ...options });

/** The log as the uninterrupted account-opened-v2 run leaves it. */
let expected: Record<string, unknown>[];

beforeAll(async () => {
  database = await createMigratedDatabase();
  pool = database.pool;
  await seedLog(pool, EVENTS);
  await saveLog(pool, 'seeded');
  expect(await migrate(accountOpenedV2)).toMatchObject({ status: 'finished', read: EVENTS, changed: EVENTS / 10 });
  expected = await rowsOf(pool);
});
beforeEach(() => restoreLog(pool, 'seeded'));
afterAll(() => database?.drop());

/** account-opened-v2, stopped by its signal once it has read `position`. */
function stoppingAt(position: number): { migration: EventMigration; signal: AbortSignal } {
  const stop = new AbortController();
  const migration: EventMigration = {
    ...accountOpenedV2,
    transform: (event) => {
      if (event.position === position) stop.abort();
      return accountOpenedV2.transform(event);
    },
  };
  return { migration, signal: stop.signal };
}

describe('account-opened-v2 in place', () => {
  it('stores every AccountOpened of schema version 1 as version 2 with currency EUR, and nothing else', async () => {
    const seeded = await rowsOf(pool);
    expect(expected).toHaveLength(EVENTS);
    expected.forEach((row, i) => {
      const before = seeded[i];
      if (before.type === 'AccountOpened' && before.schema_version === 1) {
        expect(row).toEqual({ ...before, schema_version: 2, data: { ...(before.data as object), currency: 'EUR' } });
      } else {
        expect(row).toEqual(before);
      }
    });
  });

  it('gives the same rows when stopped after a batch and run again', async () => {
    const { migration, signal } = stoppingAt(300);
    const stopped = await migrate(migration, { signal });
    // The batch holding position 300 completes, and the checkpoint is at its end.
    expect(stopped).toMatchObject({ status: 'stopped', position: 5 * BATCH, read: 5 * BATCH });
    const halfway = await rowsOf(pool);
    expect(halfway.slice(0, 5 * BATCH)).toEqual(expected.slice(0, 5 * BATCH));
    expect(halfway.filter((r) => r.type === 'AccountOpened' && r.schema_version === 1).length).toBeGreaterThan(0);

    expect(await migrate(accountOpenedV2)).toMatchObject({ status: 'finished', read: EVENTS, changed: EVENTS / 10 });
    expect(await rowsOf(pool)).toEqual(expected);
  });

  it('gives the same rows when a batch fails and the run is started again', async () => {
    const failing: EventMigration = {
      ...accountOpenedV2,
      transform: (event) => {
        if (event.position === 500) throw new Error('crash');
        return accountOpenedV2.transform(event);
      },
    };
    await expect(migrate(failing)).rejects.toThrow('crash');
    const [checkpoint] = (await pool.query('SELECT last_position, finished_at FROM event_migrations')).rows;
    expect(checkpoint).toEqual({ last_position: String(7 * BATCH), finished_at: null });

    expect(await migrate(accountOpenedV2)).toMatchObject({ status: 'finished', read: EVENTS, changed: EVENTS / 10 });
    expect(await rowsOf(pool)).toEqual(expected);
  });

  it('says a finished migration is finished and changes nothing, until --restart', async () => {
    await migrate(accountOpenedV2);
    await pool.query('UPDATE events SET schema_version = 1 WHERE position = 1');
    expect(await migrate(accountOpenedV2)).toMatchObject({ status: 'already-finished', read: EVENTS });
    expect((await rowsOf(pool))[0]).toMatchObject({ schema_version: 1 });

    expect(await migrate(accountOpenedV2, { restart: true })).toMatchObject({ status: 'finished', changed: 1 });
    expect(await rowsOf(pool)).toEqual(expected);
  });

  it('migrates up to the end of the log when it first started: later events stay as they were appended', async () => {
    const { migration, signal } = stoppingAt(1);
    await migrate(migration, { signal });
    const { rows } = await pool.query(
      `INSERT INTO events (event_id, stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at, transaction_id)
       VALUES (gen_random_uuid(), 'late', 'Account', 1, 'AccountOpened', 1, '{"owner":"Late"}', '{}', now(), pg_current_xact_id())
       RETURNING position`,
    );
    expect(await migrate(accountOpenedV2)).toMatchObject({ status: 'finished', read: EVENTS, position: EVENTS });
    const after = await rowsOf(pool);
    expect(after.slice(0, EVENTS)).toEqual(expected);
    expect(after[EVENTS]).toMatchObject({ position: rows[0].position, schema_version: 1 });
  });

  it('refuses to move a checkpoint that another run moved meanwhile', async () => {
    const { migration, signal } = stoppingAt(1);
    await migrate(migration, { signal });
    const client = await pool.connect();
    try {
      const found = await findCheckpoint(client, accountOpenedV2.name, 'events');
      expect(found).toMatchObject({ position: BATCH, endPosition: EVENTS, finishedAt: undefined });
      const stale = { ...found!, position: 0 };
      await expect(advanceCheckpoint(client, stale, { position: BATCH, read: BATCH, changed: 0 })).rejects.toThrow(
        'Another run of account-opened-v2 into events moved its checkpoint past 0',
      );
    } finally {
      client.release();
    }
  });
});

describe('a dry run', () => {
  it('reports what would change, with examples, and writes nothing', async () => {
    const report = await migrate(accountOpenedV2, { dryRun: true });
    expect(report).toMatchObject({ status: 'dry-run', read: EVENTS, changed: EVENTS / 10, position: EVENTS });
    expect(report.examples).toHaveLength(3);
    expect(report.examples[0].before).toMatchObject({ position: 1, type: 'AccountOpened', schemaVersion: 1 });
    expect(report.examples[0].after).toMatchObject({
      position: 1,
      schemaVersion: 2,
      data: { owner: 'Owner 0', overdraftLimit: 0, currency: 'EUR' },
    });
    expect(await rowsOf(pool)).toEqual(await rowsOf(pool, 'seeded'));
    expect((await pool.query('SELECT count(*)::int AS n FROM event_migrations')).rows[0].n).toBe(0);
  });
});

describe('reencode', () => {
  it('rewrites every event, with the plain codec as it was', async () => {
    const before = await pool.query('SELECT position, xmin::text AS xmin FROM events ORDER BY position');
    expect(await migrate(reencode)).toMatchObject({ status: 'finished', read: EVENTS, changed: EVENTS });
    const after = await pool.query('SELECT position, xmin::text AS xmin FROM events ORDER BY position');
    after.rows.forEach((row, i) => expect(row.xmin).not.toBe(before.rows[i].xmin));
    expect(await rowsOf(pool)).toEqual(await rowsOf(pool, 'seeded'));
  });

  it('seals every event under the keys of today: plain payloads, plain personal fields, and a retired key', async () => {
    const k1 = { id: 'k1', key: randomBytes(32) };
    const k2 = { id: 'k2', key: randomBytes(32) };
    const sealing = (...keys: { id: string; key: Buffer }[]) =>
      new PayloadEventCodec(new PayloadCodec(new PersonalDataKeys(pool), { encryptionKeys: keys }));
    const seeded = await rowsOf(pool);

    expect(await migrate(reencode, {}, sealing(k1))).toMatchObject({ status: 'finished', changed: EVENTS });
    const keyIds = async () =>
      (await pool.query(`SELECT DISTINCT data->>'key' AS key FROM events`)).rows.map((row) => row.key);
    expect(await keyIds()).toEqual(['k1']);
    // Rotation: k2 is added, then the events still under k1 are sealed again with it.
    expect(await migrate(reencode, { restart: true }, sealing(k1, k2))).toMatchObject({ changed: EVENTS });
    expect(await keyIds()).toEqual(['k2']);
    expect((await pool.query(`SELECT 1 FROM events WHERE data::text LIKE '%Owner %'`)).rowCount).toBe(0);

    // Once re-encoded, k1 can go: k2 alone reads every event as it was seeded, owners included.
    const rows = await rowsOf(pool);
    const decoded = await sealing(k2).decode(
      rows.map((row) => ({
        id: row.event_id as string,
        type: row.type as string,
        streamId: row.stream_id as string,
        position: Number(row.position),
        schemaVersion: row.schema_version as number,
        data: row.data as Record<string, unknown>,
      })),
    );
    expect(decoded).toEqual(seeded.map((row) => row.data));
  });
});

describe('a transform that moves an event', () => {
  it('is refused, naming the event, and writes nothing', async () => {
    const moving: EventMigration = { ...reencode, transform: (event) => ({ ...event, version: event.version + 1 }) };
    await expect(migrate(moving)).rejects.toThrow(
      'Migration reencode changed version of the event at position 1: only type, schemaVersion, data and metadata may change',
    );
    expect(await rowsOf(pool)).toEqual(await rowsOf(pool, 'seeded'));
  });
});
