import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { newEvent } from '../../../test/support/event-store-contract.js';
import { DomainEvent } from '../domain/domain-event.decorator.js';
import type { StoredEvent } from '../store/event-store.js';
import { InMemoryEventStore } from '../store/in-memory-event-store.js';
import { Follower, Handles, HandlesBatches, handlersOf } from './follower.decorator.js';
import { FollowerDispatch } from './follower-dispatch.js';
import { FollowerFailure } from './follower-retry.js';

const TICKED = 'TestDispatchTicked';

@DomainEvent(TICKED)
class Ticked {
  readonly n!: number;
}

@Follower('ticks')
class Ticks {
  handled: number[] = [];
  @Handles(Ticked)
  tick(event: Ticked): void {
    if (event.n === 3) throw new Error('cannot handle 3');
    this.handled.push(event.n);
  }
}

@Follower('tick-batches')
class TickBatches {
  batches: number[][] = [];
  @HandlesBatches()
  async take(events: StoredEvent[]): Promise<void> {
    if (events.some((e) => e.data.n === 3)) throw new Error('cannot handle 3');
    this.batches.push(events.map((e) => e.position));
  }
}

const manager = {} as EntityManager;
const logger = new Logger('test');
jest.spyOn(logger, 'debug').mockImplementation(() => undefined);

/** The log: ticks 1 and 2, another type between them, then ticks 3 and 4. */
async function log(): Promise<StoredEvent[]> {
  const store = new InMemoryEventStore();
  const events = [
    newEvent(TICKED, { n: 1 }),
    newEvent('SomethingElse'),
    newEvent(TICKED, { n: 2 }),
    newEvent(TICKED, { n: 3 }),
    newEvent(TICKED, { n: 4 }),
  ];
  await store.append({ streamId: 'ticks', streamType: 'Test', expectedVersion: 0, events });
  return store.readLog(0, events.length);
}

async function failureOf(work: Promise<void>): Promise<FollowerFailure> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FollowerFailure);
  return error as FollowerFailure;
}

describe('FollowerDispatch', () => {
  it('hands each event to the handler of its type, skipping the others, and stops at a failing one', async () => {
    const [one, other, two, three, four] = await log();
    const follower = new Ticks();
    const dispatch = new FollowerDispatch('ticks', handlersOf(follower), logger);
    expect(dispatch.batched).toBe(false);
    expect([one, other].map((event) => dispatch.handles(event))).toEqual([true, false]);

    await dispatch.all([one, other, two], manager);
    expect(follower.handled).toEqual([1, 2]);

    const failure = await failureOf(dispatch.all([three, four], manager));
    expect(failure.failure).toMatchObject({ position: three.position, type: TICKED, message: 'cannot handle 3' });
    expect(failure.cause).toEqual(new Error('cannot handle 3'));
    expect(follower.handled).toEqual([1, 2]);
  });

  it("hands a batch handler the whole batch, and puts its failure at the batch's first event", async () => {
    const [one, other, two, three] = await log();
    const follower = new TickBatches();
    const dispatch = new FollowerDispatch('tick-batches', handlersOf(follower), logger);
    expect(dispatch.batched).toBe(true);

    await dispatch.all([one, other], manager);
    expect(follower.batches).toEqual([[one.position, other.position]]);

    const failure = await failureOf(dispatch.all([two, three], manager));
    expect(failure.failure).toMatchObject({ position: two.position, message: 'cannot handle 3' });
  });
});
