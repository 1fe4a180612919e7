import { AssertionError } from 'node:assert/strict';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { DomainEvent } from '../domain/domain-event.decorator.js';
import type { StoredEvent } from '../store/event-store.js';
import { Follower, Handles, type FollowerContext } from '../subscriptions/follower.decorator.js';
import { ProcessManagerSpec } from './process-manager-spec.js';
import { specEventId, stream } from './spec-log.js';

@DomainEvent('TestSpecOrdered')
class Ordered {
  constructor(readonly item: string) {}
}

@DomainEvent('TestSpecAudited')
class Audited {}

class Reserve {
  constructor(
    readonly item: string,
    readonly causedBy: string,
  ) {}
}

class Backorder {
  constructor(readonly item: string) {}
}

class Stock {
  constructor(readonly item: string) {}
}

class OutOfStock extends Error {}

@Follower('test-ordering', { transactional: false })
class Ordering {
  readonly seen: StoredEvent[] = [];

  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Handles(Ordered)
  async ordered({ item }: Ordered, { envelope }: FollowerContext): Promise<void> {
    this.seen.push(envelope);
    if ((await this.queries.execute<Stock, number>(new Stock(item))) === 0) return;
    try {
      await this.commands.execute(new Reserve(item, envelope.id));
    } catch (error) {
      if (!(error instanceof OutOfStock)) throw error;
      await this.commands.execute(new Backorder(item));
    }
  }

  @Handles(Audited)
  async audited(_: Audited, { manager }: FollowerContext): Promise<void> {
    await manager.query('SELECT 1');
  }
}

@Follower('test-view')
class AView {}

const instances: Ordering[] = [];
const spec = new ProcessManagerSpec(({ commands, queries }) => {
  const ordering = new Ordering(commands, queries);
  instances.push(ordering);
  return ordering;
});
const inStock = (count: number) => () => count;

describe('ProcessManagerSpec', () => {
  it('builds the process manager on buses that record each command and answer each query as told', async () => {
    await spec
      .given(stream('o-1', new Ordered('tea')), stream('o-2', new Ordered('milk')))
      .answer(Stock, ({ item }) => (item === 'tea' ? 3 : 0))
      .then(new Reserve('tea', specEventId(1)));
    await spec
      .given({ ...stream('o-1', new Ordered('tea')), ids: ['e-1'] })
      .answer(Stock, inStock(1))
      .then(new Reserve('tea', 'e-1'));
  });

  it('hands each event over with its envelope, to a new instance per case', async () => {
    instances.length = 0;
    await spec
      .given({ ...stream('o-1', new Ordered('tea')), metadata: { correlationId: 'c-1' }, streamType: 'Order' })
      .answer(Stock, inStock(0))
      .then();
    await spec
      .given(stream('o-1', new Ordered('tea')))
      .answer(Stock, inStock(0))
      .then();
    expect(instances).toHaveLength(2);
    expect(instances[0].seen).toEqual([
      {
        id: specEventId(1),
        type: 'TestSpecOrdered',
        schemaVersion: 1,
        data: { item: 'tea' },
        metadata: { correlationId: 'c-1', causationId: 'command' },
        position: 1,
        streamId: 'o-1',
        streamType: 'Order',
        version: 1,
        recordedAt: new Date('2026-01-01T00:00:00Z'),
      },
    ]);
  });

  it('refuses commands as told, and records the refused ones too', async () => {
    await spec
      .given(stream('o-1', new Ordered('tea')))
      .answer(Stock, inStock(1))
      .refuse(Reserve, ({ item }) => new OutOfStock(item))
      .then(new Reserve('tea', specEventId(1)), new Backorder('tea'));
  });

  it('fails on other commands, or on a handler that failed', async () => {
    await expect(
      spec
        .given(stream('o-1', new Ordered('tea')))
        .answer(Stock, inStock(1))
        .then(new Backorder('tea')),
    ).rejects.toBeInstanceOf(AssertionError);
    await expect(spec.given(stream('o-1', new Ordered('tea'))).then()).rejects.toThrow(
      'Ordering failed at position 1 (TestSpecOrdered): The spec gives no answer to Stock: add .answer(Stock, (query) => ...)',
    );
  });

  it('reports the error a handler stopped at, or fails when none did', async () => {
    const outage = new Error('the stock service is down');
    await expect(
      spec
        .given(stream('o-1', new Ordered('tea')))
        .answer(Stock, inStock(1))
        .refuse(Reserve, outage)
        .thenThrows(),
    ).resolves.toBe(outage);
    await expect(
      spec
        .given(stream('o-1', new Ordered('tea')))
        .answer(Stock, inStock(0))
        .thenThrows(),
    ).rejects.toThrow('Expected Ordering to fail, but it handled every event');
  });

  it('has no database to give a handler', async () => {
    await spec.given(stream('o-1', new Audited())).thenThrows(/has no database: a handler used context.manager.query/);
  });

  it('takes non-transactional followers only', async () => {
    await expect(new ProcessManagerSpec(() => new AView()).given().then()).rejects.toThrow(
      'AView is a projection (transactional): give it a ProjectionSpec',
    );
  });
});
