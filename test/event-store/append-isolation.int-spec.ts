import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { AppendResult, NewEvent } from '#event-sourcing';
import { PostgresEventStore } from '#event-sourcing/postgres';
import { newEvent } from '../support/event-store-contract.js';
import { holdStreams, waitingOnStreams } from '../support/held-streams.js';
import { createMigratedDatabase } from '../support/test-database.js';

// Appends that arrive while two groups are in flight go out together, as one statement
// (docs/PERFORMANCE.md, "Appends sent together"). Whatever one of them raises, each of the
// others gets the outcome it would have had alone, and its caller only its own error.
let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
let pool: pg.Pool;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createMigratedDatabase();
  pool = database.pool;
  store = new PostgresEventStore(pool);
});
afterAll(() => database.drop());

const stream = () => `thing-${randomUUID()}`;
const append = (streamId: string, events: NewEvent[] = [newEvent()]) =>
  store.append({ streamId, streamType: 'Thing', expectedVersion: 0, events });

/**
 * Starts `appends` while both groups are in flight (two appends waiting on streams another
 * session holds), so that all of them wait and go out as one group once those are let go;
 * answers once they went out, with each one's outcome to come.
 */
async function sendAsOneGroup(
  appends: (() => Promise<AppendResult>)[],
): Promise<Promise<PromiseSettledResult<AppendResult>>[]> {
  const heldStreams = [stream(), stream()];
  const held = await holdStreams(pool, heldStreams);
  const inFlight = heldStreams.map((id) => append(id));
  await waitingOnStreams(pool, 2);
  const outcomes = appends.map((start) => Promise.allSettled([start()]).then(([outcome]) => outcome));
  await held.release();
  await Promise.all(inFlight);
  return outcomes;
}

async function inOneGroup(appends: (() => Promise<AppendResult>)[]): Promise<PromiseSettledResult<AppendResult>[]> {
  return Promise.all(await sendAsOneGroup(appends));
}

async function storedVersions(streamIds: string[]): Promise<number[]> {
  return Promise.all(streamIds.map(async (id) => (await store.readStream(id)).length));
}

function rejections(outcomes: PromiseSettledResult<AppendResult>[]): unknown[] {
  return outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
}

it('stores 40 appends grouped with one whose stream id is too long for its index, and fails that one only (54000)', async () => {
  const good = Array.from({ length: 40 }, stream);
  // Random, so that PostgreSQL cannot compress it under the index's 2,704-byte row limit.
  const tooLong = randomBytes(4000).toString('hex');
  const streams = [...good.slice(0, 20), tooLong, ...good.slice(20)];

  const outcomes = await inOneGroup(streams.map((id) => () => append(id)));

  expect(rejections(outcomes)).toEqual([expect.objectContaining({ code: '54000' })]);
  expect(outcomes[20].status).toBe('rejected');
  expect(await storedVersions(good)).toEqual(good.map(() => 1));
  expect(await storedVersions([tooLong])).toEqual([0]);
});

describe('with a deferred trigger that refuses one event at commit', () => {
  beforeAll(async () => {
    await pool.query(`
      CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.type = 'Poison' THEN
          RAISE EXCEPTION 'poison in %', NEW.stream_id;
        END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER refuse_poison AFTER INSERT ON events
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
  });
  afterAll(() => pool.query('DROP TRIGGER refuse_poison ON events; DROP FUNCTION refuse_poison()'));

  it('stores the 29 appends grouped with it, and fails that one only, with its own error (P0001)', async () => {
    const streams = Array.from({ length: 30 }, stream);
    const poisoned = streams[10];

    const outcomes = await inOneGroup(
      streams.map((id) => () => append(id, [newEvent(id === poisoned ? 'Poison' : 'Happened')])),
    );

    expect(rejections(outcomes)).toEqual([
      expect.objectContaining({ code: 'P0001', message: `poison in ${poisoned}` }),
    ]);
    expect(outcomes[10].status).toBe('rejected');
    expect(await storedVersions(streams)).toEqual(streams.map((id) => (id === poisoned ? 0 : 1)));
  });
});

// A group waits on the lock of one member's stream, held by another session, when its
// statement is cancelled or its connection cut: its appends go again, each alone.
it.each([
  ['cancelled', 'pg_cancel_backend'],
  ['cut off', 'pg_terminate_backend'],
])('stores every append of a group whose statement was %s', async (_, end) => {
  const streams = Array.from({ length: 20 }, stream);
  const lock = await holdStreams(pool, [streams[7]]);
  try {
    const outcomes = await sendAsOneGroup(streams.map((id) => () => append(id)));
    await waitingOnStreams(pool, 1);
    const { rows } = await pool.query(`SELECT ${end}(pid) AS ended FROM pg_locks
                                        WHERE locktype = 'advisory' AND NOT granted
                                          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
    expect(rows).toEqual([{ ended: true }]);
    await lock.release();

    expect(await Promise.all(outcomes)).toEqual(
      streams.map(() => ({ status: 'fulfilled', value: expect.objectContaining({ version: 1, duplicate: false }) })),
    );
    expect(await storedVersions(streams)).toEqual(streams.map(() => 1));
  } finally {
    await lock.release();
  }
});
