import type { EventBus } from '@nestjs/cqrs';
import { Applies } from '../domain/applies.decorator.js';
import { DomainEvent } from '../domain/domain-event.decorator.js';
import { ConcurrencyError, IdempotencyKeyReusedError, UnreadableEventError } from '../domain/errors.js';
import { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import { WriteStats } from '../observability/write-stats.js';
import type { AppendRequest } from '../store/event-store.js';
import { InMemoryEventStore } from '../store/in-memory-event-store.js';
import { AggregateRepository } from './aggregate-repository.js';
import { IdGenerator } from './clock.js';
import { Command, type CommandContext, type CommandResult } from './command-context.js';

@DomainEvent('TestCounterIncremented')
class Incremented {
  constructor(readonly by: number) {}
}

class Counter extends EventSourcedAggregate {
  static readonly streamType = 'TestCounter';
  total = 0;

  static start(id: string): Counter {
    const counter = new Counter(id);
    counter.apply(new Incremented(0));
    return counter;
  }

  increment(by: number): void {
    this.apply(new Incremented(by));
  }

  @Applies(Incremented)
  onTestCounterIncremented(event: Incremented): void {
    this.total += event.by;
  }
}

// Results of every shape: each test decides what its commands answer.
class Increment extends Command<CommandResult> {
  constructor(
    readonly by: number,
    readonly context: CommandContext,
  ) {
    super();
  }
}

let store: InMemoryEventStore;
let published: object[];
let repository: AggregateRepository<Counter>;
let stats: WriteStats;

const context = (extra: Partial<CommandContext> = {}): CommandContext => ({
  commandId: 'command-1',
  correlationId: 'correlation-1',
  ...extra,
});
const increment = (by: number, extra: Partial<CommandContext> = {}) =>
  repository.update(new Increment(by, context(extra)), 'c-1', (counter) => {
    counter.increment(by);
    return { total: counter.total };
  });

beforeEach(async () => {
  store = new InMemoryEventStore();
  published = [];
  const eventBus = { publishAll: (events: object[]) => published.push(...events) } as unknown as EventBus;
  stats = new WriteStats();
  repository = new AggregateRepository(Counter, store, eventBus, new IdGenerator(), 3, undefined, stats);
  await repository.create(new Increment(0, context()), () => ({ aggregate: Counter.start('c-1'), result: {} }));
});

describe('AggregateRepository', () => {
  it('appends the new events with the command as metadata, then publishes them', async () => {
    const outcome = await increment(5, { idempotencyKey: 'key-1' });

    expect(outcome).toEqual({ id: 'c-1', version: 2, position: 2, result: { total: 5 } });
    const [, stored] = await store.readStream('c-1');
    expect(stored).toMatchObject({ type: 'TestCounterIncremented', data: { by: 5 } });
    expect(stored.metadata).toEqual({
      correlationId: 'correlation-1',
      causationId: 'command-1',
      idempotencyKey: 'key-1',
    });
    expect(published).toEqual([new Incremented(0), new Incremented(5)]);
  });

  it('answers a repeated idempotency key with the first outcome and appends nothing', async () => {
    const first = await increment(5, { idempotencyKey: 'key-1' });
    const again = await increment(5, { idempotencyKey: 'key-1', commandId: 'command-2' });

    expect(again).toEqual(first);
    expect(await store.streamVersion('c-1')).toBe(2);
    await expect(increment(6, { idempotencyKey: 'key-1' })).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it("keeps the keys of two scopes apart, and metadata and refusals name the caller's own key", async () => {
    const alice = { idempotencyKey: 'key-1', idempotencyScope: 'alice' };
    const first = await increment(5, alice);
    const bobs = await increment(5, { idempotencyKey: 'key-1', idempotencyScope: 'bob' });
    const unscoped = await increment(5, { idempotencyKey: 'key-1' });

    expect([first.version, bobs.version, unscoped.version]).toEqual([2, 3, 4]);
    expect(await increment(5, alice)).toEqual(first);
    expect((await store.readStream('c-1', { fromVersion: 2 })).map((e) => e.metadata.idempotencyKey)).toEqual([
      'key-1',
      'key-1',
      'key-1',
    ]);
    await expect(increment(6, alice)).rejects.toThrow('"key-1"');
  });

  it('forgets a key once it expired: a repeat then runs again', async () => {
    let now = new Date('2026-12-01T00:00:00Z');
    store = new InMemoryEventStore(() => now, 60_000);
    repository = new AggregateRepository(
      Counter,
      store,
      { publishAll: () => undefined } as unknown as EventBus,
      new IdGenerator(),
      3,
    );
    await repository.create(new Increment(0, context()), () => ({ aggregate: Counter.start('c-1'), result: {} }));
    const first = await increment(5, { idempotencyKey: 'key-1' });

    now = new Date(now.getTime() + 59_999);
    expect(await increment(5, { idempotencyKey: 'key-1' })).toEqual(first);
    now = new Date(now.getTime() + 2);
    expect(await increment(5, { idempotencyKey: 'key-1' })).toMatchObject({ version: 3, result: { total: 10 } });
    expect(await increment(6, { idempotencyKey: 'key-1' }).catch((error: unknown) => error)).toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
  });

  it('refuses a pinned version that is not the current one, without retrying', async () => {
    await expect(increment(1, { expectedVersion: 5 })).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await increment(1, { expectedVersion: 1 })).toMatchObject({ version: 2 });
    expect(stats.conflicts.get('TestCounter')).toBe(1);
    expect(stats.retries.get('TestCounter')).toBeUndefined();
  });

  it('retries on fresh state when another writer appended first', async () => {
    const append = store.append.bind(store);
    let interfered = false;
    store.append = async (request: AppendRequest) => {
      if (!interfered) {
        interfered = true;
        await append({ ...request, events: [{ ...request.events[0], id: 'other-writer', data: { by: 100 } }] });
      }
      return append(request);
    };

    expect(await increment(1)).toMatchObject({ version: 3, result: { total: 101 } });
    // The other writer went around the repository: only the start and this command count.
    expect(stats.appended.get('TestCounter')).toBe(2);
    expect(stats.conflicts.get('TestCounter')).toBe(1);
    expect(stats.retries.get('TestCounter')).toBe(1);
  });

  it('gives up after the configured number of retries', async () => {
    let attempts = 0;
    store.append = async (request: AppendRequest) => {
      attempts++;
      throw new ConcurrencyError(request.streamId, 1, 2);
    };

    await expect(increment(1)).rejects.toBeInstanceOf(ConcurrencyError);
    expect(attempts).toBe(4);
    expect(stats.conflicts.get('TestCounter')).toBe(4);
    expect(stats.retries.get('TestCounter')).toBe(3);
  });

  it('loads the state at a version or an instant', async () => {
    await increment(2);
    await increment(3);
    expect((await repository.get('c-1', { version: 2 })).total).toBe(2);
    const [, , third] = await store.readStream('c-1');
    expect((await repository.get('c-1', { asOf: third.recordedAt })).total).toBe(5);
    expect(await repository.load('c-1', { asOf: new Date(0) })).toBeUndefined();
  });

  it('does not load a stream of another aggregate type', async () => {
    await store.append({
      streamId: 'other',
      streamType: 'Else',
      expectedVersion: 0,
      events: [
        { id: 'e', type: 'TestCounterIncremented', schemaVersion: 1, data: { by: 1 }, metadata: context() as never },
      ],
    });
    expect(await repository.load('other')).toBeUndefined();
  });

  it('names the stored event it cannot read', async () => {
    await store.append({
      streamId: 'c-1',
      streamType: 'TestCounter',
      expectedVersion: 'any',
      events: [{ id: 'x', type: 'NoSuchEvent', schemaVersion: 1, data: {}, metadata: context() as never }],
    });
    await expect(repository.load('c-1')).rejects.toThrow(
      new UnreadableEventError(2, 'NoSuchEvent', 1, 'no class is registered for this type'),
    );
  });
});
