import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckpointMovedError, type CheckpointStore, type EventStore, type FollowerError } from '#event-sourcing';
import { newEvent } from './event-store-contract.js';

/** A checkpoint store to test, with the log its lag is measured against and its kind of transaction. */
export interface CheckpointStoreUnderTest<Transaction> {
  checkpoints: CheckpointStore<Transaction>;
  log: EventStore;
  /** Runs `work` in a transaction the store's writes can join: committed when it resolves, rolled back when it throws. */
  transaction<R>(work: (transaction: Transaction) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

/** Longer than a write that does not wait takes, on a machine shared with other tests. */
const WAIT_MS = 200;

/**
 * The promises every checkpoint store keeps, run against each implementation (the
 * in-memory one in unit tests, PostgreSQL in integration tests).
 */
export function checkpointStoreContract<Transaction>(open: () => Promise<CheckpointStoreUnderTest<Transaction>>): void {
  let checkpoints: CheckpointStore<Transaction>;
  let subject: CheckpointStoreUnderTest<Transaction>;
  beforeAll(async () => {
    subject = await open();
    checkpoints = subject.checkpoints;
  });
  afterAll(() => subject.close());

  /** A follower of its own per test, created at 0. */
  const follower = async (): Promise<string> => {
    const name = `follower-${randomUUID()}`;
    await checkpoints.create([name]);
    return name;
  };
  const failure = (position: number): FollowerError => ({
    position,
    type: 'Happened',
    message: `cannot handle ${position}`,
    at: new Date().toISOString(),
  });
  const statusOf = async (name: string) => (await checkpoints.statuses()).find((status) => status.name === name);
  /** Settles like `promise`, and says meanwhile whether it has. */
  const watched = (promise: Promise<void>) => {
    const watch = { settled: false, promise };
    promise.then(
      () => (watch.settled = true),
      () => (watch.settled = true),
    );
    return watch;
  };

  it('has no checkpoint for a follower until it is created at 0, and creating it again keeps where it is', async () => {
    const name = `follower-${randomUUID()}`;
    expect(await checkpoints.position(name)).toBeUndefined();
    expect(await statusOf(name)).toBeUndefined();

    await checkpoints.create([name]);
    expect(await checkpoints.position(name)).toBe(0);
    await checkpoints.move(name, 0, 12);
    await checkpoints.create([name, `follower-${randomUUID()}`]);
    expect(await checkpoints.position(name)).toBe(12);
  });

  it('moves a checkpoint from where it is, and stamps the move', async () => {
    const name = await follower();
    const before = (await statusOf(name))!.updatedAt;
    await sleep(5);

    await checkpoints.move(name, 0, 7);
    await checkpoints.move(name, 7, 9);
    expect(await checkpoints.position(name)).toBe(9);
    expect((await statusOf(name))!.updatedAt.getTime()).toBeGreaterThan(before.getTime());
  });

  it('refuses a move from anywhere else with a CheckpointMovedError, and changes nothing', async () => {
    const name = await follower();
    await checkpoints.move(name, 0, 5);
    await checkpoints.recordFailure(name, failure(6));
    const before = await statusOf(name);

    const stale = checkpoints.move(name, 0, 8);
    await expect(stale).rejects.toBeInstanceOf(CheckpointMovedError);
    await expect(stale).rejects.toMatchObject({ follower: name, expected: 0 });
    await expect(checkpoints.move(name, 6, 8)).rejects.toBeInstanceOf(CheckpointMovedError);
    expect(await statusOf(name)).toEqual(before);

    const missing = `follower-${randomUUID()}`;
    await expect(checkpoints.move(missing, 0, 1)).rejects.toBeInstanceOf(CheckpointMovedError);
    expect(await checkpoints.position(missing)).toBeUndefined();
  });

  it('moves a checkpoint with the transaction it is moved in: not seen before it commits, undone when it rolls back', async () => {
    const name = await follower();
    await subject.transaction(async (transaction) => {
      await checkpoints.move(name, 0, 3, transaction);
      await checkpoints.move(name, 3, 4, transaction);
      expect(await checkpoints.position(name)).toBe(0);
    });
    expect(await checkpoints.position(name)).toBe(4);

    await checkpoints.recordFailure(name, failure(5));
    const before = await statusOf(name);
    await expect(
      subject.transaction(async (transaction) => {
        await checkpoints.move(name, 4, 10, transaction);
        throw new Error('the handler failed after the move');
      }),
    ).rejects.toThrow('the handler failed after the move');
    expect(await statusOf(name)).toEqual(before);
    // The move from 4 is still the one to make.
    await checkpoints.move(name, 4, 10);
    expect(await checkpoints.position(name)).toBe(10);
  });

  it('makes a second mover wait for the transaction that moved the checkpoint, then refuses it', async () => {
    const name = await follower();
    let second!: ReturnType<typeof watched>;
    await subject.transaction(async (transaction) => {
      await checkpoints.move(name, 0, 5, transaction);
      second = watched(checkpoints.move(name, 0, 6));
      await sleep(WAIT_MS);
      expect(second.settled).toBe(false);
    });
    await expect(second.promise).rejects.toBeInstanceOf(CheckpointMovedError);
    expect(await checkpoints.position(name)).toBe(5);
  });

  it('claims a greater lease token each time; a move carrying an older one is refused, even from where the checkpoint is', async () => {
    const name = await follower();
    const first = await checkpoints.claim(name);
    await checkpoints.move(name, 0, 3, undefined, first);
    // Greater than any claimed before, of any checkpoint: one deleted and created again refuses old tokens too.
    expect(await checkpoints.claim(await follower())).toBeGreaterThan(first);
    const second = await checkpoints.claim(name);
    expect(second).toBeGreaterThan(first + 1);

    const stale = checkpoints.move(name, 3, 5, undefined, first);
    await expect(stale).rejects.toBeInstanceOf(CheckpointMovedError);
    await expect(stale).rejects.toMatchObject({ follower: name, expected: 3 });
    await expect(
      subject.transaction((transaction) => checkpoints.move(name, 3, 5, transaction, first)),
    ).rejects.toBeInstanceOf(CheckpointMovedError);
    expect(await checkpoints.position(name)).toBe(3);

    await checkpoints.move(name, 3, 5, undefined, second);
    // A move without a token is not fenced (a rebuild, a follower of another service's log).
    await checkpoints.move(name, 5, 6);
    expect(await checkpoints.position(name)).toBe(6);
    await expect(checkpoints.claim(`follower-${randomUUID()}`)).rejects.toThrow('has no checkpoint');
  });

  it('makes a claim wait for the transaction that moved the checkpoint: that move counts, no later one with the old token', async () => {
    const name = await follower();
    const old = await checkpoints.claim(name);
    let claim!: Promise<number>;
    await subject.transaction(async (transaction) => {
      await checkpoints.move(name, 0, 5, transaction, old);
      claim = checkpoints.claim(name);
      const watch = watched(claim.then(() => undefined));
      await sleep(WAIT_MS);
      expect(watch.settled).toBe(false);
    });
    const claimed = await claim;
    expect(await checkpoints.position(name)).toBe(5);
    await expect(checkpoints.move(name, 5, 6, undefined, old)).rejects.toBeInstanceOf(CheckpointMovedError);
    await checkpoints.move(name, 5, 6, undefined, claimed);
    expect(await checkpoints.position(name)).toBe(6);
  });

  it('lets a held checkpoint be set by its holder alone: other moves wait, then go by what it left', async () => {
    const name = await follower();
    await checkpoints.recordFailure(name, failure(1));
    let waiting!: ReturnType<typeof watched>;
    await subject.transaction(async (transaction) => {
      await checkpoints.hold(name, transaction);
      waiting = watched(checkpoints.move(name, 0, 3));
      await sleep(WAIT_MS);
      expect(waiting.settled).toBe(false);
      await checkpoints.reset(name, 20, transaction);
    });
    await expect(waiting.promise).rejects.toBeInstanceOf(CheckpointMovedError);
    expect(await statusOf(name)).toMatchObject({ position: 20, lastError: null });

    // A holder that rolls back leaves the checkpoint as it was, and the move that waited goes through.
    await expect(
      subject.transaction(async (transaction) => {
        await checkpoints.hold(name, transaction);
        waiting = watched(checkpoints.move(name, 20, 21));
        await sleep(WAIT_MS);
        expect(waiting.settled).toBe(false);
        await checkpoints.reset(name, 0, transaction);
        throw new Error('the rebuild failed');
      }),
    ).rejects.toThrow('the rebuild failed');
    await waiting.promise;
    expect(await checkpoints.position(name)).toBe(21);
  });

  it('resets a checkpoint to any position, backwards too, clearing its failure', async () => {
    const name = await follower();
    await checkpoints.move(name, 0, 40);
    await checkpoints.recordFailure(name, failure(41));

    await checkpoints.reset(name, 15);
    expect(await statusOf(name)).toMatchObject({ position: 15, lastError: null });
    await checkpoints.move(name, 15, 16);
    expect(await checkpoints.position(name)).toBe(16);

    const missing = `follower-${randomUUID()}`;
    await checkpoints.reset(missing, 3);
    expect(await checkpoints.position(missing)).toBeUndefined();
  });

  it('records the event a follower is stuck at without moving it, until its next move', async () => {
    const name = await follower();
    await checkpoints.move(name, 0, 2);
    const stuck = failure(3);
    await checkpoints.recordFailure(name, stuck);
    expect(await statusOf(name)).toMatchObject({ position: 2, lastError: stuck });
    await checkpoints.recordFailure(name, { ...stuck, message: 'still failing' });
    expect((await statusOf(name))!.lastError).toEqual({ ...stuck, message: 'still failing' });

    await checkpoints.move(name, 2, 3);
    expect(await statusOf(name)).toMatchObject({ position: 3, lastError: null });
  });

  it('keeps each follower apart: moving, failing or resetting one leaves the others as they are', async () => {
    const [a, b] = [await follower(), await follower()];
    await checkpoints.move(b, 0, 1);
    const untouched = await statusOf(b);

    await checkpoints.move(a, 0, 8);
    await checkpoints.recordFailure(a, failure(9));
    await checkpoints.reset(a, 2);
    await subject.transaction(async (transaction) => {
      await checkpoints.hold(a, transaction);
      await checkpoints.move(a, 2, 4, transaction);
      // Another follower's checkpoint is not held by it.
      await checkpoints.move(b, 1, 2);
    });
    expect(await checkpoints.position(a)).toBe(4);
    expect(await statusOf(b)).toEqual({ ...untouched, position: 2, updatedAt: expect.any(Date) });
  });

  it('lists every checkpoint in name order with the log after it: its head, and when the next event was recorded', async () => {
    const prefix = `follower-${randomUUID()}`;
    const [behind, caughtUp] = [`${prefix}-a`, `${prefix}-b`];
    await checkpoints.create([caughtUp, behind]);
    const streamId = `stream-${randomUUID()}`;
    const events = [newEvent(), newEvent(), newEvent()];
    await subject.log.append({ streamId, streamType: 'Thing', expectedVersion: 0, events });
    const [first, next, last] = await subject.log.readStream(streamId);
    await checkpoints.move(caughtUp, 0, last.position);
    await checkpoints.move(behind, 0, first.position);

    const statuses = (await checkpoints.statuses()).filter((status) => status.name.startsWith(prefix));
    expect(statuses).toEqual([
      {
        name: behind,
        position: first.position,
        lastError: null,
        updatedAt: expect.any(Date),
        head: last.position,
        nextRecordedAt: next.recordedAt,
        heldBack: expect.any(Boolean),
      },
      {
        name: caughtUp,
        position: last.position,
        lastError: null,
        updatedAt: expect.any(Date),
        head: last.position,
        nextRecordedAt: null,
        heldBack: false,
      },
    ]);
  });
}
