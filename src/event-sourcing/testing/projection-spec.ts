import { deepStrictEqual } from 'node:assert/strict';
import type { EntityManager, EntityTarget, FindOptionsOrder, ObjectLiteral } from 'typeorm';
import type { FollowerFailure } from '../subscriptions/follower-retry.js';
import { FollowerUnderTest, type ExpectedFailure } from './follower-under-test.js';
import { openPGliteDataSource, type SpecDatabase, type SpecDatabaseOptions } from './pglite-data-source.js';
import { SpecLog, type SpecAppend } from './spec-log.js';

/** Where a projection spec's tables come from, and how its log is handed over. */
export interface ProjectionSpecOptions extends SpecDatabaseOptions {
  /** At most this many events per batch, as `FOLLOWER_BATCH_SIZE` (500 unless given). */
  batchSize?: number;
}

interface Outcome {
  manager: EntityManager;
  failure?: FollowerFailure;
}

/** How a {@link ProjectionSpec} runs its cases. */
interface CaseRunner {
  readonly follower: FollowerUnderTest;
  run<T>(given: SpecAppend[], when: SpecAppend[], check: (outcome: Outcome) => Promise<T>): Promise<T>;
}

/** The events of one spec case, and its checks. */
export class ProjectionScenario {
  constructor(
    private readonly cases: CaseRunner,
    private readonly givenAppends: SpecAppend[],
    private readonly whenAppends: SpecAppend[] = [],
  ) {}

  /** Events that reach the follower after the given ones, in batches of their own. */
  when(...appends: SpecAppend[]): ProjectionScenario {
    return new ProjectionScenario(this.cases, this.givenAppends, appends);
  }

  /**
   * Runs the case, then `assert` with the manager of its transaction, where the view's rows are.
   * @throws Error when a handler failed, naming the event
   */
  then(assert: (manager: EntityManager) => unknown): Promise<void> {
    return this.cases.run(this.givenAppends, this.whenAppends, async ({ manager, failure }) => {
      if (failure) throw this.cases.follower.failed(failure);
      await assert(manager);
    });
  }

  /**
   * Runs the case, then asserts that the entity's table holds exactly these rows, in primary-key
   * order, each as the entity reads it (transformers applied) and compared deeply and strictly.
   * @throws AssertionError showing the rows it holds
   */
  thenRows<E extends ObjectLiteral>(entity: EntityTarget<E>, expected: Partial<E>[]): Promise<void> {
    return this.then(async (manager) => {
      const primary = manager.connection.getMetadata(entity).primaryColumns;
      const order = Object.fromEntries(primary.map((column) => [column.propertyName, 'ASC'])) as FindOptionsOrder<E>;
      const rows = await manager.find(entity, { order });
      deepStrictEqual(
        rows.map((row) => ({ ...row })),
        expected,
      );
    });
  }

  /**
   * Runs the case and asserts that a handler failed (with an error of this class, or a message
   * matching this pattern): the follower would stop right before that event.
   * @returns the handler's error
   */
  thenThrows(expected?: ExpectedFailure): Promise<unknown> {
    return this.cases.run(this.givenAppends, this.whenAppends, async ({ failure }) =>
      this.cases.follower.assertFailed(failure, expected),
    );
  }
}

/**
 * Given/when/then for a projection (a transactional `@Follower`) without a server: its handlers
 * run their real SQL on PGlite (PostgreSQL in WebAssembly, in memory), whose tables the app's
 * migrations create. The events go through the dispatch the follower loop runs, batch by batch,
 * each case in a transaction rolled back at its end, so cases share one database.
 *
 * ```ts
 * const spec = new ProjectionSpec(new AccountSummariesProjection(), { migrations, entities: [AccountSummary] });
 * beforeAll(() => spec.start());
 * afterAll(() => spec.stop());
 *
 * it('keeps the balance', () =>
 *   spec
 *     .given(stream(A, new AccountOpened('Ada', 'EUR', 0)))
 *     .when(stream(A, new MoneyDeposited(100)))
 *     .thenRows(AccountSummary, [{ id: A, balance: 100, ... }]));
 * ```
 * `start()` creates PGlite (its initdb takes seconds) and runs the migrations: call it once per
 * file, before the cases, which then take milliseconds each.
 */
export class ProjectionSpec {
  private readonly cases: CaseRunner;
  private database?: SpecDatabase;

  /** @throws Error when `projection` is no transactional follower */
  constructor(
    projection: object,
    private readonly options: ProjectionSpecOptions,
  ) {
    this.cases = { follower: new FollowerUnderTest(projection, 'projection'), run: this.run.bind(this) };
  }

  /** Creates the database and runs the migrations. */
  async start(): Promise<void> {
    this.database ??= await openPGliteDataSource(this.options);
  }

  async stop(): Promise<void> {
    await this.database?.close();
    this.database = undefined;
  }

  /** Events the follower has handled before the case's own (in batches of their own). */
  given(...appends: SpecAppend[]): ProjectionScenario {
    return new ProjectionScenario(this.cases, appends);
  }

  private async run<T>(given: SpecAppend[], when: SpecAppend[], check: (outcome: Outcome) => Promise<T>): Promise<T> {
    if (!this.database) throw new Error('The ProjectionSpec has no database yet: await start() first (in beforeAll)');
    const { follower } = this.cases;
    const { batchSize } = this.options;
    const queryRunner = this.database.dataSource.createQueryRunner();
    await queryRunner.startTransaction();
    try {
      const { manager } = queryRunner;
      const log = new SpecLog();
      await log.append(given);
      const failed = await follower.follow(log, 0, manager, batchSize);
      if (failed) throw new Error(`A given event failed: ${follower.failed(failed).message}`, { cause: failed.cause });
      const from = log.position;
      await log.append(when);
      return await check({ manager, failure: await follower.follow(log, from, manager, batchSize) });
    } finally {
      await queryRunner.rollbackTransaction();
      await queryRunner.release();
    }
  }
}
