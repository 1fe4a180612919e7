import type { Logger } from '@nestjs/common';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import type { EntityManager } from 'typeorm';
import { EventRegistry } from '../domain/event-registry.js';
import { withLogContext, type LogFields } from '../observability/log-context.js';
import { eventTraceContext, eventTraceLinks, inSpan } from '../observability/tracing.js';
import type { StoredEvent } from '../store/event-store.js';
import type { FollowerBatchHandler, FollowerHandler, FollowerHandlers } from './follower.decorator.js';
import { failureAt } from './follower-retry.js';

/** Hands one event to its handler, if the follower has one for its type. */
export async function dispatch(
  handlers: Map<string, FollowerHandler>,
  envelope: StoredEvent,
  manager: EntityManager,
): Promise<void> {
  const handler = handlers.get(envelope.type);
  if (handler) await handler(EventRegistry.fromRecord(envelope, envelope.position), { envelope, manager });
}

/**
 * Hands a running follower's events to its handlers: a batch to its batch handler, or
 * each event to the handler of its type, with log fields that name the follower and the
 * event (and the request that caused it). A handler's error comes out as a
 * `FollowerFailure` at the event it failed at; a batch handler does not say which, so at
 * the batch's first.
 */
export class FollowerDispatch {
  constructor(
    private readonly name: string,
    private readonly handlers: FollowerHandlers,
    private readonly logger: Logger,
  ) {}

  /** Whether the follower takes whole batches rather than one event at a time. */
  get batched(): boolean {
    return this.handlers.batch !== undefined;
  }

  /** Whether the follower has a handler for this event (a batch handler is not asked). */
  handles(envelope: StoredEvent): boolean {
    return this.handlers.byType.has(envelope.type);
  }

  /** Hands `events` over: the whole batch to the batch handler, or each event to its handler, in order. */
  async all(events: StoredEvent[], manager: EntityManager): Promise<void> {
    const { batch } = this.handlers;
    if (batch) await this.batch(batch, events, manager);
    else for (const event of events) await this.one(event, manager);
  }

  /** Hands one event to its handler, if the follower has one for its type. */
  async one(envelope: StoredEvent, manager: EntityManager): Promise<void> {
    if (!this.handles(envelope)) return;
    await withLogContext(this.fieldsOf(envelope), () =>
      this.traced(envelope, async () => {
        try {
          await dispatch(this.handlers.byType, envelope, manager);
        } catch (cause) {
          throw failureAt(envelope, cause);
        }
        this.logger.debug(`handled ${envelope.type}`);
      }),
    );
  }

  /**
   * Runs the handling of an event that was appended in a trace in a span that continues it,
   * so that the commands a handler sends (a process manager's) join that trace too. An event
   * appended untraced (tracing off, or before it was on) is handled without a span: a
   * rebuild of old events starts no trace.
   */
  private traced(envelope: StoredEvent, handle: () => Promise<void>): Promise<void> {
    const parent = eventTraceContext(envelope.metadata);
    if (parent === undefined) return handle();
    const attributes = {
      'chronicle.follower': this.name,
      'chronicle.event.type': envelope.type,
      'chronicle.event.id': envelope.id,
      'chronicle.log.position': envelope.position,
    };
    return inSpan(`handle ${envelope.type}`, { kind: SpanKind.CONSUMER, attributes }, handle, parent);
  }

  private async batch(handler: FollowerBatchHandler, events: StoredEvent[], manager: EntityManager): Promise<void> {
    try {
      await withLogContext({ follower: this.name, position: events[0].position }, () =>
        this.tracedBatch(events, () => handler(events, { manager })),
      );
    } catch (cause) {
      // The batch comes again as a whole: it is stuck at its first event.
      throw failureAt(events[0], cause);
    }
    // A line per event, as a follower with @Handles methods writes, to follow a request through the logs.
    for (const event of events) {
      if (this.handlers.batchTypes?.has(event.type) === false) continue;
      withLogContext(this.fieldsOf(event), () => this.logger.debug(`handled ${event.type}`));
    }
  }

  /**
   * Runs a batch's handling in a span of its own (its events may belong to many traces),
   * linked to the appends of the events that were traced; without any, no span.
   */
  private tracedBatch(events: StoredEvent[], handle: () => Promise<void>): Promise<void> {
    const links = eventTraceLinks(events);
    if (links.length === 0) return handle();
    const attributes = {
      'chronicle.follower': this.name,
      'chronicle.log.position': events[0].position,
      'chronicle.event.count': events.length,
    };
    return inSpan(`handle batch`, { kind: SpanKind.CONSUMER, attributes, links }, handle, ROOT_CONTEXT);
  }

  /** What the handler logs, and the commands it sends log, names the event and its request. */
  private fieldsOf(envelope: StoredEvent): LogFields {
    const { correlationId } = envelope.metadata;
    return {
      follower: this.name,
      position: envelope.position,
      ...(typeof correlationId === 'string' ? { correlationId } : {}),
    };
  }
}
