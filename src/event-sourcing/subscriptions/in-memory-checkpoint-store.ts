import type { EventStore } from '../store/event-store.js';
import { InMemoryEventStore } from '../store/in-memory-event-store.js';
import { CheckpointMovedError, CheckpointStore, type Checkpoint, type CheckpointStatus } from './checkpoint-store.js';
import type { FollowerError } from './follower-retry.js';

/**
 * A transaction of {@link InMemoryCheckpointStore}, from its `transaction()`: what it
 * writes shows when it commits, and the checkpoints it wrote or held wait for it to end.
 */
export class InMemoryTransaction {
  /** The checkpoints as this transaction wrote them. */
  readonly writes = new Map<string, Checkpoint>();
  /** Resolves once the transaction has committed or rolled back. */
  readonly ended: Promise<void>;
  /** Called by the store once it has committed or rolled back. */
  readonly end: () => void;

  constructor() {
    let end!: () => void;
    this.ended = new Promise((resolve) => (end = resolve));
    this.end = end;
  }
}

// Copies keep callers from changing what is stored, as a database would.
const copy = (checkpoint: Checkpoint): Checkpoint => ({
  ...checkpoint,
  lastError: checkpoint.lastError && { ...checkpoint.lastError },
  updatedAt: new Date(checkpoint.updatedAt),
});

/**
 * The checkpoint store's contract in memory, for specs without a database. Transactions
 * behave as PostgreSQL's row locks and read-committed reads do for checkpoints: a write
 * holds its checkpoint until its transaction ends, other writers wait for that, and
 * `position` reads what was committed. Lag is measured against `log`.
 */
export class InMemoryCheckpointStore extends CheckpointStore<InMemoryTransaction> {
  private readonly committed = new Map<string, Checkpoint>();
  private readonly holders = new Map<string, InMemoryTransaction>();
  /** The latest lease token of each checkpoint; 0 before the first claim. */
  private readonly leases = new Map<string, number>();
  /** The last token claimed, of any checkpoint: every claim takes a greater one. */
  private lastToken = 0;

  constructor(
    private readonly log: EventStore = new InMemoryEventStore(),
    private readonly now: () => Date = () => new Date(),
  ) {
    super();
  }

  /** Runs `work` in a transaction: committed when it resolves, rolled back when it throws. */
  async transaction<R>(work: (transaction: InMemoryTransaction) => Promise<R>): Promise<R> {
    const transaction = new InMemoryTransaction();
    try {
      const result = await work(transaction);
      for (const [name, checkpoint] of transaction.writes) this.committed.set(name, checkpoint);
      return result;
    } finally {
      for (const [name, holder] of this.holders) if (holder === transaction) this.holders.delete(name);
      transaction.end();
    }
  }

  async create(names: readonly string[]): Promise<void> {
    for (const name of names) {
      if (!this.committed.has(name)) {
        this.committed.set(name, { name, position: 0, lastError: null, updatedAt: this.now() });
      }
    }
  }

  async position(name: string): Promise<number | undefined> {
    return this.committed.get(name)?.position;
  }

  async move(name: string, from: number, to: number, transaction?: InMemoryTransaction, lease?: number): Promise<void> {
    const current = await this.writable(name, transaction);
    const fenced = lease !== undefined && lease < (this.leases.get(name) ?? 0);
    if (current?.position !== from || fenced) throw new CheckpointMovedError(name, from);
    this.write({ ...current, position: to, lastError: null, updatedAt: this.now() }, transaction);
  }

  async claim(name: string): Promise<number> {
    if (!(await this.writable(name))) throw new Error(`${name} has no checkpoint`);
    this.leases.set(name, ++this.lastToken);
    return this.lastToken;
  }

  async hold(name: string, transaction: InMemoryTransaction): Promise<void> {
    await this.writable(name, transaction);
    this.holders.set(name, transaction);
  }

  async reset(name: string, position: number, transaction?: InMemoryTransaction): Promise<void> {
    const current = await this.writable(name, transaction);
    if (current) this.write({ ...current, position, lastError: null, updatedAt: this.now() }, transaction);
  }

  async recordFailure(name: string, failure: FollowerError): Promise<void> {
    const current = await this.writable(name);
    if (current) this.write({ ...current, lastError: { ...failure } });
  }

  async statuses(): Promise<CheckpointStatus[]> {
    const log = await this.log.readLog(0, Number.MAX_SAFE_INTEGER);
    const head = log.at(-1)?.position ?? 0;
    return [...this.committed.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((checkpoint) => ({
        ...copy(checkpoint),
        head,
        nextRecordedAt: log.find((event) => event.position > checkpoint.position)?.recordedAt ?? null,
        heldBack: false,
      }));
  }

  /** Waits until no other transaction holds the checkpoint; then answers it as `transaction` sees it. */
  private async writable(name: string, transaction?: InMemoryTransaction): Promise<Checkpoint | undefined> {
    for (let holder = this.holders.get(name); holder && holder !== transaction; holder = this.holders.get(name)) {
      await holder.ended;
    }
    return transaction?.writes.get(name) ?? this.committed.get(name);
  }

  private write(checkpoint: Checkpoint, transaction?: InMemoryTransaction): void {
    if (!transaction) {
      this.committed.set(checkpoint.name, checkpoint);
      return;
    }
    transaction.writes.set(checkpoint.name, checkpoint);
    this.holders.set(checkpoint.name, transaction);
  }
}
