import { AssertionError } from 'node:assert/strict';
import { Column, Entity, PrimaryColumn, QueryFailedError, type MigrationInterface, type QueryRunner } from 'typeorm';
import { DomainEvent } from '../domain/domain-event.decorator.js';
import {
  Follower,
  Handles,
  HandlesBatches,
  type BatchEvent,
  type FollowerBatchContext,
  type FollowerContext,
} from '../subscriptions/follower.decorator.js';
import { ProjectionSpec } from './projection-spec.js';
import { stream } from './spec-log.js';

@DomainEvent('TestSpecCounted')
class Counted {
  constructor(readonly by: number) {}
}

@DomainEvent('TestSpecIgnored')
class Ignored {}

@Entity('test_tallies')
class Tally {
  @PrimaryColumn('text') id!: string;
  @Column('integer') total!: number;
  @Column('integer') version!: number;
  @Column('bigint') position!: string;
  @Column('timestamptz', { name: 'recorded_at' }) recordedAt!: Date;
}

class CreateTallies1700000000000 implements MigrationInterface {
  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE test_tallies (
      id text PRIMARY KEY, total integer NOT NULL CHECK (total < 100), version integer NOT NULL,
      position bigint NOT NULL, recorded_at timestamptz NOT NULL)`);
  }
  async down(): Promise<void> {}
}

/** One statement per event, through the entity. */
@Follower('test-tallies')
class Tallies {
  @Handles(Counted)
  async counted(event: Counted, { envelope, manager }: FollowerContext): Promise<void> {
    await manager.query(
      `INSERT INTO test_tallies AS t (id, total, version, position, recorded_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET total = t.total + excluded.total, version = excluded.version,
                                      position = excluded.position, recorded_at = excluded.recorded_at`,
      [envelope.streamId, event.by, envelope.version, envelope.position, envelope.recordedAt],
    );
  }
}

/** A batch at a time; remembers the batches it was given. */
@Follower('test-tally-batches')
class TallyBatches {
  readonly batches: number[][] = [];

  @HandlesBatches(Counted)
  async counted(events: BatchEvent<Counted>[], { manager }: FollowerBatchContext): Promise<void> {
    this.batches.push(events.map(({ envelope }) => envelope.position));
    await manager.insert(
      Tally,
      events.map(({ event, envelope }) => ({
        id: `${envelope.streamId}/${envelope.version}`,
        total: event.by,
        version: envelope.version,
        position: String(envelope.position),
        recordedAt: envelope.recordedAt,
      })),
    );
  }
}

@Follower('test-process', { transactional: false })
class NotAProjection {}

const options = { migrations: [CreateTallies1700000000000], entities: [Tally] };
const tallies = new ProjectionSpec(new Tallies(), options);
const batched = new TallyBatches();
const batches = new ProjectionSpec(batched, { ...options, batchSize: 2 });
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));

beforeAll(() => Promise.all([tallies.start(), batches.start()]));
afterAll(() => Promise.all([tallies.stop(), batches.stop()]));

describe('ProjectionSpec', () => {
  it('runs the handlers on the tables the migrations made, and shows the rows as the entity reads them', async () => {
    await tallies
      .given(stream('a', new Counted(2), new Ignored()), { ...stream('b', new Counted(5)), recordedAt: at(7) })
      .when(stream('a', new Counted(3)))
      .thenRows(Tally, [
        { id: 'a', total: 5, version: 3, position: '4', recordedAt: at(2) },
        { id: 'b', total: 5, version: 1, position: '3', recordedAt: at(7) },
      ]);
  });

  it('fails the rows check on any other rows', async () => {
    await expect(
      tallies.given(stream('a', new Counted(2))).thenRows(Tally, [{ id: 'a', total: 3 }]),
    ).rejects.toBeInstanceOf(AssertionError);
  });

  it('starts each case on empty tables', async () => {
    await tallies.given().then(async (manager) => {
      expect(await manager.query('SELECT * FROM test_tallies')).toEqual([]);
    });
  });

  it('hands the log over in batches, the given events apart from the case’s own', async () => {
    batched.batches.length = 0;
    await batches
      .given(stream('a', new Counted(1), new Counted(2), new Ignored(), new Counted(3)))
      .when(stream('b', new Counted(4), new Counted(5)))
      .then(async (manager) => {
        expect(await manager.count(Tally)).toBe(5);
      });
    expect(batched.batches).toEqual([[1, 2], [4], [5, 6]]);
  });

  it('reports a handler’s failure, or fails when there is none', async () => {
    const error = await tallies
      .given(stream('a', new Counted(60)))
      .when(stream('a', new Counted(40)))
      .thenThrows(QueryFailedError);
    expect((error as Error).message).toMatch(/check constraint/);
    await tallies
      .given()
      .when(stream('a', new Counted(100)))
      .thenThrows(/test_tallies_total_check/);
    await expect(
      tallies
        .given()
        .when(stream('a', new Counted(1)))
        .thenThrows(),
    ).rejects.toThrow('Expected Tallies to fail, but it handled every event');
    await expect(
      tallies
        .given()
        .when(stream('a', new Counted(100)))
        .thenThrows(TypeError),
    ).rejects.toThrow(
      /^Expected Tallies to fail with TypeError, but Tallies failed at position 1 \(TestSpecCounted\): .*check constraint/,
    );
    await expect(
      tallies
        .given()
        .when(stream('a', new Counted(100)))
        .then(() => undefined),
    ).rejects.toThrow(/^Tallies failed at position 1 \(TestSpecCounted\)/);
    await expect(tallies.given(stream('a', new Counted(100))).thenThrows()).rejects.toThrow(
      /^A given event failed: Tallies failed at position 1 \(TestSpecCounted\)/,
    );
  });

  it('takes transactional followers only, and cases once started', async () => {
    expect(() => new ProjectionSpec(new NotAProjection(), options)).toThrow(
      'NotAProjection is a process manager (transactional: false): give it a ProcessManagerSpec',
    );
    await expect(new ProjectionSpec(new Tallies(), options).given().then(() => undefined)).rejects.toThrow(
      'await start() first',
    );
  });
});
