import type { EntityManager } from 'typeorm';
import { DomainEvent } from '../domain/domain-event.decorator.js';
import type { StoredEvent } from '../store/event-store.js';
import {
  FOLLOWER,
  Follower,
  Handles,
  HandlesBatches,
  handlersOf,
  type BatchEvent,
  type FollowerMetadata,
} from './follower.decorator.js';

@DomainEvent('TestBatchPinged')
class Pinged {
  readonly n!: number;
}

@DomainEvent('TestBatchPonged')
class Ponged {
  readonly n!: number;
}

const stored = (position: number, type: string): StoredEvent => ({
  id: `id-${position}`,
  type,
  schemaVersion: 1,
  data: { n: position },
  metadata: { correlationId: 'c', causationId: 'c' },
  position,
  streamId: 's',
  streamType: 'Test',
  version: position,
  recordedAt: new Date(0),
});

const log = [stored(1, 'TestBatchPinged'), stored(2, 'TestBatchPonged'), stored(3, 'SomethingElse')];
const context = { manager: {} as EntityManager };

describe('handlersOf a follower with a batch handler', () => {
  it('gives the batch handler its event classes only, rebuilt, with their envelopes', async () => {
    @Follower('typed')
    class Typed {
      got: BatchEvent[] = [];
      @HandlesBatches(Pinged)
      async take(events: BatchEvent[]): Promise<void> {
        this.got.push(...events);
      }
    }
    const follower = new Typed();
    const { byType, batch } = handlersOf(follower);
    expect(byType.size).toBe(0);
    await batch!(log, context);
    expect(follower.got).toHaveLength(1);
    expect(follower.got[0].event).toBeInstanceOf(Pinged);
    expect(follower.got[0].event).toEqual({ n: 1 });
    expect(follower.got[0].envelope).toBe(log[0]);

    // A batch with none of its classes does not call it.
    await batch!([log[2]], context);
    expect(follower.got).toHaveLength(1);
  });

  it('gives a batch handler that names no class every event as stored', async () => {
    @Follower('raw', { transactional: false })
    class Raw {
      got: StoredEvent[] = [];
      @HandlesBatches()
      async take(events: StoredEvent[]): Promise<void> {
        this.got.push(...events);
      }
    }
    const follower = new Raw();
    await handlersOf(follower).batch!(log, context);
    expect(follower.got).toEqual(log);
  });

  it('refuses a follower with both kinds of handler', () => {
    @Follower('both')
    class Both {
      @Handles(Ponged)
      one(): void {}

      @HandlesBatches(Pinged)
      async many(): Promise<void> {}
    }
    expect(() => handlersOf(new Both())).toThrow('Both has both @Handles and @HandlesBatches methods');
  });
});

describe('@Follower concurrency', () => {
  const metadataOf = (target: object) => Reflect.getMetadata(FOLLOWER.KEY, target) as FollowerMetadata;

  it('is 1 unless given, and taken by a follower outside a transaction', () => {
    @Follower('one-at-a-time')
    class OneAtATime {}
    @Follower('side-by-side', { transactional: false, concurrency: 8 })
    class SideBySide {}
    expect(metadataOf(OneAtATime).concurrency).toBe(1);
    expect(metadataOf(SideBySide)).toMatchObject({ transactional: false, concurrency: 8 });
  });

  it('is refused for a transactional follower, and when not a whole number of at least 1', () => {
    expect(() => Follower('view', { concurrency: 2 })).toThrow(/only a follower with transactional: false/);
    for (const concurrency of [0, -1, 1.5, Number.NaN])
      expect(() => Follower('process', { transactional: false, concurrency })).toThrow(/whole number of at least 1/);
  });
});
