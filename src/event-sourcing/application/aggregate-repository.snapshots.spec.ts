import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { EventBus } from '@nestjs/cqrs';
import { Applies } from '../domain/applies.decorator.js';
import { DomainEvent } from '../domain/domain-event.decorator.js';
import { EventSourcedAggregate, type SnapshotSettings } from '../domain/event-sourced-aggregate.js';
import { InMemoryEventStore } from '../store/in-memory-event-store.js';
import { InMemorySnapshotStore } from '../store/in-memory-snapshot-store.js';
import type { Snapshot, SnapshotQuery } from '../store/snapshot-store.js';
import { AggregateRepository } from './aggregate-repository.js';
import { IdGenerator } from './clock.js';
import { Command, type CommandContext, type CommandResult } from './command-context.js';

@DomainEvent('TestTallyAdded')
class Added {
  constructor(
    readonly by: number,
    readonly tag: string,
  ) {}
}

/** Keeps a private Set, the kind of state a snapshot has to carry explicitly. */
class Tally extends EventSourcedAggregate {
  static readonly streamType = 'TestTally';
  static snapshots: SnapshotSettings = { version: 1, every: 5 };
  total = 0;
  private readonly tags = new Set<string>();
  restoredFrom?: Record<string, unknown>;

  static start(id: string): Tally {
    const tally = new Tally(id);
    tally.apply(new Added(0, 'start'));
    return tally;
  }

  add(by: number, tag: string): void {
    this.apply(new Added(by, tag));
  }

  get tagList(): string[] {
    return [...this.tags].sort();
  }

  @Applies(Added)
  onTestTallyAdded(event: Added): void {
    this.total += event.by;
    this.tags.add(event.tag);
  }

  protected override toSnapshot(): Record<string, unknown> {
    return { total: this.total, tags: [...this.tags] };
  }

  protected override restore(state: Record<string, unknown>): void {
    this.restoredFrom = state;
    this.total = state.total as number;
    for (const tag of state.tags as string[]) this.tags.add(tag);
  }
}

// Results of every shape: each test decides what its commands answer.
class Add extends Command<CommandResult> {
  constructor(
    readonly by: number,
    readonly context: CommandContext,
  ) {
    super();
  }
}

const context: CommandContext = { commandId: 'command-1', correlationId: 'correlation-1' };
let clock: number;
let events: InMemoryEventStore;
let snapshots: InMemorySnapshotStore;

const eventBus = { publishAll: () => undefined } as unknown as EventBus;
const repositoryOn = (snapshotStore: InMemorySnapshotStore | undefined, every = 5) =>
  new AggregateRepository(
    Tally,
    events,
    eventBus,
    new IdGenerator(),
    3,
    snapshotStore && { store: snapshotStore, every },
  );
const plain = () => repositoryOn(undefined);

/** The tally started, then added to `count - 1` times (one event each), with 1 ms between events. */
async function stream(repository: AggregateRepository<Tally>, count: number, id = 't-1'): Promise<void> {
  await repository.create(new Add(0, context), () => ({ aggregate: Tally.start(id), result: {} }));
  for (let i = 2; i <= count; i++) {
    await repository.update(new Add(i, context), id, (tally) => {
      tally.add(i, `tag-${i % 4}`);
      return {};
    });
  }
  await repository.snapshotsWritten();
}

const stateOf = (tally: Tally | undefined) =>
  tally && {
    version: tally.version,
    total: tally.total,
    tags: tally.tagList,
    createdAt: tally.createdAt,
    updatedAt: tally.updatedAt,
  };

beforeEach(() => {
  clock = Date.parse('2026-01-01T00:00:00Z');
  events = new InMemoryEventStore(() => new Date((clock += 1)));
  snapshots = new InMemorySnapshotStore();
  jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe('AggregateRepository with snapshots', () => {
  it('writes a snapshot every `every` events, with the base state and the recordedAt of its event', async () => {
    await stream(repositoryOn(snapshots), 17);

    const written = snapshots.all('t-1');
    expect(written.map((s) => s.version)).toEqual([5, 10, 15]);
    const stored = await events.readStream('t-1');
    const [fifth] = written;
    expect(fifth).toEqual<Snapshot>({
      streamId: 't-1',
      streamType: 'TestTally',
      version: 5,
      schemaVersion: 1,
      state: { total: 2 + 3 + 4 + 5, tags: ['start', 'tag-2', 'tag-3', 'tag-0', 'tag-1'] },
      firstRecordedAt: stored[0].recordedAt,
      recordedAt: stored[4].recordedAt,
    });
  });

  it('loads from the newest snapshot and the events after it, to the same state as a full replay', async () => {
    const repository = repositoryOn(snapshots);
    await stream(repository, 17);
    const read = jest.spyOn(events, 'readStream');

    const loaded = await repository.get('t-1');

    expect(loaded.restoredFrom).toBeDefined();
    expect(read).toHaveBeenCalledWith('t-1', { fromVersion: 16, toVersion: undefined, recordedAtOrBefore: undefined });
    expect(stateOf(loaded)).toEqual(stateOf(await plain().get('t-1')));
    expect(loaded.tagList).toEqual(['start', 'tag-0', 'tag-1', 'tag-2', 'tag-3']);
  });

  it('gives the same state as a full replay at every version and every instant', async () => {
    const repository = repositoryOn(snapshots);
    await stream(repository, 23);
    const stored = await events.readStream('t-1');
    for (const event of stored) {
      const at = event.version;
      expect(stateOf(await repository.load('t-1', { version: at }))).toEqual(
        stateOf(await plain().load('t-1', { version: at })),
      );
      const asOf = event.recordedAt;
      expect(stateOf(await repository.load('t-1', { asOf }))).toEqual(stateOf(await plain().load('t-1', { asOf })));
    }
    expect(await repository.load('t-1', { asOf: new Date(stored[0].recordedAt.getTime() - 1) })).toBeUndefined();
  });

  it('loads a snapshot at exactly the wanted version without reading further events', async () => {
    const repository = repositoryOn(snapshots);
    await stream(repository, 12);
    const loaded = await repository.load('t-1', { version: 10 });
    expect(loaded?.restoredFrom).toBeDefined();
    expect(stateOf(loaded)).toEqual(stateOf(await plain().load('t-1', { version: 10 })));
  });

  it('ignores a snapshot of another schema version, and replaces it on the next save', async () => {
    const repository = repositoryOn(snapshots);
    await stream(repository, 12);
    // Outdated snapshots whose state would be wrong if it were used.
    snapshots.tamper('t-1', (s) => {
      s.schemaVersion = 0;
      s.state = { total: -1, tags: ['bogus'] };
    });

    const loaded = await repository.get('t-1');
    expect(loaded.restoredFrom).toBeUndefined();
    expect(stateOf(loaded)).toEqual(stateOf(await plain().get('t-1')));

    await repository.update(new Add(1, context), 't-1', (tally) => tally.add(1, 'late') ?? {});
    await repository.snapshotsWritten();
    const current = snapshots.all('t-1').filter((s) => s.schemaVersion === 1);
    expect(current.map((s) => s.version)).toEqual([13]);
    expect((await repository.get('t-1')).restoredFrom).toMatchObject({ total: expect.any(Number) });
  });

  it('ignores a snapshot of another stream type with the same id', async () => {
    const repository = repositoryOn(snapshots);
    await snapshots.save({
      streamId: 'x-1',
      streamType: 'SomethingElse',
      version: 1,
      schemaVersion: 1,
      state: { total: 1, tags: [] },
      firstRecordedAt: new Date(),
      recordedAt: new Date(),
    });
    expect(await repository.load('x-1')).toBeUndefined();
  });

  it('neither writes nor reads snapshots when `every` is 0', async () => {
    await stream(repositoryOn(snapshots), 10);
    const off = repositoryOn(snapshots, 0);
    await off.update(new Add(1, context), 't-1', (tally) => tally.add(1, 'x') ?? {});
    expect((await off.get('t-1')).restoredFrom).toBeUndefined();
    await stream(off, 12, 't-2');
    expect(snapshots.all('t-2')).toEqual([]);
  });

  it('does not fail a command when writing the snapshot fails, and logs the error', async () => {
    const failing = new (class extends InMemorySnapshotStore {
      override async save(): Promise<void> {
        throw new Error('disk full');
      }
    })();
    const repository = repositoryOn(failing);
    await expect(stream(repository, 12)).resolves.toBeUndefined();
    expect((await events.readStream('t-1')).length).toBe(12);
    expect(Logger.prototype.error).toHaveBeenCalledWith(
      expect.stringContaining('Writing a snapshot of t-1'),
      expect.stringContaining('disk full'),
    );
  });

  it('does not wait for the snapshot write on the command path', async () => {
    let release!: () => void;
    const slow = new (class extends InMemorySnapshotStore {
      override async save(snapshot: Snapshot): Promise<void> {
        await new Promise<void>((resolve) => (release = resolve));
        return super.save(snapshot);
      }
    })();
    const repository = repositoryOn(slow);
    await stream(repository, 4);
    const outcome = await repository.update(new Add(5, context), 't-1', (tally) => tally.add(5, 'x') ?? {});
    expect(outcome.version).toBe(5);
    expect(slow.all('t-1')).toEqual([]);
    release();
    await repository.snapshotsWritten();
    expect(slow.all('t-1').map((s) => s.version)).toEqual([5]);
  });

  it('falls back to a full replay when reading snapshots fails', async () => {
    const broken = new (class extends InMemorySnapshotStore {
      override async findLatest(_id: string, _query: SnapshotQuery): Promise<Snapshot | undefined> {
        throw new Error('connection lost');
      }
    })();
    const repository = repositoryOn(broken);
    await stream(repository, 7);
    expect(stateOf(await repository.get('t-1'))).toEqual(stateOf(await plain().get('t-1')));
  });

  it('replays every event when a stored snapshot cannot be restored (an older shape whose version was not raised)', async () => {
    await stream(repositoryOn(snapshots), 7);
    const [stored] = snapshots.all('t-1');
    // What a snapshot of an earlier shape of the state looks like: `tags` was not there yet.
    await snapshots.save({ ...stored, state: { total: stored.state.total } });
    const repository = repositoryOn(snapshots);

    expect(stateOf(await repository.get('t-1'))).toEqual(stateOf(await plain().get('t-1')));
    expect(Logger.prototype.error).toHaveBeenCalledWith(
      expect.stringContaining('Reading a snapshot of t-1 failed'),
      expect.anything(),
    );
  });
});
