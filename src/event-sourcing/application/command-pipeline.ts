import { createHash } from 'node:crypto';
import type { EventBus } from '@nestjs/cqrs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrencyError, IdempotencyKeyReusedError } from '../domain/errors.js';
import { EventRegistry } from '../domain/event-registry.js';
import type { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import { inSpan, traceMetadata } from '../observability/tracing.js';
import type { WriteStats } from '../observability/write-stats.js';
import {
  IdempotencyKeyTakenError,
  type AppendRequest,
  type AppendResult,
  type EventStore,
  type IdempotencyRecord,
} from '../store/event-store.js';
import type { AggregateClass } from './aggregate-class.js';
import type { AggregateLoader } from './aggregate-loader.js';
import type { IdGenerator } from './clock.js';
import type { Command, CommandContext, CommandOutcome, CommandResult } from './command-context.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { SnapshotPolicy } from './snapshot-policy.js';

/** A command's decision: the aggregate with the events it applied, and whether it started from a cached state read from nothing. */
interface Decided<A, R> {
  aggregate: A;
  result: R;
  unread: boolean;
}

/**
 * What every command of one aggregate type goes through: its idempotency key, `If-Match`,
 * one command per aggregate at a time in this process, bounded retries with back-off on
 * concurrency conflicts, the events' metadata, the append, and after commit the
 * `EventBus` and the {@link SnapshotPolicy}.
 */
export class CommandPipeline<A extends EventSourcedAggregate> {
  private readonly mutex = new KeyedMutex();
  private readonly streamType = this.aggregateClass.streamType;

  /** @param retries how many times a command is tried again on fresh state after a conflict */
  constructor(
    private readonly aggregateClass: AggregateClass<A>,
    private readonly loader: AggregateLoader<A>,
    private readonly snapshots: SnapshotPolicy<A>,
    private readonly store: EventStore,
    private readonly eventBus: EventBus,
    private readonly ids: IdGenerator,
    private readonly retries: number,
    private readonly stats: WriteStats,
  ) {}

  /** Runs a command that starts a new aggregate; `start` applies its first events. */
  create<R extends CommandResult>(
    command: Command<R>,
    start: () => { aggregate: A; result: R },
  ): Promise<CommandOutcome<R>> {
    return this.traced(command, undefined, () => this.execute(command, async () => ({ ...start(), unread: false })));
  }

  /**
   * Runs a command against an existing aggregate: load, `decide` (which applies events
   * or throws a domain error), append with the loaded version as the expected one.
   *
   * With the aggregate cached, the first try decides on the cached state without reading
   * anything, and its append proves that state was the latest: the expected version, and
   * for a type with personal fields the subject's key ({@link AppendRequest.whileKeyOf}).
   * When that fails (another instance wrote the stream, the subject was forgotten), or the
   * decision stores nothing or throws, which no append checks, the command loads and
   * decides again, and that is not counted as a retry.
   */
  update<R extends CommandResult>(
    command: Command<R>,
    id: string,
    decide: (aggregate: A) => R,
  ): Promise<CommandOutcome<R>> {
    const pinned = command.context.expectedVersion;
    return this.traced(command, id, () =>
      this.mutex.run(id, () =>
        this.execute(command, async (mayTrustCache) => {
          const cached = mayTrustCache ? this.loader.fromCache(id, pinned) : undefined;
          if (cached) {
            try {
              const result = decide(cached);
              if (cached.getUncommittedEvents().length > 0) return { aggregate: cached, result, unread: true };
            } catch {
              // A refusal, like a decision to store nothing, has no append to check the state it was made on.
            }
          }
          const aggregate = await this.loader.get(id);
          if (pinned !== undefined && pinned !== aggregate.version) {
            throw new ConcurrencyError(id, pinned, aggregate.version);
          }
          return { aggregate, result: decide(aggregate), unread: false };
        }),
      ),
    );
  }

  /** Runs a command in a span of its own: the parent of its append's span, and a child of what sent it. */
  private traced<R>(command: Command<CommandResult>, id: string | undefined, run: () => Promise<R>): Promise<R> {
    const { commandId, correlationId } = command.context;
    const attributes = {
      'chronicle.command.id': commandId,
      'chronicle.correlation.id': correlationId,
      'chronicle.stream.type': this.streamType,
      ...(id === undefined ? {} : { 'chronicle.stream.id': id }),
    };
    return inSpan(`command ${command.constructor.name}`, { attributes }, run);
  }

  /** @param attempt decides once; it may start from the cached state on the first try only. */
  private async execute<R extends CommandResult>(
    command: Command<R>,
    attempt: (mayTrustCache: boolean) => Promise<Decided<A, R>>,
  ): Promise<CommandOutcome<R>> {
    // Only an idempotency key is ever compared with a fingerprint: without one, skip the hash.
    const fingerprint = command.context.idempotencyKey === undefined ? '' : fingerprintOf(command);
    for (let tries = 0, first = true; ; first = false) {
      const earlier = await this.earlierOutcome<R>(command, fingerprint);
      if (earlier) return earlier;
      let decided: Decided<A, R> | undefined;
      try {
        decided = await attempt(first);
        return await this.save(decided, command, fingerprint);
      } catch (error) {
        if (error instanceof IdempotencyKeyTakenError) continue;
        if (!(error instanceof ConcurrencyError)) throw error;
        if (decided?.unread) continue;
        // A stream still at the version the decision read was written by no one: its state was
        // built from events rewritten since. Decided again on the rewritten history (If-Match
        // holds: the version did not move), as a try of its own, so rewrites cannot loop it forever.
        if (error.actualVersion === error.expectedVersion && tries++ < this.retries) continue;
        this.stats.count(this.stats.conflicts, this.streamType);
        if (command.context.expectedVersion !== undefined || tries >= this.retries) throw error;
        this.stats.count(this.stats.retries, this.streamType);
        // Another instance wrote first: back off a little so the writers spread out.
        await sleep(Math.random() * Math.min(50, 2 ** tries));
        tries++;
      }
    }
  }

  /**
   * The append, in a span of its own whose context the events carry in their metadata (only
   * when tracing is on): the spans of their followers, and of the commands those send, continue it.
   */
  private append(request: AppendRequest): Promise<AppendResult> {
    const attributes = {
      'chronicle.stream.type': request.streamType,
      'chronicle.stream.id': request.streamId,
      'chronicle.event.count': request.events.length,
    };
    return inSpan(`append ${this.streamType}`, { attributes }, async (span) => {
      const traced = traceMetadata();
      const events =
        traced.traceparent === undefined
          ? request.events
          : request.events.map((event) => ({ ...event, metadata: { ...event.metadata, ...traced } }));
      const appended = await this.store.append({ ...request, events });
      span.setAttributes({ 'chronicle.stream.version': appended.version, 'chronicle.log.position': appended.position });
      return appended;
    });
  }

  private async earlierOutcome<R extends CommandResult>(
    command: Command<R>,
    fingerprint: string,
  ): Promise<CommandOutcome<R> | undefined> {
    const key = storedKeyOf(command.context);
    if (key === undefined) return undefined;
    const record = await this.store.findIdempotencyRecord(key);
    if (!record) return undefined;
    if (record.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(command.context.idempotencyKey ?? key);
    return outcomeOf<R>(record);
  }

  private async save<R extends CommandResult>(
    { aggregate, result, unread }: Decided<A, R>,
    command: Command<R>,
    fingerprint: string,
  ): Promise<CommandOutcome<R>> {
    const pending = [...aggregate.getUncommittedEvents()];
    const { context } = command;
    const storedKey = storedKeyOf(context);
    if (pending.length === 0) {
      const [last] = await this.store.readStream(aggregate.id, { fromVersion: aggregate.version });
      return { id: aggregate.id, version: aggregate.version, position: last.position, result };
    }
    const appended = await this.append({
      streamId: aggregate.id,
      streamType: this.streamType,
      expectedVersion: aggregate.persistedVersion,
      events: pending.map((event) => ({
        id: this.ids.next(),
        ...EventRegistry.toRecord(event),
        metadata: {
          correlationId: context.correlationId,
          causationId: context.commandId,
          ...(context.idempotencyKey === undefined ? {} : { idempotencyKey: context.idempotencyKey }),
          ...(context.actorId === undefined ? {} : { actorId: context.actorId }),
        },
      })),
      idempotency: storedKey === undefined ? undefined : { key: storedKey, fingerprint, result },
      whileKeyOf: unread && this.aggregateClass.snapshots?.personal ? aggregate.id : undefined,
      generation: this.snapshots.generationOf(aggregate),
    });
    if (!appended.duplicate) this.stats.count(this.stats.appended, this.streamType, pending.length);
    aggregate.markSaved(appended.version, appended.recordedAt);
    this.eventBus.publishAll(pending);
    this.snapshots.saved(aggregate, appended.duplicate, appended.generation);
    return { id: aggregate.id, version: appended.version, position: appended.position, result };
  }
}

function outcomeOf<R extends CommandResult>(record: IdempotencyRecord): CommandOutcome<R> {
  return { id: record.streamId, version: record.version, position: record.position, result: record.result as R };
}

/**
 * The key a command's idempotency record is stored under: the caller's key as it is
 * without a scope, else a hash of both, which also keeps the table's keys short.
 */
function storedKeyOf({ idempotencyKey: key, idempotencyScope: scope }: CommandContext): string | undefined {
  if (key === undefined || scope === undefined) return key;
  return createHash('sha256')
    .update(JSON.stringify([scope, key]))
    .digest('base64url');
}

/** Same command name and fields (apart from the context): the same request. */
function fingerprintOf(command: Command<CommandResult>): string {
  const { context: _context, ...fields } = command as Command<CommandResult> & Record<string, unknown>;
  return createHash('sha256')
    .update(JSON.stringify([command.constructor.name, fields]))
    .digest('base64url');
}
