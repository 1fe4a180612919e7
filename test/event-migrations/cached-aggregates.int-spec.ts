import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { EventBus } from '@nestjs/cqrs';
import {
  AggregateRepository,
  IdGenerator,
  PlainEventCodec,
  reencode,
  type Command,
  type CommandContext,
  type CommandResult,
  type EventMigration,
} from '#event-sourcing';
import {
  Applies,
  DomainEvent,
  DomainRuleViolation,
  EventSourcedAggregate,
  type SnapshotSettings,
} from '#event-sourcing/domain';
import { PostgresEventStore, PostgresSnapshotStore, runEventMigration } from '#event-sourcing/postgres';
import { rewriteHistory } from '../../src/event-sourcing/migration/history-generation.js';
import { createMigratedDatabase } from '../support/test-database.js';
import { until } from '../support/until.js';

@DomainEvent('TestWalletDeposited')
class Deposited {
  constructor(readonly amount: number) {}
}

@DomainEvent('TestWalletWithdrawn')
class Withdrawn {
  constructor(readonly amount: number) {}
}

class OverLimit extends DomainRuleViolation {
  readonly code = 'over_limit';
}

const LIMIT = -100;

/** A balance that may not go below LIMIT: the rule a decision on a stale state breaks. */
class Wallet extends EventSourcedAggregate {
  static readonly streamType = 'TestWallet';
  static readonly events = [Deposited, Withdrawn];
  static readonly snapshots: SnapshotSettings = { version: 1, every: 5 };
  balance = 0;

  withdraw(amount: number): { balance: number } {
    if (this.balance - amount < LIMIT) throw new OverLimit(`${this.balance} - ${amount} passes ${LIMIT}`);
    this.apply(new Withdrawn(amount));
    return { balance: this.balance };
  }

  @Applies(Deposited)
  onDeposited(event: Deposited): void {
    this.balance += event.amount;
  }

  @Applies(Withdrawn)
  onWithdrawn(event: Withdrawn): void {
    this.balance -= event.amount;
  }
}

/** Deposits were stored at twice their amount: the fix halves them, in place or in a copy. */
const halveDeposits: EventMigration = {
  name: 'halve-deposits',
  description: 'TestWalletDeposited amounts halved',
  transform: (event) =>
    event.type === 'TestWalletDeposited' && !event.metadata.halved
      ? { ...event, data: { amount: (event.data.amount as number) / 2 }, metadata: { ...event.metadata, halved: true } }
      : event,
};

let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
beforeAll(async () => (database = await createMigratedDatabase()));
afterAll(() => database.drop());
afterEach(() => jest.restoreAllMocks());

const context: CommandContext = { commandId: 'command-1', correlationId: 'correlation-1' };
const command = { context } as Command<CommandResult>;
const eventBus = { publishAll: () => undefined } as unknown as EventBus;
const codec = new PlainEventCodec();

/** One instance's repository, with its own cache and store, on the shared database. */
const instance = (cacheSize = 100, store = new PostgresEventStore(database.pool, { codec })) =>
  // As many retries as the app's default: the test's withdrawals at once conflict by design.
  new AggregateRepository(Wallet, store, eventBus, new IdGenerator(), 20, {
    store: new PostgresSnapshotStore(database.pool),
    every: 5,
    cacheSize,
  });

async function open(repository: AggregateRepository<Wallet>, deposits: number[]): Promise<string> {
  const id = `wallet-${randomUUID()}`;
  await repository.create(command, () => {
    const wallet = new Wallet(id);
    for (const amount of deposits) wallet.apply(new Deposited(amount));
    return { aggregate: wallet, result: {} };
  });
  return id;
}

const withdraw = (repository: AggregateRepository<Wallet>, id: string, amount: number) =>
  repository.update(command, id, (wallet) => wallet.withdraw(amount));

/** The balance a replay of every stored event gives, with no cache and no snapshot. */
const replayed = async (id: string) => (await instance(0).get(id)).balance;

const migrations = {
  'in place': () => runEventMigration(database.pool, codec, halveDeposits, { log: () => undefined, restart: true }),
  'by copy and --swap': async () => {
    await database.pool.query('DROP TABLE IF EXISTS wallets_copy, events_before_halve_deposits');
    return runEventMigration(database.pool, codec, halveDeposits, {
      into: 'wallets_copy',
      swap: true,
      restart: true,
      log: () => undefined,
    });
  },
};

describe.each(Object.entries(migrations))('cached aggregates after a rewrite of history %s', (_how, migrate) => {
  it('decide on the rewritten history in every instance, with no restart', async () => {
    const [one, two] = [instance(), instance()];
    const id = await open(one, [160]);
    // Both instances hold the state built from the stored deposit of 160.
    expect((await one.get(id)).balance).toBe(160);
    expect((await two.get(id)).balance).toBe(160);

    await migrate();

    // On the rewritten history (80), 130 passes and leaves -50; another 90 would leave -140.
    const first = await withdraw(one, id, 130);
    expect(first.result).toEqual({ balance: await replayed(id) });
    expect(first.result).toEqual({ balance: -50 });
    await expect(withdraw(two, id, 90)).rejects.toThrow(OverLimit);
    await expect(withdraw(one, id, 90)).rejects.toThrow(OverLimit);
    expect(await replayed(id)).toBe(-50);
    for (const repository of [one, two]) expect((await repository.get(id)).balance).toBe(-50);
  });

  it('keep the limit under withdrawals through both instances at once, each answer the replayed balance at its version', async () => {
    const [one, two] = [instance(), instance()];
    const id = await open(one, [160]);
    await Promise.all([one.get(id), two.get(id)]);

    await migrate();

    const outcomes = await Promise.allSettled(
      [30, 30, 30, 30, 30, 30, 30, 30].map((amount, i) => withdraw(i % 2 === 0 ? one : two, id, amount)),
    );
    const done = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(OverLimit);
    // 80 - 6 * 30 = -100: six pass, whichever instance took them.
    expect(done).toHaveLength(6);
    expect(await replayed(id)).toBe(-100);
    for (const { version, result } of done) {
      expect(result).toEqual({ balance: (await instance(0).get(id, { version })).balance });
    }
  });

  /** A repository whose first append waits for the rewrite to commit: a decision made before it, appended after. */
  function rewrittenBeforeFirstAppend() {
    const store = new PostgresEventStore(database.pool, { codec });
    const append = store.append.bind(store);
    const seen = { rewritten: false };
    jest.spyOn(store, 'append').mockImplementationOnce(async (request) => {
      await migrate();
      seen.rewritten = true;
      return append(request);
    });
    return { repository: instance(100, store), seen };
  }

  it('store no decision made on the old history whose append comes after the rewrite', async () => {
    const id = await open(instance(), [160]);
    const { repository, seen } = rewrittenBeforeFirstAppend();
    await repository.get(id);

    // Decided on 160 (250 leaves -90), then decided again on 80.
    await expect(withdraw(repository, id, 250)).rejects.toThrow(OverLimit);
    expect(seen.rewritten).toBe(true);
    expect(await replayed(id)).toBe(80);
  });

  it('decide an If-Match command again on the rewritten history: its version did not move', async () => {
    const id = await open(instance(), [160]);
    const { repository } = rewrittenBeforeFirstAppend();
    const pinned = { context: { ...context, expectedVersion: 1 } } as Command<CommandResult>;

    const outcome = await repository.update(pinned, id, (wallet) => wallet.withdraw(50));

    expect(outcome).toMatchObject({ version: 2, result: { balance: 30 } });
    expect(await replayed(id)).toBe(30);
  });

  it('ignore snapshots written from the old history', async () => {
    const writer = instance(0);
    const id = await open(writer, [160]);
    for (let n = 0; n < 6; n++) await withdraw(writer, id, 10);
    await writer.snapshotsWritten();
    const { rows } = await database.pool.query('SELECT version FROM snapshots WHERE stream_id = $1', [id]);
    expect(rows.length).toBeGreaterThan(0);

    await migrate();

    // From a snapshot of the old history: 160 - 60 = 100.
    expect(await replayed(id)).toBe(80 - 60);
  });
});

describe('an append in flight while a rewrite commits', () => {
  it('waits for the rewrite and is refused, then decided again on the rewritten history', async () => {
    const repository = instance();
    const id = await open(repository, [160]);
    await repository.get(id);

    // A rewrite as the runner makes one, held open: the deposit halved, the generation moved.
    const rewrite = await database.pool.connect();
    try {
      await rewrite.query('BEGIN');
      await rewrite.query(
        `UPDATE events SET data = jsonb_build_object('amount', 80) WHERE stream_id = $1 AND type = 'TestWalletDeposited'`,
        [id],
      );
      await rewriteHistory(rewrite);

      // Decided on 160 (250 leaves -90); its append reads the generation only once the rewrite ends.
      const decided = withdraw(repository, id, 250);
      await until(
        async () =>
          (
            await database.pool.query(
              `SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = 'history_generation'::regclass`,
            )
          ).rows[0].n,
        (waiting) => waiting > 0,
        'the append to wait for the rewrite',
      );
      await rewrite.query('COMMIT');

      await expect(decided).rejects.toThrow(OverLimit);
    } finally {
      rewrite.release();
    }
    expect(await replayed(id)).toBe(80);
  });
});

describe('reencode', () => {
  it('is a rewrite too: a state cached before it is read again', async () => {
    const repository = instance();
    const id = await open(repository, [10]);
    await repository.get(id);
    const loads: number[] = [];
    const query = database.pool.query.bind(database.pool) as (...args: unknown[]) => Promise<{ rowCount: number }>;
    await runEventMigration(database.pool, codec, reencode, { log: () => undefined, restart: true });
    jest.spyOn(database.pool, 'query').mockImplementation((async (...args: unknown[]) => {
      const result = await query(...args);
      if ((args[0] as { name?: string }).name === 'chronicle_load_streams') loads.push(result.rowCount);
      return result;
    }) as never);
    expect((await repository.get(id)).balance).toBe(10);
    expect(loads).toEqual([2]); // the event again (not only what came after the cached state), and the head row
  });
});
