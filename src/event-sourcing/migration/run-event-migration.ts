import { Logger } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import type { EventCodec } from '../serialization/event-codec.js';
import type { StoredEvent } from '../store/event-store.js';
import { arrayRows, EVENT_COLUMNS, selectEvent, toStoredEvent } from '../store/event-rows.js';
import { transformed, type EventMigration } from './event-migration.js';
import { assertCopyTarget, EVENTS, quote, replaceEventsTable, retiredEventsTable, rowCount } from './event-tables.js';
import {
  advanceCheckpoint,
  createCheckpoint,
  deleteCheckpoint,
  finishCheckpoint,
  findCheckpoint,
  type MigrationCheckpoint,
} from './migration-checkpoint.js';
import { MigrationProgress } from './migration-progress.js';
import { holdAppends, rewriteHistory } from './history-generation.js';
import { isPartitioned } from '../partitioning/partition-catalog.js';

export interface EventMigrationOptions {
  /** Copy-and-transform into this new table; in place when absent. */
  into?: string;
  /** Once copied, put the new table in the log's place (needs `into`). */
  swap?: boolean;
  /** Read and transform every event, write nothing. */
  dryRun?: boolean;
  /** Forget this migration's checkpoint (and empty its unfinished copy), and start from position 0. */
  restart?: boolean;
  /** Events per batch, and per transaction. */
  batchSize?: number;
  /** Stops the run after the batch in progress; running it again resumes there. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface EventChange {
  before: StoredEvent;
  after: StoredEvent;
}

export interface EventMigrationReport {
  /**
   * `finished` in place; `copied` (run again with `swap` to switch over) or `swapped`;
   * `stopped` by the signal; `already-finished` by an earlier run; `dry-run`.
   */
  status: 'finished' | 'copied' | 'swapped' | 'stopped' | 'already-finished' | 'dry-run';
  /** Events read and changed, over every run of this migration since its checkpoint was created. */
  read: number;
  changed: number;
  /** Every event up to here is migrated (or, in a dry run, was read). */
  position: number;
  /** The first few changed events, as stored and as migrated. */
  examples: EventChange[];
  /** After a swap: the table the old log was renamed to. */
  retired?: string;
}

const EXAMPLES = 3;

const READ = `SELECT ${selectEvent()} FROM ${EVENTS} WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3`;
const CHANGES = `unnest($1::bigint[], $2::text[], $3::integer[], $4::jsonb[], $5::jsonb[])
                   AS c(position, type, schema_version, data, metadata)`;
const UPDATE = `UPDATE ${EVENTS} e
                   SET type = c.type, schema_version = c.schema_version, data = c.data, metadata = c.metadata
                  FROM ${CHANGES} WHERE e.position = c.position`;
// Unchanged events are copied as stored, without a round trip through JavaScript.
const copy = (table: string) => `
  INSERT INTO ${quote(table)} (${EVENT_COLUMNS}, transaction_id) OVERRIDING SYSTEM VALUE
  SELECT e.position, e.event_id, e.stream_id, e.stream_type, e.version, coalesce(c.type, e.type),
         coalesce(c.schema_version, e.schema_version), coalesce(c.data, e.data), coalesce(c.metadata, e.metadata),
         e.recorded_at, e.transaction_id
    FROM ${EVENTS} e LEFT JOIN ${CHANGES} ON c.position = e.position
   WHERE e.position > $6 AND e.position <= $7`;

const logger = new Logger('events:migrate');

/**
 * Runs an event migration over the log in batches of `batchSize` events, each written
 * with its checkpoint in one transaction, so a run that stops (a signal, a crash, an
 * error) continues after the last batch it committed when run again.
 *
 * - In place, it rewrites the changed rows of `events`, up to the end of the log when
 *   its first run began; events appended later are left as the code wrote them.
 * - With `into` (not on a partitioned log), it copies every event (changed or as stored, positions kept) into a new
 *   table shaped like `events`, up to the end of the log at each run; `swap` then locks
 *   the log, copies what was appended since and puts the copy in its place.
 */
export async function runEventMigration(
  pool: Pool,
  codec: EventCodec,
  migration: EventMigration,
  options: EventMigrationOptions = {},
): Promise<EventMigrationReport> {
  if (options.into !== undefined) assertCopyTarget(options.into);
  if (options.swap && options.into === undefined)
    throw new RangeError('A swap needs a copy: give the table to copy into');
  // A copy would be a plain table (LIKE copies no partitions), and the swap would undo the partitioning.
  if (options.into !== undefined && (await isPartitioned(pool))) {
    throw new RangeError(
      `${EVENTS} is partitioned: a copy-and-swap would put a plain table in its place. Migrate in place instead (leave out --into)`,
    );
  }
  const batchSize = options.batchSize ?? 1000;
  if (!(Number.isInteger(batchSize) && batchSize > 0))
    throw new RangeError(`Batch size ${batchSize} is not a whole number > 0`);
  const run = new MigrationRun(pool, codec, migration, options.into ?? EVENTS, batchSize, options);
  return options.dryRun ? run.dryRun() : run.run();
}

class MigrationRun {
  private readonly progress: MigrationProgress;
  private readonly examples: EventChange[] = [];

  constructor(
    private readonly pool: Pool,
    private readonly codec: EventCodec,
    private readonly migration: EventMigration,
    private readonly target: string,
    private readonly batchSize: number,
    private readonly options: EventMigrationOptions,
  ) {
    this.progress = new MigrationProgress(options.log ?? ((line) => logger.log(line)));
  }

  private get inPlace(): boolean {
    return this.target === EVENTS;
  }

  async dryRun(): Promise<EventMigrationReport> {
    const end = await this.inTransaction(logEnd);
    let position = 0;
    let read = 0;
    let changed = 0;
    while (!this.options.signal?.aborted) {
      const page = await this.withClient((client) => this.read(client, position, end));
      if (page.length === 0) break;
      changed += (await this.transform(page)).length;
      read += page.length;
      position = page[page.length - 1].position;
      this.progress.batch(page.length, position, end);
    }
    this.progress.log(
      `dry run of ${this.migration.name}: ${changed} of ${read} events would change; nothing written. ${this.progress.summary}`,
    );
    return { status: 'dry-run', read, changed, position, examples: this.examples };
  }

  async run(): Promise<EventMigrationReport> {
    let checkpoint = await this.inTransaction((client) => this.begin(client));
    if (checkpoint.finishedAt) {
      this.progress.log(
        `${this.migration.name} ${this.where} finished at ${checkpoint.finishedAt.toISOString()} ` +
          `(${checkpoint.changed} of ${checkpoint.read} events changed); --restart runs it again`,
      );
      return this.report('already-finished', checkpoint);
    }
    const end = checkpoint.endPosition ?? (await this.inTransaction(logEnd));
    const { signal } = this.options;
    checkpoint = await this.batches(checkpoint, end, (work) => this.inTransaction(work), signal);
    if (signal?.aborted && checkpoint.position < end) {
      this.progress.log(`${this.migration.name} stopped after position ${checkpoint.position}; run it again to resume`);
      return this.report('stopped', checkpoint);
    }
    if (this.inPlace) {
      await this.withClient((client) => finishCheckpoint(client, checkpoint));
      this.summary(checkpoint, 'migrated in place');
      return this.report('finished', checkpoint);
    }
    if (!this.options.swap) {
      this.summary(checkpoint, `copied into ${this.target}; run again with --swap to put it in place of ${EVENTS}`);
      return this.report('copied', checkpoint);
    }
    const retired = retiredEventsTable(this.migration.name);
    checkpoint = await this.inTransaction((client) => this.swap(client, checkpoint, retired));
    // The copy has no planner statistics yet: without them the log's reads may plan badly until autovacuum comes by.
    await this.withClient((client) => client.query(`ANALYZE ${EVENTS}`));
    this.summary(checkpoint, `swapped in: ${this.target} is now ${EVENTS}, the old log is ${retired}`);
    return { ...this.report('swapped', checkpoint), retired };
  }

  private get where(): string {
    return this.inPlace ? 'in place' : `into ${this.target}`;
  }

  /** The checkpoint to go on from: found, or created after the checks a new run needs. */
  private async begin(client: PoolClient): Promise<MigrationCheckpoint> {
    const { name } = this.migration;
    if (this.options.restart) {
      const previous = await findCheckpoint(client, name, this.target);
      if (previous && !previous.finishedAt && !this.inPlace && (await rowCount(client, this.target)) !== undefined) {
        await client.query(`TRUNCATE ${quote(this.target)}`);
      }
      await deleteCheckpoint(client, name, this.target);
    }
    const found = await findCheckpoint(client, name, this.target);
    if (found) {
      if (!found.finishedAt) this.progress.log(`resuming ${name} ${this.where} after position ${found.position}`);
      return found;
    }
    if (!this.inPlace) {
      const rows = await rowCount(client, this.target);
      if (rows) throw new Error(`Table ${this.target} already holds ${rows} rows that no run of ${name} copied`);
      if (rows === undefined) await client.query(`CREATE TABLE ${quote(this.target)} (LIKE ${EVENTS} INCLUDING ALL)`);
    }
    const created = await createCheckpoint(client, name, this.target, this.inPlace ? await logEnd(client) : undefined);
    this.progress.log(`${name} ${this.where}: ${this.migration.description}`);
    return created;
  }

  /** Batch after batch up to `end`, each in a transaction `transact` opens, until done or the signal stops them. */
  private async batches(
    from: MigrationCheckpoint,
    end: number,
    transact: (work: (client: PoolClient) => Promise<MigrationCheckpoint>) => Promise<MigrationCheckpoint>,
    signal?: AbortSignal,
  ): Promise<MigrationCheckpoint> {
    let checkpoint = from;
    for (let full = true; full && !signal?.aborted;) {
      const before = checkpoint;
      checkpoint = await transact((client) => this.batch(client, before, end));
      full = checkpoint.read - before.read === this.batchSize;
    }
    return checkpoint;
  }

  /** Migrates the events after the checkpoint (at most a batch, up to `end`) and moves it, in the client's transaction. */
  private async batch(client: PoolClient, from: MigrationCheckpoint, end: number): Promise<MigrationCheckpoint> {
    const page = await this.read(client, from.position, end);
    if (page.length === 0) return from;
    const changes = await this.transform(page);
    const last = page[page.length - 1].position;
    await this.write(client, changes, from.position, last);
    const next = await advanceCheckpoint(client, from, { position: last, read: page.length, changed: changes.length });
    this.progress.batch(page.length, last, end);
    return next;
  }

  private async read(client: PoolClient, after: number, end: number): Promise<StoredEvent[]> {
    const { rows } = await client.query({ ...arrayRows({ text: READ }), values: [after, end, this.batchSize] });
    return rows.map(toStoredEvent);
  }

  private async transform(page: StoredEvent[]): Promise<EventChange[]> {
    const data = await this.codec.decode(page);
    const changes: EventChange[] = [];
    page.forEach((stored, i) => {
      const before = data[i] === stored.data ? stored : { ...stored, data: data[i] };
      const after = transformed(this.migration, before);
      if (after) changes.push({ before, after });
    });
    this.examples.push(...changes.slice(0, EXAMPLES - this.examples.length));
    return changes;
  }

  private async write(client: PoolClient, changes: EventChange[], after: number, last: number): Promise<void> {
    const migrated = changes.map((c) => c.after);
    const data = await this.codec.encode(migrated);
    const values = [
      migrated.map((e) => e.position),
      migrated.map((e) => e.type),
      migrated.map((e) => e.schemaVersion),
      data.map((d) => JSON.stringify(d)),
      migrated.map((e) => JSON.stringify(e.metadata)),
    ];
    if (!this.inPlace) await client.query(copy(this.target), [...values, after, last]);
    else if (changes.length > 0) {
      await client.query(UPDATE, values);
      // Last, so that appends are held back only for the commit.
      await rewriteHistory(client);
    }
  }

  /** Under a lock that holds off every reader and writer of the log, the last batches and the switch. */
  private async swap(client: PoolClient, from: MigrationCheckpoint, retired: string): Promise<MigrationCheckpoint> {
    await holdAppends(client);
    await client.query(`LOCK TABLE ${EVENTS} IN ACCESS EXCLUSIVE MODE`);
    const end = await logEnd(client);
    const checkpoint = await this.batches(from, end, (work) => work(client));
    await replaceEventsTable(client, this.target, retired);
    await rewriteHistory(client);
    await finishCheckpoint(client, checkpoint);
    return checkpoint;
  }

  private summary(checkpoint: MigrationCheckpoint, outcome: string): void {
    this.progress.log(
      `${this.migration.name}: ${checkpoint.changed} of ${checkpoint.read} events changed, up to position ` +
        `${checkpoint.position}, ${outcome}. ${this.progress.summary}`,
    );
  }

  private report(status: EventMigrationReport['status'], checkpoint: MigrationCheckpoint): EventMigrationReport {
    const { read, changed, position } = checkpoint;
    return { status, read, changed, position, examples: this.examples };
  }

  private async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }

  private inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    });
  }
}

/**
 * The last position of the log, once every append in flight has committed: SHARE mode
 * waits for them and holds new ones back only for this moment, so no event can appear
 * below it later. (The log readers' xmin filter would not do: an open transaction
 * anywhere on the server holds it back, and the end with it.)
 */
async function logEnd(client: PoolClient): Promise<number> {
  await client.query(`LOCK TABLE ${EVENTS} IN SHARE MODE`);
  const { rows } = await client.query(`SELECT coalesce(max(position), 0) AS end FROM ${EVENTS}`);
  return Number(rows[0].end);
}
